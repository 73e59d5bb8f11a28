"""The records of web forms: the forms the builder makes, and every submission they receive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel, in_active_language

__all__ = ["FormAction", "FormSubmission", "SpamReason", "SubmissionStatus", "WebForm"]


class FormAction(models.TextChoices):
    LEAD = "lead", _("Create a lead")
    TICKET = "ticket", _("Open a ticket")
    TIMELINE = "timeline", _("Only note it on the customer's timeline")


class WebForm(TimeStampedModel):
    """A contact or lead-capture form: its questions (`fields`, see webforms.schema), what a submission becomes
    (`action` and its options), and where it may be embedded. `key` is the public name in its links; it is random
    so that forms cannot be walked through by counting."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(_("public key"), max_length=32, unique=True)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_fa = models.TextField(_("introduction (Persian)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    action = models.CharField(_("a submission becomes"), max_length=12, choices=FormAction.choices)
    lead_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("lead team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_kind = models.CharField(_("ticket kind"), max_length=12, blank=True)
    ticket_category = models.ForeignKey(
        "service.TicketCategory",
        verbose_name=_("ticket category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket_priority = models.CharField(_("ticket priority"), max_length=12, blank=True)
    # Takes a ticket that no routing rule and no category default places (ticket_create's channel_team).
    ticket_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team for tickets"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    success_fa = models.TextField(_("thank-you message (Persian)"), blank=True)
    success_en = models.TextField(_("thank-you message (English)"), blank=True)
    redirect_url = models.URLField(_("go to this address after sending"), max_length=500, blank=True)
    # Origins (https://shop.example.ir) whose pages may show the form in a frame or post to its JSON endpoint.
    allowed_origins = models.JSONField(_("sites it may be embedded in"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    rate_per_hour = models.PositiveIntegerField(_("submissions per hour from one address"), default=10)
    # A person needs a few seconds to fill a form in; a bot posts at once.
    min_fill_seconds = models.PositiveSmallIntegerField(_("shortest believable filling time (seconds)"), default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        return in_active_language(self.title_fa, self.title_en)

    @property
    def intro(self) -> str:
        return in_active_language(self.intro_fa, self.intro_en)

    @property
    def success_message(self) -> str:
        return in_active_language(self.success_fa, self.success_en)


class SubmissionStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    SPAM = "spam", _("Spam")
    FAILED = "failed", _("Failed")


class SpamReason(models.TextChoices):
    HONEYPOT = "honeypot", _("Filled the hidden field")
    TOO_FAST = "too_fast", _("Sent too fast")
    RATE_LIMIT = "rate_limit", _("Too many from one address")
    NO_TOKEN = "no_token", _("Not sent from the form")


class FormSubmission(TimeStampedModel):
    """One submission of a form, kept whatever became of it: accepted (and what it created), spam (never a lead
    or a ticket) or failed (kept with the error, for staff to act on). `nonce` comes from the form's signed token,
    so sending the same filled-in form twice records it once."""

    form = models.ForeignKey(WebForm, verbose_name=_("form"), on_delete=models.PROTECT, related_name="submissions")
    nonce = models.CharField(max_length=32, blank=True)
    # The answers by field key, as checked and normalised (phone numbers in E.164, ASCII digits).
    data = models.JSONField(_("answers"), default=dict, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # A keyed hash of the sender's address: enough to count submissions per address, not to know the address.
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    origin = models.CharField(_("sent from"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SubmissionStatus.choices)
    spam_reason = models.CharField(_("why spam"), max_length=12, choices=SpamReason.choices, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "service.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbound = models.ForeignKey(
        "comms.InboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "nonce"], condition=~Q(nonce=""), name="webform_submission_once"),
        ]
        indexes = [models.Index(fields=["form", "status", "-id"], name="webform_submissions")]

    def __str__(self) -> str:
        return f"{self.form_id}#{self.pk}"
