"""The automation engine: the active rules of an event tried in position order against a ticket, the actions of
each matching rule done in order, and one AutomationRun written for every rule tried."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.services import notify_user
from peyvand.service import sla
from peyvand.service.conditions import TicketFacts, compile_conditions
from peyvand.service.models import (
    AutomationEvent,
    AutomationRule,
    AutomationRun,
    AutomationRunStatus,
    MessageKind,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.services.history import ticket_event

__all__ = ["automation_running", "rules_for", "run_rules", "running"]

# Set while rules run. Actions done by automation never fire automation events again (see automation_fire):
# a rule that sets a status does not start the status-change rules, so rules cannot call each other in a loop.
running: contextvars.ContextVar[bool] = contextvars.ContextVar("peyvand_automation_running", default=False)

# What a status change moves besides the status (the SLA clocks, see sla.sla_on_status).
_STATUS_FIELDS = [
    "status",
    "resolved_at",
    "closed_at",
    "resolution_minutes",
    "resolution_breached",
    "resolution_due_at",
    "sla_warned_at",
    "escalated_at",
    "paused_at",
    "paused_minutes",
    "reopen_count",
]
# What sla_apply sets when the priority or the category changes.
# What sla_apply may change (kept in step with service.sla).
_SLA_FIELDS = [
    "sla_policy",
    "first_response_due_at",
    "resolution_due_at",
    "first_response_breached",
    "resolution_breached",
    "sla_warned_at",
]
_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@contextmanager
def automation_running() -> Iterator[None]:
    token = running.set(True)
    try:
        yield
    finally:
        running.reset(token)


def rules_for(event: str) -> list[AutomationRule]:
    return list(AutomationRule.objects.filter(is_active=True, event=event).order_by("position", "id"))


def _ticket(pk: int) -> Ticket:
    return Ticket.objects.select_related("customer", "category", "assignee", "team").get(pk=pk)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("category").get(pk=ticket.pk)


def _save(ticket: Ticket, fields: Sequence[str]) -> None:
    """Write `fields` and the next version: a person editing the ticket meanwhile gets the usual conflict
    (409) rather than silently undoing what the rule did."""
    values = {}
    for name in dict.fromkeys(fields):
        # A foreign key is written by its column (the id), whichever name the caller used.
        attname = getattr(Ticket._meta.get_field(name), "attname", name)
        values[attname] = getattr(ticket, attname)
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(**values, version=F("version") + 1, updated_at=now)
    ticket.version += 1
    ticket.updated_at = now


def ticket_path(ticket: Ticket) -> str:
    """The ticket's page for staff (empty if the ticket pages are not installed)."""
    for name in ("service:ticket_detail", "service:ticket"):
        try:
            return reverse(name, args=[ticket.pk])
        except NoReverseMatch:
            continue
    return ""


def _tell_customer_later(ticket: Ticket, template: str) -> None:
    """What a rule changes, the customer hears as if a person had changed it (assigned, waiting, resolved)."""
    from peyvand.service import notify

    transaction.on_commit(lambda: notify.notify_customer(ticket=ticket, template=template))


# --- the actions: each takes the locked ticket and the action as saved, and says what it did ---------------


def _assign(ticket: Ticket, action: dict[str, Any], rule: AutomationRule) -> dict[str, Any]:
    team = Team.objects.get(pk=action["team"]) if action.get("team") else None
    user = User.objects.select_related("team").get(pk=action["user"], is_active=True) if action.get("user") else None
    before = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    if team is not None:
        ticket.team = team
        if user is None and ticket.assignee_id is not None:
            # The ticket moves to another team's queue: whoever had it may no longer be able to see it.
            holder = User.objects.select_related("team").get(pk=ticket.assignee_id)
            if holder.team is None or not holder.team.path.startswith(team.path):
                ticket.assignee = None
    if user is not None:
        ticket.assignee = user
        if team is None and user.team_id is not None:
            ticket.team = user.team
    fields = ["team", "assignee"]
    old_status = ticket.status
    if ticket.assignee_id is not None and ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.ASSIGNED
        fields.append("status")
    after = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    if after == before and ticket.status == old_status:
        return {"type": "assign", "changed": False}
    _save(ticket, fields)
    ticket_event(ticket, "assigned", data={"from": before, "to": after, "rule": rule.pk})
    if ticket.status != old_status:
        ticket_event(ticket, "status", data={"from": old_status, "to": ticket.status, "rule": rule.pk})
    if ticket.assignee_id is not None and ticket.assignee_id != before["assignee"]:
        _tell_customer_later(ticket, "ticket_assigned")
    return {"type": "assign", "changed": True, "team": after["team"], "user": after["assignee"]}


def _set(ticket: Ticket, action: dict[str, Any], rule: AutomationRule) -> dict[str, Any]:
    field, value = action["field"], action["value"]
    now = timezone.now()
    if field == "category":
        category = TicketCategory.objects.get(pk=value)
        old: Any = ticket.category_id
        if old == category.pk:
            return {"type": "set", "field": field, "changed": False}
        ticket.category = category
        sla.sla_apply(ticket, now=now)
        _save(ticket, ["category", *_SLA_FIELDS])
    else:
        old = getattr(ticket, field)
        if old == value:
            return {"type": "set", "field": field, "changed": False}
        setattr(ticket, field, value)
        fields = [field]
        if field == "priority":
            sla.sla_apply(ticket, now=now)
            fields += _SLA_FIELDS
        elif field == "status":
            _change_status(ticket, old=old, new=value, at=now)
            fields += _STATUS_FIELDS
        _save(ticket, fields)
    ticket_event(ticket, field, data={"from": old, "to": value, "rule": rule.pk})
    if field == "status" and value == TicketStatus.WAITING:
        _tell_customer_later(ticket, "ticket_waiting")
    if field == "status" and value == TicketStatus.RESOLVED:
        from peyvand.service import satisfaction

        # Resolved by a rule is resolved: the customer hears it and is asked what they thought, as after any
        # resolution.
        _tell_customer_later(ticket, "ticket_resolved")
        transaction.on_commit(lambda: satisfaction.satisfaction_request(ticket))
    return {"type": "set", "field": field, "changed": True, "from": old, "to": value}


def _change_status(ticket: Ticket, *, old: str, new: str, at: datetime) -> None:
    sla.sla_on_status(ticket, old=old, new=new, at=at)
    if new == TicketStatus.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = at
    if new == TicketStatus.CLOSED and ticket.closed_at is None:
        ticket.closed_at = at
    if old in _DONE and new not in _DONE:
        ticket.resolved_at = ticket.closed_at = None
        if new == TicketStatus.REOPENED:
            ticket.reopen_count += 1


def _note(ticket: Ticket, action: dict[str, Any], rule: AutomationRule) -> dict[str, Any]:
    message = TicketMessage.objects.create(ticket=ticket, kind=MessageKind.NOTE, body=action["text"], author=None)
    ticket_event(ticket, "message", data={"id": message.pk, "kind": MessageKind.NOTE, "rule": rule.pk})
    return {"type": "note", "message": message.pk}


def _notify_staff(ticket: Ticket, action: dict[str, Any], rule: AutomationRule) -> dict[str, Any]:
    to = action["to"]
    people: list[User]
    if to == "assignee":
        people = list(User.objects.filter(pk=ticket.assignee_id, is_active=True)) if ticket.assignee_id else []
    elif to == "team_managers":
        people = (
            list(User.objects.filter(team_id=ticket.team_id, role=Role.MANAGER, is_active=True).order_by("id"))
            if ticket.team_id
            else []
        )
    else:
        people = [User.objects.get(pk=action["user"], is_active=True)]
    title = _("Ticket %(number)s: %(subject)s") % {"number": ticket.number, "subject": ticket.subject}
    body = action.get("text") or rule.name
    for person in people:
        notify_user(user=person, kind="ticket_automation", title=title, body=body, url=ticket_path(ticket), email=True)
    return {"type": "notify_staff", "to": to, "users": [person.pk for person in people]}


def _notify_customer(ticket: Ticket, action: dict[str, Any], rule: AutomationRule) -> dict[str, Any]:
    from peyvand.service import notify

    record = notify.notify_customer(ticket=ticket, template=action["template"])
    if record is None:
        return {"type": "notify_customer", "template": action["template"], "notification": None}
    return {
        "type": "notify_customer",
        "template": action["template"],
        "notification": record.pk,
        "status": record.status,
    }


ACTIONS: dict[str, Callable[[Ticket, dict[str, Any], AutomationRule], dict[str, Any]]] = {
    "assign": _assign,
    "set": _set,
    "note": _note,
    "notify_staff": _notify_staff,
    "notify_customer": _notify_customer,
}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(message) for message in exc.messages)[:500]
    if isinstance(exc, ObjectDoesNotExist):
        return _("Something the action names no longer exists (%(what)s).") % {
            "what": type(exc).__qualname__.split(".")[0]
        }
    return f"{type(exc).__name__}: {exc}"[:500]


def _run_one(
    rule: AutomationRule, ticket: Ticket, *, event: str, data: dict[str, Any], once_key: str
) -> AutomationRun | None:
    """Do `rule`'s actions on `ticket` and log the run; None when the run with this once_key was made already
    (another worker claimed it). A failing action ends this rule's run (failed, with what was done before it),
    and each action is its own transaction, so what was done stays done and is logged as such."""
    try:
        with transaction.atomic():
            # The run is written first: with a once_key it is the claim that stops a second worker.
            run = AutomationRun.objects.create(
                rule=rule,
                rule_name=rule.name,
                ticket=ticket,
                event=event,
                once_key=once_key,
                status=AutomationRunStatus.DONE,
            )
    except IntegrityError:
        return None
    done: list[dict[str, Any]] = []
    failure: dict[str, Any] | None = None
    for index, action in enumerate(rule.actions):
        kind = action.get("type") if isinstance(action, dict) else None
        try:
            if kind not in ACTIONS:
                raise ValidationError(_("Unknown action “%(type)s”.") % {"type": kind})
            with transaction.atomic():
                done.append(ACTIONS[kind](_locked(ticket), action, rule))
        except Exception as exc:
            failure = {"index": index, "type": kind, "error": _error_text(exc)}
            break
    run.status = AutomationRunStatus.FAILED if failure else AutomationRunStatus.DONE
    run.detail = {"actions": done, **({"error": failure} if failure else {}), **({"data": data} if data else {})}
    run.save(update_fields=["status", "detail"])
    ticket_event(
        ticket,
        "automation",
        data={"rule": rule.pk, "name": rule.name, "event": event, "run": run.pk, "status": run.status},
    )
    return run


def run_rules(
    event: str,
    ticket_id: int,
    *,
    data: dict[str, Any] | None = None,
    rules: Sequence[AutomationRule] | None = None,
    once_key: str = "",
    log_skipped: bool = True,
) -> list[AutomationRun]:
    """Run the active rules of `event` (or the `rules` given) on the ticket, in position order. Each rule sees
    the ticket as the rules before it left it. A rule whose conditions do not match is logged "skipped" (unless
    `log_skipped` is false); one that matches does its actions."""
    if event not in AutomationEvent.values:
        raise ValueError(f"Unknown automation event {event!r}")
    rules = rules_for(event) if rules is None else rules
    runs: list[AutomationRun] = []
    if not rules:
        return runs
    try:
        ticket = _ticket(ticket_id)
    except Ticket.DoesNotExist:
        return runs  # deleted since the event: nothing to do
    with automation_running(), translation.override(settings.LANGUAGE_CODE):
        for rule in rules:
            if not compile_conditions(rule.conditions)(TicketFacts.of(ticket)):
                if log_skipped:
                    runs.append(
                        AutomationRun.objects.create(
                            rule=rule,
                            rule_name=rule.name,
                            ticket=ticket,
                            event=event,
                            once_key=once_key,
                            status=AutomationRunStatus.SKIPPED,
                        )
                    )
                continue
            run = _run_one(rule, ticket, event=event, data=data or {}, once_key=once_key)
            if run is not None:
                runs.append(run)
                if run.detail.get("actions"):
                    ticket = _ticket(ticket_id)
    return runs
