"""SLA clocks as the ticket pages show them: business time left (or over) before each target, and a colour."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.service.calendar import working_calendar
from peyvand.service.models import Ticket, TicketStatus

# A clock is "near" when this share of its business time (or less) is left.
NEAR_SHARE = 0.25


# --- SLA clocks -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """An SLA target as a page shows it: business minutes left (or over), and a state for its colour."""

    label: str
    due: dt.datetime | None
    state: str  # none, met, missed, ok, near, over
    minutes: int = 0

    @property
    def css(self) -> str:
        return {"ok": "success", "near": "warning", "over": "danger", "missed": "danger", "met": "secondary"}.get(
            self.state, "light"
        )

    @property
    def hours(self) -> str:
        return f"{self.minutes // 60}:{self.minutes % 60:02d}"


def _clock(
    label: str,
    *,
    start: dt.datetime,
    due: dt.datetime | None,
    done: dt.datetime | None,
    now: dt.datetime,
    calendar: Any,
    breached: bool,
) -> Clock:
    if due is None:
        return Clock(label, None, "none")
    if done is not None:
        return Clock(label, due, "missed" if breached or done > due else "met")
    if now >= due:
        return Clock(label, due, "over", calendar.minutes_between(due, now))
    left = calendar.minutes_between(now, due)
    span = max(calendar.minutes_between(start, due), 1)
    return Clock(label, due, "near" if left <= span * NEAR_SHARE else "ok", left)


def ticket_clocks(ticket: Ticket, *, now: dt.datetime | None = None, calendar: Any = None) -> dict[str, Clock]:
    """The first-response and resolution clocks of a ticket, in business time."""
    now = now or timezone.now()
    calendar = calendar or working_calendar()
    closed = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    response = _clock(
        _("First response"),
        start=ticket.created_at,
        due=ticket.first_response_due_at,
        done=ticket.first_responded_at,
        now=now,
        calendar=calendar,
        breached=ticket.first_response_breached,
    )
    if ticket.status == TicketStatus.WAITING and ticket.resolution_due_at and not closed:
        resolution = Clock(_("Resolution"), ticket.resolution_due_at, "paused")
    else:
        resolution = _clock(
            _("Resolution"),
            start=ticket.created_at,
            due=ticket.resolution_due_at,
            done=ticket.resolved_at if closed else None,
            now=now,
            calendar=calendar,
            breached=ticket.resolution_breached,
        )
    return {"response": response, "resolution": resolution}


def queue_clock(ticket: Ticket, now: dt.datetime, calendar: Any) -> Clock:
    clocks = ticket_clocks(ticket, now=now, calendar=calendar)
    if ticket.first_responded_at is None and clocks["response"].due is not None:
        return clocks["response"]
    return clocks["resolution"]
