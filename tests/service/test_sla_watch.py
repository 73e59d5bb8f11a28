"""The SLA watch the worker runs every minute: warnings, breaches, escalation, closing resolved tickets, each
once however often it runs; and its place in the worker's schedule."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tasks_db.models import DBTaskResult

from factories import UserFactory
from peyvand.accounts.models import Notification, Role
from peyvand.core.jalali import parse_date
from peyvand.core.management.commands import worker as worker_command
from peyvand.service.models import SlaPolicy, TicketEvent, TicketStatus
from peyvand.service.sla import sla_apply
from peyvand.service.sla_watch import _breach, _breach_candidates, _warn, close_resolved, sla_watch, team_managers
from peyvand.service.tasks import service_watch_schedule, sla_watch_task

TEHRAN = ZoneInfo("Asia/Tehran")


def at(jalali: str, clock: str = "08:00") -> datetime:
    return datetime.combine(parse_date(jalali), time.fromisoformat(clock), TEHRAN)


SATURDAY = "1405/02/12"


@pytest.fixture
def fired(monkeypatch):
    """The automation events the watch fires, as (event, ticket id, data)."""
    calls = []
    monkeypatch.setattr(
        "peyvand.service.sla_watch.automation_fire",
        lambda event, ticket, data=None: calls.append((event, ticket.pk, data)),
    )
    return calls


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(name="عادی", first_response_minutes=60, resolution_minutes=480, warn_percent=80)


@pytest.fixture
def manager_b(team_b):
    return UserFactory(username="manager_b", role=Role.MANAGER, team=team_b)


@pytest.fixture
def sla_ticket(make_ticket, policy, customer_a, agent_a):
    """A ticket of team A assigned to agent A that arrived on Saturday at 08:00: first reply due 09:00,
    resolution 16:00; the first-response warning point is 08:48 (80% of an hour)."""

    def make(**fields):
        fields.setdefault("assignee", agent_a)
        fields.setdefault("status", TicketStatus.ASSIGNED)
        ticket = make_ticket(customer=customer_a, created_at=at(SATURDAY), **fields)
        sla_apply(ticket, now=at(SATURDAY))
        ticket.save()
        return ticket

    return make


def notices(user, kind):
    return Notification.objects.filter(user=user, kind=kind)


def test_the_assignee_is_warned_once_when_the_warning_point_passes(sla_ticket, agent_a, fired):
    ticket = sla_ticket()
    assert sla_watch(now=at(SATURDAY, "08:47"))["warned"] == 0
    assert sla_watch(now=at(SATURDAY, "08:48"))["warned"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_warned_at == at(SATURDAY, "08:48")
    assert notices(agent_a, "sla_warning").count() == 1
    event = TicketEvent.objects.get(ticket=ticket, kind="sla_warning")
    assert event.data["target"] == "first_response"
    assert fired == [("sla_warning", ticket.pk, event.data)]
    # The next runs find nothing more to say.
    assert sla_watch(now=at(SATURDAY, "08:49"))["warned"] == 0
    assert notices(agent_a, "sla_warning").count() == 1


def test_an_unassigned_ticket_warns_the_teams_managers(sla_ticket, manager_a, agent_a, fired):
    sla_ticket(assignee=None)
    sla_watch(now=at(SATURDAY, "08:50"))
    assert notices(manager_a, "sla_warning").count() == 1
    assert not notices(agent_a, "sla_warning").exists()


def test_the_warning_point_is_counted_in_business_time(make_ticket, policy, agent_a, fired):
    # Arrived Wednesday 15:50: ten minutes that day, fifty on Thursday morning; the warning point (48 minutes
    # in) is Thursday 08:38, not a wall-clock 48 minutes later on Wednesday evening.
    ticket = make_ticket(created_at=at("1405/02/09", "15:50"), assignee=agent_a, status=TicketStatus.ASSIGNED)
    sla_apply(ticket, now=at("1405/02/09", "15:50"))
    ticket.save()
    assert ticket.first_response_due_at == at("1405/02/10", "08:50")
    assert sla_watch(now=at("1405/02/09", "16:38"))["warned"] == 0
    assert sla_watch(now=at("1405/02/10", "08:37"))["warned"] == 0
    assert sla_watch(now=at("1405/02/10", "08:38"))["warned"] == 1


def test_a_missed_first_response_is_flagged_and_escalated_to_the_policys_team(
    sla_ticket, policy, team_b, manager_a, manager_b, agent_a, fired
):
    policy.escalate_to = team_b
    policy.save()
    ticket = sla_ticket()
    version = ticket.version
    counts = sla_watch(now=at(SATURDAY, "09:01"))
    assert counts["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert ticket.escalated_at == at(SATURDAY, "09:01")
    assert ticket.team == team_b
    assert ticket.assignee is None  # agent A is not in team B: the ticket waits in team B's queue
    assert ticket.version == version + 1
    assert notices(manager_b, "sla_escalation").count() == 1
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["sla_breach", "escalated"]
    escalated = TicketEvent.objects.get(ticket=ticket, kind="escalated")
    assert escalated.data["to"] == team_b.pk
    assert (
        "sla_breached",
        ticket.pk,
        {"target": "first_response", "due_at": ticket.first_response_due_at.isoformat()},
    ) in fired
    # Once: later runs neither flag nor escalate again.
    assert sla_watch(now=at(SATURDAY, "09:30"))["breached"] == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert notices(manager_b, "sla_escalation").count() == 1


def test_without_an_escalation_team_the_ticket_stays_and_its_managers_are_told(sla_ticket, team_a, manager_a, fired):
    ticket = sla_ticket()
    sla_watch(now=at(SATURDAY, "09:01"))
    ticket.refresh_from_db()
    assert ticket.team == team_a and ticket.assignee is not None
    assert notices(manager_a, "sla_escalation").count() == 1


def test_a_missed_resolution_after_the_first_reply_is_escalated_again(sla_ticket, manager_a, fired):
    ticket = sla_ticket()
    sla_watch(now=at(SATURDAY, "09:01"))
    ticket.refresh_from_db()
    # The reply came late; the escalation was for the first response, so the resolution has its own.
    ticket.first_responded_at = at(SATURDAY, "09:10")
    ticket.escalated_at = None
    ticket.sla_warned_at = None
    ticket.save()
    assert sla_watch(now=at(SATURDAY, "14:24"))["warned"] == 1  # 96 minutes (20%) left of 480
    assert sla_watch(now=at(SATURDAY, "16:01"))["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.resolution_breached
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").count() == 2


def test_a_ticket_waiting_for_the_customer_is_neither_warned_nor_breached_on_resolution(sla_ticket, fired):
    ticket = sla_ticket(first_responded_at=at(SATURDAY, "08:30"))
    ticket.status = TicketStatus.WAITING
    ticket.paused_at = at(SATURDAY, "09:00")
    ticket.save()
    counts = sla_watch(now=at("1405/02/14", "10:00"))
    assert counts == {"warned": 0, "breached": 0, "closed": 0}
    ticket.refresh_from_db()
    assert not ticket.resolution_breached


def test_answered_and_resolved_tickets_are_left_alone(sla_ticket, fired):
    sla_ticket(
        first_responded_at=at(SATURDAY, "08:10"), status=TicketStatus.RESOLVED, resolved_at=at(SATURDAY, "09:00")
    )
    assert sla_watch(now=at(SATURDAY, "17:00")) == {"warned": 0, "breached": 0, "closed": 0}
    assert not fired


def test_a_ticket_another_worker_claimed_is_not_warned_twice(sla_ticket, agent_a, fired):
    ticket = sla_ticket()
    assert _warn(ticket.pk, "first_response", at(SATURDAY, "08:50")) is True
    assert _warn(ticket.pk, "first_response", at(SATURDAY, "08:50")) is False
    assert notices(agent_a, "sla_warning").count() == 1


def test_a_breach_another_worker_handled_meanwhile_is_not_escalated_twice(sla_ticket, manager_a, fired):
    ticket = sla_ticket()
    now = at(SATURDAY, "09:01")
    # One worker reads the overdue tickets; before it claims them another worker's run handles them all.
    seen = _breach_candidates("first_response", now)
    assert seen == [ticket.pk]
    sla_watch(now=now)
    assert [_breach(pk, "first_response", now) for pk in seen] == [False]
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").count() == 1
    assert notices(manager_a, "sla_escalation").count() == 1
    assert [event for event, _pk, _data in fired].count("sla_breached") == 1


def test_resolved_tickets_are_closed_after_the_configured_days(make_ticket, fired):
    old = make_ticket(status=TicketStatus.RESOLVED, resolved_at=at(SATURDAY) - timedelta(days=8))
    recent = make_ticket(status=TicketStatus.RESOLVED, resolved_at=at(SATURDAY) - timedelta(days=6))
    assert close_resolved(now=at(SATURDAY)) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == TicketStatus.CLOSED and old.closed_at == at(SATURDAY) and old.version == 2
    assert recent.status == TicketStatus.RESOLVED
    assert TicketEvent.objects.get(ticket=old, kind="status").data["to"] == "closed"
    assert ("status_changed", old.pk, {"from": "resolved", "to": "closed", "reason": "no_reply"}) in fired
    assert close_resolved(now=at(SATURDAY)) == 0


def test_zero_days_never_closes_resolved_tickets(make_ticket, fired):
    from peyvand.service.services.settings import service_settings

    config = service_settings()
    config.close_resolved_after_days = 0
    config.save()
    make_ticket(status=TicketStatus.RESOLVED, resolved_at=at(SATURDAY) - timedelta(days=300))
    assert close_resolved(now=at(SATURDAY)) == 0


def test_team_managers_falls_back_to_the_parent_team_then_the_administrators(team_a, team_a_sub, manager_a, admin):
    assert team_managers(team_a_sub) == [manager_a]
    assert team_managers(team_a) == [manager_a]
    manager_a.role = Role.AGENT
    manager_a.save()
    assert team_managers(team_a_sub) == [admin]


# --- the schedule -----------------------------------------------------------------------------------------


def test_the_watch_is_queued_once_a_minute(db):
    now = at(SATURDAY, "10:00")
    first = service_watch_schedule(now=now)
    assert first is not None
    assert service_watch_schedule(now=now + timedelta(seconds=30)) is None
    assert DBTaskResult.objects.filter(task_path=sla_watch_task.module_path).count() == 1


def test_the_worker_asks_for_the_service_desk_watch(monkeypatch):
    asked = []
    monkeypatch.setattr(worker_command, "duplicate_scan_schedule", lambda backend: None)
    monkeypatch.setattr(worker_command, "ranking_schedule", lambda backend: None)
    monkeypatch.setattr(worker_command, "reminders_schedule", lambda backend: None)
    monkeypatch.setattr(worker_command, "service_watch_schedule", lambda backend: asked.append(("watch", backend)))
    monkeypatch.setattr(worker_command, "no_reply_schedule", lambda backend: asked.append(("no_reply", backend)))
    worker_command.Schedule(backend_name="default", clock=lambda: 0.0).tick()
    assert asked == [("watch", "default"), ("no_reply", "default")]


def test_the_queued_task_runs_the_watch(sla_ticket, agent_a, fired, monkeypatch):
    sla_ticket()
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(SATURDAY, "08:55"))
    assert sla_watch_task.call() == {"warned": 1, "breached": 0, "closed": 0}


def test_a_ticket_that_fails_does_not_hold_back_the_others(sla_ticket, agent_a, fired, monkeypatch):
    from peyvand.service import sla_watch as watch

    broken, fine = sla_ticket(), sla_ticket()
    real = watch.ticket_event

    def fail_for_one(ticket, kind, **kwargs):
        if ticket.pk == broken.pk:
            raise RuntimeError("disk full")
        return real(ticket, kind, **kwargs)

    monkeypatch.setattr(watch, "ticket_event", fail_for_one)
    assert sla_watch(now=at(SATURDAY, "08:50"))["warned"] == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    # The failed ticket's claim was rolled back with it: the next run tries it again.
    assert broken.sla_warned_at is None and fine.sla_warned_at is not None
    monkeypatch.setattr(watch, "ticket_event", real)
    assert sla_watch(now=at(SATURDAY, "08:51"))["warned"] == 1
