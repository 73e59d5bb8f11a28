"""Leads: people and companies who may become customers, before they are customers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.sales.models._fields import created_by_field, owner_field, team_field

__all__ = ["Lead", "LeadSource", "LeadStatus"]


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("Entered by hand")
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("E-mail")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    EXHIBITION = "exhibition", _("Exhibition")
    SOCIAL = "social", _("Social network")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class Lead(TimeStampedModel):
    """A possible customer: who they are, where they came from, and how far qualification has gone.

    Converting a lead makes (or links) a customer and a deal in one step; the lead stays, pointing at both,
    so the conversion-rate report can count leads per source and what became of them.
    """

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    # E.164, as customers' phones are stored (core.phone); empty when not given.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=LeadSource.choices, default=LeadSource.MANUAL)
    source_detail = models.CharField(
        _("source detail"), max_length=200, blank=True, help_text=_("e.g. the form, campaign or referrer")
    )
    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    disqualified_reason = models.TextField(_("reason disqualified"), blank=True)
    estimated_amount = models.BigIntegerField(_("estimated amount (Rial)"), default=0)
    interest = models.TextField(_("what they are interested in"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    owner = owner_field("owned_leads")
    team = team_field("leads")
    converted_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="lead_owner"),
            models.Index(fields=["team", "-id"], name="lead_team"),
            models.Index(fields=["status", "-id"], name="lead_status"),
            models.Index(fields=["source", "status"], name="lead_source_status"),
            models.Index(fields=["phone"], name="lead_phone"),
            models.Index(fields=["email"], name="lead_email"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(estimated_amount__gte=0), name="lead_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        person = " ".join(part for part in (self.first_name, self.last_name) if part)
        if person and self.company_name:
            return f"{person} ({self.company_name})"
        return person or self.company_name or self.phone or self.email or f"#{self.pk}"
