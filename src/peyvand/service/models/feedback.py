"""What the customer is told and what they think: notifications about their tickets, satisfaction answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = ["CustomerNotification", "NotificationStatus", "TicketSatisfaction"]


class NotificationStatus(models.TextChoices):
    # Handed to the channels' outbox, which sends it (its message says how that went).
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class CustomerNotification(TimeStampedModel):
    """One message sent to a customer about a ticket (received, assigned, answered, waiting, resolved, the
    satisfaction question), by their preferred channel: the record of what they were told."""

    ticket = models.ForeignKey(
        "service.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The template it was made from (ticket_received, ticket_answered, …).
    template = models.CharField(max_length=40)
    channel = models.CharField(_("channel"), max_length=8)  # email, sms, console
    to = models.CharField(_("to"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=8, choices=NotificationStatus.choices)
    # Why it failed or was not sent (no address, no consent, the server refused).
    error = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The outbox message that carries it, when the channel has an account to send by.
    message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("customer notification")
        verbose_name_plural = _("customer notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["ticket", "-id"], name="notification_ticket")]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"


class TicketSatisfaction(TimeStampedModel):
    """The satisfaction question sent when a ticket is resolved (a link with a token) and the answer: a score of
    1 to 5 and a comment. The agent, team and category are kept as they were at resolution, for the measures."""

    ticket = models.OneToOneField("service.Ticket", on_delete=models.CASCADE, related_name="satisfaction")
    token = models.CharField(max_length=64, unique=True, editable=False)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(
        "service.TicketCategory", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The follow-up task a low score made.
    follow_up = models.ForeignKey("sales.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        indexes = [models.Index(fields=["answered_at", "team"], name="satisfaction_answered")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="satisfaction_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"
