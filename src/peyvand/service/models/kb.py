"""The knowledge base: articles for staff (response scripts, policies, procedures) and for customers (FAQ,
product guides), in Persian or English."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel, in_active_language

__all__ = ["KbArticle", "KbAudience", "KbCategory", "KbStatus"]


class KbAudience(models.TextChoices):
    STAFF = "staff", _("Staff only")
    CUSTOMERS = "customers", _("Customers and staff")


class KbStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class KbCategory(TimeStampedModel):
    """A section of the knowledge base (e.g. «راهنمای محصول», «رویه‌های پاسخگویی»)."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge-base section")
        verbose_name_plural = _("knowledge-base sections")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return in_active_language(self.name, self.name_en)


class KbArticle(TimeStampedModel):
    """One article. Its text is plain text with light Markdown (headings, lists, links), shown escaped."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES, default="fa")
    audience = models.CharField(_("audience"), max_length=10, choices=KbAudience.choices, default=KbAudience.STAFF)
    status = models.CharField(_("status"), max_length=10, choices=KbStatus.choices, default=KbStatus.DRAFT)
    section = models.ForeignKey(
        KbCategory, verbose_name=_("section"), null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    # The ticket categories it answers: a ticket form of such a category suggests it first.
    ticket_categories = models.ManyToManyField(
        "service.TicketCategory", verbose_name=_("ticket categories"), blank=True, related_name="articles"
    )
    tags = models.CharField(_("keywords"), max_length=255, blank=True)
    # Title, keywords and text normalised (core.text.search_key), what search compares against.
    search_text = models.TextField(editable=False, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # How often it was read, quoted in a reply, and found helpful or not by its readers.
    views = models.PositiveIntegerField(default=0, editable=False)
    uses = models.PositiveIntegerField(default=0, editable=False)
    helpful_yes = models.PositiveIntegerField(default=0, editable=False)
    helpful_no = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "audience", "language"], name="kb_published")]

    def __str__(self) -> str:
        return self.title
