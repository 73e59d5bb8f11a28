"""Template filters of telephony: a call's length as people read it."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from peyvand.core.text import is_persian, to_persian_digits

register = template.Library()


@register.filter
def call_duration(seconds: object) -> str:
    """1:05 for 65 seconds, 1:02:03 past an hour; Persian digits in fa."""
    try:
        total = int(seconds)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return to_persian_digits(text) if is_persian(get_language()) else text
