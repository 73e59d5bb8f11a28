"""Template context every page needs: text direction and the product's settings."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def peyvand(request: HttpRequest) -> dict[str, object]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "text_direction": "rtl" if translation.get_language_bidi() else "ltr",
        "active_language": language,
        "money_unit": settings.PEYVAND_MONEY_UNIT,
    }
