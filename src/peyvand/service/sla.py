"""SLA: which policy applies to a ticket, its due times in business time, and the clocks as the ticket moves.

Every figure is counted on the working calendar (service.calendar) from the ticket's arrival: the first-response
due time is `first_response_minutes` business minutes after it, the resolution due time `resolution_minutes` plus
the business minutes the clock was stopped (waiting for the customer, or resolved before a reopening). The
functions here only set fields on the instance; the ticket services save them in their transaction.
"""

from __future__ import annotations

from datetime import datetime

from peyvand.service.calendar import WorkingCalendar, working_calendar
from peyvand.service.conditions import TicketFacts, compile_conditions
from peyvand.service.models import SlaPolicy, Ticket, TicketStatus

__all__ = [
    "SLA_CONDITION_KEYS",
    "policy_for",
    "sla_apply",
    "sla_on_first_reply",
    "sla_on_status",
]

# What an SLA policy may look at: the ticket's own class and its customer's, never its text or its team (a
# target is a promise to the customer, not a property of who happens to handle the ticket).
SLA_CONDITION_KEYS = ("priority", "category", "kind", "channel", "customer_tier", "customer_stage")

# Statuses in which the resolution clock does not run: waiting for the customer stops it, resolved and closed end it.
_STOPPED = (TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED)
_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in position order, whose conditions the ticket matches (None: no targets)."""
    facts = TicketFacts.of(ticket)
    for policy in SlaPolicy.objects.filter(is_active=True).order_by("position", "id"):
        if compile_conditions(policy.conditions or {})(facts):
            return policy
    return None


def _arrival(ticket: Ticket, now: datetime) -> datetime:
    return ticket.created_at or now


def _resolution_due(ticket: Ticket, policy: SlaPolicy, calendar: WorkingCalendar, now: datetime) -> datetime:
    return calendar.add_minutes(_arrival(ticket, now), policy.resolution_minutes + (ticket.paused_minutes or 0))


def sla_apply(ticket: Ticket, *, now: datetime, calendar: WorkingCalendar | None = None) -> None:
    """Choose the policy for `ticket` (first matching in position order; none: no targets) and set
    sla_policy, first_response_due_at and resolution_due_at on the instance, counted from the ticket's arrival
    in business time. Called on create and when priority, category or customer change. Does not save.

    A figure already reached (the first reply, the resolution) keeps its time; whether it met the new target is
    worked out again, and so is a breach flagged by the watch for a due time that has since moved."""
    calendar = calendar or working_calendar()
    policy = policy_for(ticket)
    previous = (ticket.first_response_due_at, ticket.resolution_due_at)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = None
        ticket.resolution_due_at = None
        ticket.first_response_breached = False
        ticket.resolution_breached = False
        return
    arrival = _arrival(ticket, now)
    ticket.first_response_due_at = calendar.add_minutes(arrival, policy.first_response_minutes)
    ticket.resolution_due_at = _resolution_due(ticket, policy, calendar, now)
    responded = ticket.first_responded_at
    ticket.first_response_breached = (responded or now) > ticket.first_response_due_at
    resolved = ticket.resolved_at
    ticket.resolution_breached = (resolved or now) > ticket.resolution_due_at and ticket.paused_at is None
    if (ticket.first_response_due_at, ticket.resolution_due_at) != previous:
        # New due times get their own warning.
        ticket.sla_warned_at = None


def sla_on_first_reply(ticket: Ticket, *, at: datetime, calendar: WorkingCalendar | None = None) -> None:
    """The first reply to the customer: set first_responded_at, first_response_minutes and whether the target
    was missed. Does not save. A later reply changes nothing."""
    if ticket.first_responded_at is not None:
        return
    calendar = calendar or working_calendar()
    ticket.first_responded_at = at
    ticket.first_response_minutes = calendar.minutes_between(_arrival(ticket, at), at)
    if ticket.first_response_due_at is not None:
        ticket.first_response_breached = at > ticket.first_response_due_at
    # The warning and the escalation were for the first response; the resolution target has its own.
    ticket.sla_warned_at = None
    ticket.escalated_at = None


def sla_on_status(ticket: Ticket, *, old: str, new: str, at: datetime, calendar: WorkingCalendar | None = None) -> None:
    """Keep the clocks in step with a status change (waiting for the customer stops the resolution clock;
    resolved stores resolution_minutes and whether it was missed; reopened runs it again). Does not save.

    - into waiting: paused_at = at;
    - out of waiting: the business minutes since paused_at are added to paused_minutes and the resolution due
      time moves by them;
    - resolved (or closed straight from an open status): resolved_at, resolution_minutes (business minutes from
      arrival less the pauses) and resolution_breached;
    - reopened (from resolved or closed to an open status): the time it spent resolved counts as a pause, the
      resolution figures are cleared and the clock runs again with the due time moved on.
    """
    if old == new:
        return
    calendar = calendar or working_calendar()
    arrival = _arrival(ticket, at)
    stopped = 0  # business minutes the clock stood still, ending now
    if old == TicketStatus.WAITING and ticket.paused_at is not None:
        stopped += calendar.minutes_between(ticket.paused_at, at)
        ticket.paused_at = None
    if old in _DONE and new not in _DONE:
        if ticket.resolved_at is not None:
            stopped += calendar.minutes_between(ticket.resolved_at, at)
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.resolution_minutes = None
        ticket.resolution_breached = False
        # The new stretch to resolve it gets its own warning and, if missed, its own escalation.
        ticket.sla_warned_at = None
        ticket.escalated_at = None
    ticket.paused_minutes = (ticket.paused_minutes or 0) + stopped
    if new == TicketStatus.WAITING and old != TicketStatus.WAITING:
        ticket.paused_at = at
    if new in _DONE and old not in _DONE:
        ticket.resolved_at = ticket.resolved_at or at
        worked = calendar.minutes_between(arrival, ticket.resolved_at) - ticket.paused_minutes
        ticket.resolution_minutes = max(worked, 0)
    if new == TicketStatus.CLOSED:
        ticket.closed_at = ticket.closed_at or at
    policy = ticket.sla_policy if ticket.sla_policy_id else None
    if policy is not None:
        ticket.resolution_due_at = _resolution_due(ticket, policy, calendar, at)
    elif ticket.resolution_due_at is not None and stopped:
        # The policy was deleted since; the due time it gave still moves on by the time the clock stood still.
        ticket.resolution_due_at = calendar.add_minutes(ticket.resolution_due_at, stopped)
    if ticket.resolved_at is not None and ticket.resolution_due_at is not None:
        ticket.resolution_breached = ticket.resolved_at > ticket.resolution_due_at
    elif ticket.resolution_due_at is not None and new not in _STOPPED:
        ticket.resolution_breached = at > ticket.resolution_due_at
