"""API shapes of automation rules and their runs; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Clean, Strict
from peyvand.sales.schemas import Id
from peyvand.service.notify_selectors import notice_status

EventName = Literal["created", "status_changed", "customer_replied", "sla_warning", "sla_breached", "no_reply"]
RunStatus = Literal["done", "skipped", "failed"]

ACTIONS_DESCRIPTION = (
    "The actions, done in order. Each is an object with a `type`: "
    '`assign` {"team": id, "user": id} (either or both); '
    '`set` {"field": "priority"|"status"|"category"|"kind", "value": …}; '
    '`note` {"text": …} (an internal note); '
    '`notify_staff` {"to": "assignee"|"team_managers"|"user", "user": id (for "user"), "text": …}; '
    '`notify_customer` {"template": "ticket_received"|"ticket_assigned"|"ticket_answered"|"ticket_waiting"|'
    '"ticket_resolved"|"ticket_satisfaction"}. A malformed action is refused with `actions.N.field`.'
)
CONDITIONS_DESCRIPTION = (
    "Keys ANDed, lists ORed: kind, category, channel, priority, status, team, customer_tier, customer_stage, "
    'keywords. E.g. {"priority": ["urgent"], "customer_tier": ["gold"]}. Empty: every ticket.'
)
ACTIONS_EXAMPLE = [
    {"type": "set", "field": "priority", "value": "high"},
    {"type": "notify_staff", "to": "team_managers", "text": "A gold customer is waiting"},
]


class AutomationRuleFields(Strict):
    name: str | None = Field(None, max_length=120)
    event: EventName | None = None
    hours: int | None = Field(None, description="for `no_reply`: business hours without a reply (1–2160)")
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, le=2**31 - 1, description="default: after the last rule")
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_DESCRIPTION)
    actions: list[dict[str, Any]] | None = Field(None, description=ACTIONS_DESCRIPTION, examples=[ACTIONS_EXAMPLE])


class AutomationRuleCreate(AutomationRuleFields):
    name: str = Field(..., max_length=120)
    event: EventName
    actions: list[dict[str, Any]] = Field(..., description=ACTIONS_DESCRIPTION, examples=[ACTIONS_EXAMPLE])


class AutomationRulePatch(AutomationRuleFields):
    pass


class AutomationReorderIn(Strict):
    ids: list[Id] = Field(..., max_length=10000, description="every rule's id once, in the new order")


class AutomationRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    event: str
    hours: int | None
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class AutomationRunOut(Schema):
    id: int
    rule_id: int | None
    rule_name: str
    ticket_id: int
    ticket_number: str
    event: str
    once_key: str = Field(description="for `no_reply`: when the silence it answers began")
    status: str = Field(description="done, skipped (conditions not met) or failed")
    detail: dict[str, Any] = Field(description="`actions`: what each did; `error`: the failing action and why")
    at: datetime

    @staticmethod
    def resolve_ticket_number(obj: Any) -> str:
        return str(obj.ticket.number)


class AutomationRunPage(Schema):
    items: list[AutomationRunOut]
    next_cursor: str | None


class AutomationRunFilters(Clean):
    rule_id: Id | None = None
    status: RunStatus | None = None
    event: EventName | None = None
    ticket_id: Id | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class RuleRunFilters(Clean):
    status: RunStatus | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class CustomerNotificationOut(Schema):
    """What a customer was told about a ticket (for the tickets API: GET /tickets/{id}/notifications). A notice
    handed to the outbox shows its message's status now, read through the link (service.notify_selectors)."""

    id: int
    template: str
    channel: str = Field(description="email, sms, or console (an SMS written to the log)")
    to: str
    subject: str
    body: str
    status: str = Field(
        description="now: queued, sending, sent, delivered, failed, skipped or cancelled (a notice sent "
        "without the outbox: sent, failed or skipped)"
    )
    error: str = Field(
        description="why not sent: no_address, opted_out:email, opted_out:sms, suppressed, send_failed: …, "
        "or the outbox's last error (retry: …, gave_up: …, undelivered: …)"
    )
    sent_at: datetime | None
    delivered_at: datetime | None = Field(description="when the provider reported it delivered")
    message_id: int | None = Field(description="its outbox message (GET /api/v1/comms/messages/{id}), if any")
    attempts: int = Field(description="sending attempts so far (0 for a notice sent without the outbox)")
    created_at: datetime

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return notice_status(obj).status

    @staticmethod
    def resolve_error(obj: Any) -> str:
        return notice_status(obj).error

    @staticmethod
    def resolve_sent_at(obj: Any) -> datetime | None:
        return notice_status(obj).sent_at

    @staticmethod
    def resolve_delivered_at(obj: Any) -> datetime | None:
        return notice_status(obj).delivered_at

    @staticmethod
    def resolve_attempts(obj: Any) -> int:
        return notice_status(obj).attempts
