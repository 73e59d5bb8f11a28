"""Activities (tasks, calls, meetings) planned against a customer, deal or lead; customers' value figures."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.sales.models._fields import created_by_field, team_field

__all__ = ["Activity", "ActivityKind", "ActivityStatus", "CustomerValue"]


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(TimeStampedModel):
    """Something someone is to do for a customer, at a time: on the agenda and calendar until it is done, then
    an interaction on the customer's timeline."""

    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices, default=ActivityKind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    # Anything else it is about (a ticket, once the service desk exists), as the timeline links its entries.
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    related_id = models.CharField(max_length=40, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,
    )
    team = team_field("activities")
    # Minutes before `due_at` to remind the assignee; empty for no reminder. `remind_at` is kept in step by the
    # services so the reminder task reads one index.
    remind_minutes_before = models.PositiveIntegerField(_("remind (minutes before)"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    # The timeline entry written when it was done.
    interaction = models.OneToOneField(
        "customers.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
        editable=False,
    )
    created_by = created_by_field()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["due_at", "id"]
        indexes = [
            # A person's agenda and a team's calendar: planned activities in a time window.
            models.Index(fields=["assigned_to", "status", "due_at"], name="activity_agenda"),
            models.Index(fields=["team", "due_at"], name="activity_team_calendar"),
            models.Index(fields=["customer", "-due_at"], name="activity_customer"),
            models.Index(fields=["deal", "-due_at"], name="activity_deal"),
            # Reminders still to send.
            models.Index(fields=["remind_at"], condition=Q(reminded_at__isnull=True), name="activity_reminder_due"),
        ]

    def __str__(self) -> str:
        return self.subject


class CustomerValue(models.Model):
    """Each customer's purchase figures and rank by revenue, recomputed from orders in one statement
    (`services.customer_value.ranking_recompute`); one customer's figures are also read live from orders."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="value"
    )
    revenue = models.BigIntegerField(default=0)
    cost = models.BigIntegerField(default=0)
    order_count = models.PositiveIntegerField(default=0)
    first_purchase_at = models.DateTimeField(null=True)
    last_purchase_at = models.DateTimeField(null=True)
    rank = models.PositiveIntegerField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        indexes = [models.Index(fields=["rank"], name="customer_value_rank")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.revenue}"

    @property
    def margin(self) -> int:
        return self.revenue - self.cost
