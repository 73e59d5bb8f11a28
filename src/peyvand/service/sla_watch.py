"""The SLA watch the worker runs every minute: warnings before a target is missed, breach flags and escalation
when it is, and closing resolved tickets the customer left alone.

Each ticket is handled once however many workers run: a ticket is claimed with a conditional UPDATE (… WHERE
sla_warned_at IS NULL, … WHERE first_response_breached = false) before anyone is told, and only the worker
whose UPDATE changed the row carries on, as the sales reminders do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.services import notify_user
from peyvand.core.jalali import format_datetime
from peyvand.service.automation import automation_fire
from peyvand.service.calendar import WorkingCalendar, working_calendar
from peyvand.service.models import OPEN_STATUSES, SlaPolicy, Ticket, TicketStatus
from peyvand.service.services.history import ticket_event
from peyvand.service.services.settings import service_settings

__all__ = ["close_resolved", "sla_watch", "team_managers"]

logger = logging.getLogger(__name__)

# Tickets handled per kind and run; the next run, a minute later, takes the rest.
BATCH = 500
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
# The clock runs in these (waiting for the customer stops the resolution clock).
_RUNNING = [status for status in OPEN_STATUSES if status != TicketStatus.WAITING]


def team_managers(team: Team | None) -> list[User]:
    """Who answers for a team: its own managers, else the managers of the nearest team above it, else the
    administrators."""
    if team is not None:
        ancestors = [int(pk) for pk in team.path.strip("/").split("/") if pk.isdigit()] or [team.pk]
        for team_id in reversed(ancestors):
            managers = list(User.objects.filter(team_id=team_id, role=Role.MANAGER, is_active=True).order_by("id"))
            if managers:
                return managers
    return list(User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("id"))


def _ticket_url(ticket: Ticket) -> str:
    try:
        return reverse("service:ticket_detail", args=[ticket.pk])
    except NoReverseMatch:
        return ""


def _target_label(target: str) -> str:
    return _("first response") if target == FIRST_RESPONSE else _("resolution")


def _tell(people: Iterable[User], *, kind: str, title: str, body: str, url: str) -> None:
    for person in people:
        if person.is_active:
            notify_user(user=person, kind=kind, title=title, body=body, url=url, email=True)


def _pending(target: str) -> QuerySet[Ticket]:
    """Tickets whose `target` is still to be met, with the clock running; the filters match the partial
    indexes ticket_response_due and ticket_resolution_due."""
    if target == FIRST_RESPONSE:
        return Ticket.objects.filter(
            first_responded_at__isnull=True, first_response_due_at__isnull=False, status__in=OPEN_STATUSES
        )
    return Ticket.objects.filter(
        resolved_at__isnull=True, resolution_due_at__isnull=False, paused_at__isnull=True, status__in=_RUNNING
    )


def _due_field(target: str) -> str:
    return "first_response_due_at" if target == FIRST_RESPONSE else "resolution_due_at"


def _warn_candidates(target: str, now: datetime, calendar: WorkingCalendar) -> list[int]:
    """Tickets past their warning point and not yet warned. The warning point is where (100 - warn_percent)%
    of the target is left in business time: a due time no later than that many business minutes from now."""
    due = _due_field(target)
    minutes_field = "first_response_minutes" if target == FIRST_RESPONSE else "resolution_minutes"
    ids: list[int] = []
    pending = _pending(target).filter(sla_warned_at__isnull=True, **{f"{due}__gt": now})
    if target == RESOLUTION:
        # The first response is warned about first; its warning stands for the ticket until the reply.
        pending = pending.filter(first_responded_at__isnull=False) | pending.filter(first_response_due_at__isnull=True)
    for policy in SlaPolicy.objects.filter(pk__in=pending.values("sla_policy_id")):
        left = getattr(policy, minutes_field) * (100 - policy.warn_percent) // 100
        horizon = calendar.add_minutes(now, left)
        rows = pending.filter(sla_policy=policy, **{f"{due}__lte": horizon}).order_by(due, "id")
        ids.extend(rows.values_list("pk", flat=True)[:BATCH])
    return ids


def _warn(pk: int, target: str, now: datetime) -> bool:
    with transaction.atomic():
        claimed = _pending(target).filter(pk=pk, sla_warned_at__isnull=True).update(sla_warned_at=now)
        if claimed != 1:
            return False  # another worker has it, or it was answered meanwhile
        ticket = Ticket.objects.select_related("assignee", "team", "sla_policy").get(pk=pk)
        due = getattr(ticket, _due_field(target))
        data = {"target": target, "due_at": due.isoformat()}
        ticket_event(ticket, "sla_warning", data=data)
        people = [ticket.assignee] if ticket.assignee is not None and ticket.assignee.is_active else []
        _tell(
            people or team_managers(ticket.team),
            kind="sla_warning",
            title=_("SLA near: %(number)s %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
            body=_("The %(target)s is due at %(when)s.")
            % {"target": _target_label(target), "when": format_datetime(due)},
            url=_ticket_url(ticket),
        )
        automation_fire("sla_warning", ticket, data=data)
    return True


def _breach_candidates(target: str, now: datetime) -> list[int]:
    flag = "first_response_breached" if target == FIRST_RESPONSE else "resolution_breached"
    due = _due_field(target)
    rows = _pending(target).filter(**{flag: False, f"{due}__lt": now}).order_by(due, "id")
    return list(rows.values_list("pk", flat=True)[:BATCH])


def _breach(pk: int, target: str, now: datetime) -> bool:
    flag = "first_response_breached" if target == FIRST_RESPONSE else "resolution_breached"
    due_field = _due_field(target)
    with transaction.atomic():
        claimed = _pending(target).filter(pk=pk, **{flag: False, f"{due_field}__lt": now}).update(**{flag: True})
        if claimed != 1:
            return False
        ticket = Ticket.objects.select_related("assignee", "team", "sla_policy").get(pk=pk)
        due = getattr(ticket, due_field)
        data: dict[str, Any] = {"target": target, "due_at": due.isoformat()}
        ticket_event(ticket, "sla_breach", data=data)
        _escalate(ticket, target=target, now=now)
        automation_fire("sla_breached", ticket, data=data)
    return True


def _escalate(ticket: Ticket, *, target: str, now: datetime) -> None:
    """Once per due time: move the ticket to the policy's escalation team (if it names one, and the ticket is
    not there already) and tell that team's managers."""
    if not Ticket.objects.filter(pk=ticket.pk, escalated_at__isnull=True).update(escalated_at=now):
        return
    policy = ticket.sla_policy
    old_team = ticket.team
    moved = policy is not None and policy.escalate_to_id is not None and policy.escalate_to_id != ticket.team_id
    if moved:
        assert policy is not None
        # A real change of hands: the version moves on, so a form opened before it cannot move the ticket back.
        changes: dict[str, Any] = {"team_id": policy.escalate_to_id, "version": F("version") + 1, "updated_at": now}
        if ticket.assignee is not None and ticket.assignee.team_id != policy.escalate_to_id:
            changes["assignee"] = None
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        ticket.refresh_from_db()
    ticket_event(
        ticket,
        "escalated",
        data={
            "target": target,
            "from": old_team.pk if old_team is not None else None,
            "to": ticket.team_id,
        },
    )
    _tell(
        team_managers(ticket.team),
        kind="sla_escalation",
        title=_("SLA missed: %(number)s %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
        body=(
            _("The %(target)s was due at %(when)s. The ticket was moved to your team.")
            if moved
            else _("The %(target)s was due at %(when)s.")
        )
        % {"target": _target_label(target), "when": format_datetime(getattr(ticket, _due_field(target)))},
        url=_ticket_url(ticket),
    )


def close_resolved(*, now: datetime | None = None) -> int:
    """Close the tickets resolved more than ServiceSettings.close_resolved_after_days ago (calendar days; 0
    never); returns how many."""
    now = now or timezone.now()
    days = service_settings().close_resolved_after_days
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    due = Ticket.objects.filter(status=TicketStatus.RESOLVED, resolved_at__lt=cutoff).order_by("resolved_at", "id")
    closed = 0
    for pk in list(due.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            claimed = Ticket.objects.filter(pk=pk, status=TicketStatus.RESOLVED).update(
                status=TicketStatus.CLOSED, closed_at=now, version=F("version") + 1, updated_at=now
            )
            if claimed != 1:
                continue
            ticket = Ticket.objects.get(pk=pk)
            data = {"from": TicketStatus.RESOLVED, "to": TicketStatus.CLOSED, "reason": "no_reply"}
            ticket_event(ticket, "status", data=data)
            automation_fire("status_changed", ticket, data=data)
            closed += 1
    return closed


def _each(handle: Callable[[int, str, datetime], bool], ids: list[int], target: str, now: datetime) -> int:
    """Handle each ticket on its own: one that fails (logged, its claim rolled back with its transaction) must
    not hold back the others, then or in later runs."""
    done = 0
    for pk in ids:
        try:
            done += handle(pk, target, now)
        except Exception:
            logger.exception("The SLA watch failed on ticket %s (%s)", pk, target)
    return done


def sla_watch(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of the watch at `now` (default: now); returns how many tickets got each treatment. Written in
    the site's language (the notices are stored as text); each part is guarded on its own."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0, "closed": 0}
    with translation.override(settings.LANGUAGE_CODE):
        calendar = working_calendar()
        for target in (FIRST_RESPONSE, RESOLUTION):
            try:
                counts["breached"] += _each(_breach, _breach_candidates(target, now), target, now)
                counts["warned"] += _each(_warn, _warn_candidates(target, now, calendar), target, now)
            except Exception:
                logger.exception("The SLA watch (%s) failed", target)
        try:
            counts["closed"] = close_resolved(now=now)
        except Exception:
            logger.exception("Closing resolved tickets failed")
    return counts
