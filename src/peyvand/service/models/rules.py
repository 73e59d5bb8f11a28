"""What an administrator configures without code: routing rules, SLA policies, the working calendar and
holidays, automation rules (with the log of their runs), and the desk's settings."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = [
    "AssignmentPolicy",
    "AutomationEvent",
    "AutomationRule",
    "AutomationRun",
    "AutomationRunStatus",
    "ClosedTicketReply",
    "Holiday",
    "RoundRobinCursor",
    "RoutingRule",
    "ServiceSettings",
    "SlaPolicy",
    "ThursdayHours",
]

# Conditions (routing rules, SLA policies, automation rules) are one JSON object whose keys are ANDed and
# whose lists are ORed, e.g. {"kind": ["complaint"], "category": [3], "keywords": ["قطعی", "خرابی"]}.
# The keys and their checking live in service.conditions; the services refuse a malformed one on save.


class AssignmentPolicy(models.TextChoices):
    QUEUE = "queue", _("Leave in the team's queue")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    ACCOUNT_MANAGER = "account_manager", _("The customer's account manager")


class RoutingRule(TimeStampedModel):
    """If a new ticket matches the conditions, it goes to the team, assigned by the policy. Rules are tried in
    position order; the first that matches wins."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="routing_rules"
    )
    policy = models.CharField(
        _("assignment"), max_length=16, choices=AssignmentPolicy.choices, default=AssignmentPolicy.QUEUE
    )
    # Optionally raise (or lower) the ticket's priority as it is routed (key accounts: high).
    set_priority = models.CharField(_("set priority"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RoundRobinCursor(models.Model):
    """Whom a team's round robin gave the last ticket to; the next goes to the next active member by id."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="+")
    last_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.team_id} → {self.last_user_id}"


class SlaPolicy(TimeStampedModel):
    """Targets for the first response and for resolution, in business minutes, for the tickets matching the
    conditions (priority, category, customer tier …). The first matching policy in position order applies."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    # A warning goes out when this share of the time to a target has passed.
    # xgettext:no-python-format
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of the time)"), default=80)
    # On a breach the ticket moves to this team (empty: it stays) and the team's managers are told.
    escalate_to = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("escalate to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="sla_warn_percent_in_range"
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1, resolution_minutes__gte=1), name="sla_targets_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(TimeStampedModel):
    """A day the office is closed (official holidays of the year, company days off): no business time passes."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ThursdayHours(models.TextChoices):
    FULL = "full", _("A full working day")
    HALF = "half", _("Until noon")
    OFF = "off", _("Closed")


class ClosedTicketReply(models.TextChoices):
    REOPEN = "reopen", _("Reopen the ticket")
    NEW_TICKET = "new_ticket", _("Open a new ticket that refers to it")


class ServiceSettings(TimeStampedModel):
    """The desk's settings: one row (service.services.settings.service_settings() reads or makes it)."""

    # Working hours, Saturday to Wednesday (Friday is always off), in Tehran time.
    day_starts = models.TimeField(_("working day starts"), default=dt.time(8, 0))
    day_ends = models.TimeField(_("working day ends"), default=dt.time(16, 0))
    thursday = models.CharField(_("Thursday"), max_length=4, choices=ThursdayHours.choices, default=ThursdayHours.HALF)
    thursday_ends = models.TimeField(_("Thursday ends"), default=dt.time(12, 0))
    # Where a ticket goes when no rule and no category says (the default queue).
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_ticket_reply = models.CharField(
        _("when a customer writes to a closed ticket"),
        max_length=12,
        choices=ClosedTicketReply.choices,
        default=ClosedTicketReply.REOPEN,
    )
    # A resolved ticket the customer does not answer is closed after this many days (0: never by itself).
    close_resolved_after_days = models.PositiveSmallIntegerField(_("close resolved tickets after (days)"), default=7)
    # A satisfaction score at or below this reopens a follow-up task for the team's manager.
    low_satisfaction = models.PositiveSmallIntegerField(_("low satisfaction score"), default=2)

    class Meta:
        verbose_name = _("service desk settings")
        verbose_name_plural = _("service desk settings")
        constraints = [
            models.CheckConstraint(condition=Q(day_starts__lt=models.F("day_ends")), name="service_day_has_hours"),
            models.CheckConstraint(
                condition=Q(low_satisfaction__gte=1, low_satisfaction__lte=4), name="service_low_satisfaction_in_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AutomationEvent(models.TextChoices):
    CREATED = "created", _("A ticket is created")
    STATUS_CHANGED = "status_changed", _("Its status changes")
    CUSTOMER_REPLIED = "customer_replied", _("The customer writes")
    SLA_WARNING = "sla_warning", _("An SLA target is near")
    SLA_BREACHED = "sla_breached", _("An SLA target is missed")
    NO_REPLY = "no_reply", _("No reply to the customer for some hours")


class AutomationRule(TimeStampedModel):
    """When the event happens to a ticket that matches the conditions, do the actions in order.

    `actions` is a list of objects, each with a "type": assign ({"team": id, "user": id}), set ({"field":
    "priority"|"status"|"category"|"kind", "value": …}), note ({"text": …}), notify_staff ({"to": "assignee"|
    "team_managers"|"user", "user": id, "text": …}), notify_customer ({"template": code}). Checked by the
    services on save; run as background tasks, every run logged in AutomationRun."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    event = models.CharField(_("when"), max_length=20, choices=AutomationEvent.choices)
    # For NO_REPLY: how many business hours without a reply.
    hours = models.PositiveIntegerField(_("after (hours)"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(event="no_reply") | Q(hours__gte=1), name="automation_no_reply_has_hours"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AutomationRunStatus(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Conditions not met")
    FAILED = "failed", _("Failed")


class AutomationRun(models.Model):
    """One run of one rule on one ticket: what it did or why it failed."""

    rule = models.ForeignKey(AutomationRule, null=True, on_delete=models.SET_NULL, related_name="runs")
    rule_name = models.CharField(max_length=120)
    ticket = models.ForeignKey("service.Ticket", on_delete=models.CASCADE, related_name="automation_runs")
    event = models.CharField(max_length=20, choices=AutomationEvent.choices)
    # What makes this run the only one of its kind (for NO_REPLY: the silence it answers, so one silence fires
    # a rule once however often the worker looks); empty for events that happen once.
    once_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=AutomationRunStatus.choices)
    # The actions done, or the error.
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["ticket", "-id"], name="automation_run_ticket")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "once_key"], name="automation_run_once", condition=~Q(once_key="")
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} on {self.ticket_id}: {self.status}"
