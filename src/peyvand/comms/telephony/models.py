"""The records of telephony: calls as the PBX reported them, each PBX event once, and whose phone is which extension."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = ["Call", "CallDirection", "CallEvent", "CallStatus", "Extension"]


class Extension(TimeStampedModel):
    """A member of staff's phone on one PBX: the extension a ringing call names, and the one click-to-call dials
    first."""

    account = models.ForeignKey(
        "comms.ChannelAccount", verbose_name=_("PBX"), on_delete=models.CASCADE, related_name="extensions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff user"), on_delete=models.CASCADE, related_name="extensions"
    )
    number = models.CharField(_("extension"), max_length=32)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["account", "number"]
        constraints = [models.UniqueConstraint(fields=["account", "number"], name="telephony_extension_once")]

    def __str__(self) -> str:
        return f"{self.number} ({self.user})"


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Incoming")
    OUTBOUND = "out", _("Outgoing")
    INTERNAL = "internal", _("Internal")


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    BUSY = "busy", _("Busy")
    FAILED = "failed", _("Failed")


class Call(TimeStampedModel):
    """One call from its first ring to its hang-up. `pbx_call_id` is the PBX's own id of the call (Asterisk's
    Linkedid, the cloud PBX's call_id), unique per PBX, so every event about the call finds the same row."""

    account = models.ForeignKey(
        "comms.ChannelAccount", verbose_name=_("PBX"), on_delete=models.PROTECT, related_name="calls"
    )
    pbx_call_id = models.CharField(_("PBX call id"), max_length=100)
    direction = models.CharField(_("direction"), max_length=8, choices=CallDirection.choices)
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.RINGING)
    # E.164 when the number could be read, else empty; the raw form is kept as the PBX sent it.
    from_number = models.CharField(_("from"), max_length=20, blank=True, db_index=True)
    from_raw = models.CharField(max_length=80, blank=True)
    to_number = models.CharField(_("to"), max_length=20, blank=True)
    to_raw = models.CharField(max_length=80, blank=True)
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="calls",
    )  # fmt: skip
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="calls",
    )  # fmt: skip
    # The team that should take a call no one answered yet: the caller's account manager's or the customer's.
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "pbx_call_id"], name="telephony_call_once")]
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="call_recent"),
            models.Index(fields=["agent", "-started_at"], name="call_agent"),
            models.Index(fields=["team", "-started_at"], name="call_team"),
            models.Index(fields=["customer", "-started_at"], name="call_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.from_number or self.from_raw} → {self.to_number or self.to_raw or self.extension}"

    @property
    def caller(self) -> str:
        """The other party's number: who rang us, or whom we rang."""
        if self.direction == CallDirection.OUTBOUND:
            return self.to_number or self.to_raw
        return self.from_number or self.from_raw


class CallEvent(TimeStampedModel):
    """One event a PBX reported about a call, recorded once: (account, call id, event) is unique, so an event
    the webhook posts twice or the AMI listener replays after a reconnect changes nothing the second time."""

    account = models.ForeignKey("comms.ChannelAccount", on_delete=models.CASCADE, related_name="+")
    pbx_call_id = models.CharField(max_length=100)
    event = models.CharField(max_length=16)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "pbx_call_id", "event"], name="telephony_event_once")]

    def __str__(self) -> str:
        return f"{self.pbx_call_id} {self.event}"
