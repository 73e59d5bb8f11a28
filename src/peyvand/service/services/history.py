"""A ticket's history: every change written as one TicketEvent, by the service that makes it."""

from __future__ import annotations

from typing import Any

from peyvand.accounts.models import User
from peyvand.service.models import Ticket, TicketEvent


def ticket_event(
    ticket: Ticket, kind: str, *, by: User | None = None, data: dict[str, Any] | None = None
) -> TicketEvent:
    """Record that `kind` happened to `ticket` (created, routed, assigned, status, priority, category, fields,
    message, attachment, sla_warning, sla_breach, escalated, reopened, automation, notified, satisfaction);
    `by` empty for the system, a rule or the customer; `data` what changed ({"from": …, "to": …}) or details."""
    return TicketEvent.objects.create(ticket=ticket, kind=kind, by=by, data=data or {})
