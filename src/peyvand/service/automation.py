"""Automation: rules run when something happens to a ticket (event → conditions → actions), as background
tasks, every run logged.

The engine is in service.automation_engine, the rules' checking and saving in service.automation_rules. Here:
automation_fire (what the ticket services call), the background task that runs the rules, and the periodic
"no reply for N hours" check (queued by service.tasks.no_reply_schedule, for `peyvand worker`).

Loop protection: what automation itself does never fires automation events. While rules run, automation_fire
does nothing, so a rule that sets a status does not start the "status changed" rules, and no chain of rules can
call itself. (A person's later change fires the rules again as usual.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from peyvand.service.automation_engine import rules_for, run_rules, running
from peyvand.service.calendar import working_calendar
from peyvand.service.conditions import TicketFacts, compile_conditions
from peyvand.service.models import (
    OPEN_STATUSES,
    AutomationEvent,
    AutomationRule,
    AutomationRun,
    Ticket,
)

__all__ = [
    "automation_fire",
    "automation_no_reply_check",
    "run_automation",
]

# The no-reply check looks at this many candidate tickets at a time.
BATCH = 500


def automation_fire(event: str, ticket: Ticket, *, data: dict[str, Any] | None = None) -> None:
    """Say that `event` (AutomationEvent) happened to `ticket`: the active rules for it run after the current
    transaction commits, in a background task. Does nothing while automation itself is running (loop
    protection) or when no active rule listens for the event."""
    if event not in AutomationEvent.values:
        raise ValueError(f"Unknown automation event {event!r}")
    if running.get() or event == AutomationEvent.NO_REPLY:
        return  # NO_REPLY is found by the periodic check, never fired
    if not AutomationRule.objects.filter(is_active=True, event=event).exists():
        return
    # The task's arguments are stored as JSON: dates and the like become text.
    payload = json.loads(json.dumps(data or {}, default=str))
    ticket_id = ticket.pk
    transaction.on_commit(lambda: run_automation.enqueue(event, ticket_id, payload))


@task()
def run_automation(event: str, ticket_id: int, data: dict[str, Any]) -> int:
    """Run the active rules of `event` on the ticket (service.automation_engine.run_rules); returns the number
    of rules whose actions ran."""
    runs = run_rules(event, ticket_id, data=data)
    return sum(1 for run in runs if run.status != "skipped")


def automation_no_reply_check(*, now: datetime | None = None) -> int:
    """Fire the NO_REPLY rules on every open ticket the customer has been waiting on for the rule's hours of
    business time: since their last message (or the ticket's arrival) there has been no reply from staff.

    Once per silence: the run's once_key is the moment the silence began, so a rule fires once however often
    this runs, and again only after the customer writes again. Tickets that do not match a rule's conditions
    are not logged (they may still match later in the same silence). Returns the number of runs made."""
    now = now or timezone.now()
    rules = rules_for(AutomationEvent.NO_REPLY)
    if not rules:
        return 0
    calendar = working_calendar()
    matchers = {rule.pk: compile_conditions(rule.conditions) for rule in rules}
    # Business hours are never shorter than wall-clock hours, so a silence younger than the shortest rule in
    # wall-clock time cannot qualify: the database leaves those out.
    shortest = min(rule.hours or 1 for rule in rules)
    tickets = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .annotate(silence_since=Coalesce("last_customer_message_at", "created_at"))
        .filter(silence_since__lte=now - timedelta(hours=shortest))
        .filter(Q(last_staff_reply_at__isnull=True) | Q(last_staff_reply_at__lt=F("silence_since")))
        .select_related("customer", "category")
        .order_by("id")
    )
    made = 0
    last_id = 0
    while True:
        batch = list(tickets.filter(id__gt=last_id)[:BATCH])
        if not batch:
            break
        last_id = batch[-1].pk
        keys = {ticket.pk: _once_key(ticket.silence_since) for ticket in batch}
        done = set(
            AutomationRun.objects.filter(
                event=AutomationEvent.NO_REPLY, ticket_id__in=list(keys), rule_id__in=list(matchers)
            ).values_list("rule_id", "ticket_id", "once_key")
        )
        for ticket in batch:
            since: datetime = ticket.silence_since
            facts = TicketFacts.of(ticket)
            pending = [
                rule
                for rule in rules
                if rule.hours and (rule.pk, ticket.pk, keys[ticket.pk]) not in done and matchers[rule.pk](facts)
            ]
            if not pending:
                continue  # every rule fired for this silence already (the usual case): no calendar sums
            silent = calendar.minutes_between(since, now)
            due = [rule for rule in pending if silent >= (rule.hours or 0) * 60]
            if due:
                made += len(
                    run_rules(
                        AutomationEvent.NO_REPLY,
                        ticket.pk,
                        data={"silent_since": since.isoformat(), "business_minutes": silent},
                        rules=due,
                        once_key=keys[ticket.pk],
                        log_skipped=False,
                    )
                )
    return made


def _once_key(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
