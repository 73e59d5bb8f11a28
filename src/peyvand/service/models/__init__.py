"""Tickets: categories with their field templates, the ticket, its messages, attachments and history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel, in_active_language
from peyvand.service.models.feedback import CustomerNotification, NotificationStatus, TicketSatisfaction
from peyvand.service.models.kb import KbArticle, KbAudience, KbCategory, KbStatus
from peyvand.service.models.rules import (
    AssignmentPolicy,
    AutomationEvent,
    AutomationRule,
    AutomationRun,
    AutomationRunStatus,
    ClosedTicketReply,
    Holiday,
    RoundRobinCursor,
    RoutingRule,
    ServiceSettings,
    SlaPolicy,
    ThursdayHours,
)

__all__ = [
    "OPEN_STATUSES",
    "AssignmentPolicy",
    "AutomationEvent",
    "AutomationRule",
    "AutomationRun",
    "AutomationRunStatus",
    "ClosedTicketReply",
    "CustomerNotification",
    "Holiday",
    "KbArticle",
    "KbAudience",
    "KbCategory",
    "KbStatus",
    "MessageKind",
    "NotificationStatus",
    "RoundRobinCursor",
    "RoutingRule",
    "ServiceSettings",
    "SlaPolicy",
    "ThursdayHours",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketChannel",
    "TicketEvent",
    "TicketKind",
    "TicketMessage",
    "TicketPriority",
    "TicketSatisfaction",
    "TicketStatus",
]


class TicketKind(models.TextChoices):
    REQUEST = "request", _("Request")
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    SUGGESTION = "suggestion", _("Suggestion")


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# The statuses of a ticket someone still has to work on (the queue); the SLA clocks run in all but WAITING.
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING,
    TicketStatus.REOPENED,
)


class TicketChannel(models.TextChoices):
    STAFF = "staff", _("Entered by staff")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Live chat")
    PORTAL = "portal", _("Customer portal")
    FORM = "form", _("Web form")
    BOT = "bot", _("Messenger")
    API = "api", _("API")


class TicketCategory(TimeStampedModel):
    """A node of the category tree (e.g. «فنی» › «نصب»), with the fields its tickets ask for, and where its tickets
    go when no routing rule says otherwise."""

    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path ("/1/4/9/"), as teams have: "this category and every sub-category" is one prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Shown to customers choosing it."))
    # The template: the extra fields a ticket of this category asks for, in order. Each is an object with
    # "key" (a-z, 0-9, _), "label", "label_en", "type" (text, textarea, number, date, choice, yes_no),
    # "required" (bool) and, for a choice, "choices" (a list of texts). Checked by the services on save.
    fields = models.JSONField(_("fields to ask for"), default=list, blank=True)
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_priority = models.CharField(_("default priority"), max_length=8, choices=TicketPriority.choices, blank=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_active_language(self.name, self.name_en)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0


class Ticket(TimeStampedModel):
    """A customer's request, complaint, question or suggestion, from the moment it arrives until it is closed."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices, default=TicketKind.REQUEST)
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The answers to the category's fields, by key.
    fields = models.JSONField(_("details"), default=dict, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(_("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(_("channel"), max_length=8, choices=TicketChannel.choices, default=TicketChannel.STAFF)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # Who wrote in when they are not (yet) a customer: an e-mail from an unknown address, an anonymous chat.
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)  # E.164
    order = models.ForeignKey(
        "sales.Order", verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    contract = models.ForeignKey(
        "sales.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )

    # The scope's two keys, as a deal's owner and team: the assignee sees it, and the team (and its managers).
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    # The routing rule that chose the team (empty: the category's default team or the default queue).
    routed_by = models.ForeignKey(
        "service.RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    # SLA: the policy that applied and the due times it gave, in business time (see service.sla).
    sla_policy = models.ForeignKey(
        "service.SlaPolicy",
        verbose_name=_("SLA"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        editable=False,
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # Business minutes from arrival to the first reply and to resolution (less the time spent waiting for the
    # customer), stored when reached: what the measures average.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    first_response_breached = models.BooleanField(default=False, editable=False)
    resolution_breached = models.BooleanField(default=False, editable=False)
    # When the breach warning went out and when a breach was escalated: each once per due time.
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # While waiting for the customer the resolution clock stops: since when, and the business minutes stopped
    # so far (added to the resolution due time when the clock runs again).
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_minutes = models.PositiveIntegerField(default=0, editable=False)

    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0, editable=False)
    last_customer_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_staff_reply_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Optimistic locking: every change sends the version it read; a stale one is refused (409).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            # The queues: a team's or a person's open tickets, the most urgent (soonest due) first.
            models.Index(fields=["team", "status", "resolution_due_at", "id"], name="ticket_team_queue"),
            models.Index(fields=["assignee", "status", "resolution_due_at", "id"], name="ticket_assignee_queue"),
            models.Index(fields=["customer", "-id"], name="ticket_customer"),
            # The SLA watch: open tickets by their next due time.
            models.Index(
                fields=["first_response_due_at"],
                name="ticket_response_due",
                condition=Q(first_responded_at__isnull=True, first_response_due_at__isnull=False),
            ),
            models.Index(
                fields=["resolution_due_at"],
                name="ticket_resolution_due",
                condition=Q(resolved_at__isnull=True, resolution_due_at__isnull=False),
            ),
            # The measures read a period's tickets by arrival, and open tickets by status.
            models.Index(fields=["created_at", "team", "category"], name="ticket_arrivals"),
            models.Index(fields=["resolved_at", "team"], name="ticket_resolutions"),
            models.Index(fields=["status", "team"], name="ticket_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(contact_name="") | ~Q(contact_email="") | ~Q(contact_phone=""),
                name="ticket_has_someone_to_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")
    CUSTOMER = "customer", _("From the customer")


class TicketMessage(TimeStampedModel):
    """One entry of a ticket's conversation: a reply the customer gets, a note only staff see, or what the
    customer wrote."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=TicketChannel.choices, default=TicketChannel.STAFF)
    # The knowledge-base article the reply quotes, if any (counts the article's use).
    kb_article = models.ForeignKey(
        "service.KbArticle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sender's own id of an inbound message (an e-mail's Message-ID): the same message twice is stored once.
    external_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_message_thread")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "external_id"], name="ticket_message_once", condition=~Q(external_id="")
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


class TicketAttachment(TimeStampedModel):
    """A file sent with a ticket or one of its messages; served only through a view that checks who may see it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """One line of a ticket's history: what changed, when, by whom (empty: the system, a rule, the customer)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    # created, routed, assigned, status, priority, category, fields, message, attachment, sla_warning,
    # sla_breach, escalated, reopened, automation, notified, satisfaction: see service.services.history.
    kind = models.CharField(_("what"), max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What changed: {"from": …, "to": …} or the event's own details.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket history")
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_history")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
