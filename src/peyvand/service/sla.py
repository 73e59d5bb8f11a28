"""SLA: which policy applies to a ticket, its due times in business time, and the clocks as the ticket moves.
OWNED BY THE SLA WORK: the interface below is fixed, the bodies are to be completed."""

from __future__ import annotations

from datetime import datetime

from peyvand.service.models import Ticket


def sla_apply(ticket: Ticket, *, now: datetime) -> None:
    """Choose the policy for `ticket` (first matching in position order; none: no targets) and set
    sla_policy, first_response_due_at and resolution_due_at on the instance, counted from the ticket's arrival
    in business time. Called on create and when priority, category or customer change. Does not save."""


def sla_on_first_reply(ticket: Ticket, *, at: datetime) -> None:
    """The first reply to the customer: set first_responded_at, first_response_minutes and whether the target
    was missed. Does not save."""


def sla_on_status(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    """Keep the clocks in step with a status change (waiting for the customer stops the resolution clock;
    resolved stores resolution_minutes and whether it was missed; reopened runs it again). Does not save."""
