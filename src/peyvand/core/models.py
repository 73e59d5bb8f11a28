"""Base model every Peyvand table builds on."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def in_active_language(fa: str, en: str) -> str:
    """The English name when the page is in English and one is given; the Persian name otherwise (for records
    named in both languages: stages, categories, articles)."""
    return en if en and (get_language() or "fa").split("-")[0] == "en" else fa
