"""Automation rules at work: fired after the commit as a background task, matched by conditions in position
order, each action doing what it says, every run logged (done, skipped, failed), loops prevented, and the
"no reply for N hours" check counting business hours and firing once per silence."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks_db.models import DBTaskResult

from factories import CustomerFactory, UserFactory
from peyvand.accounts.models import Notification
from peyvand.customers.models import CustomerEmail
from peyvand.service import automation, tasks
from peyvand.service.automation import automation_fire, automation_no_reply_check
from peyvand.service.automation_engine import automation_running, run_rules
from peyvand.service.automation_rules import (
    automation_rule_create,
    automation_rule_delete,
    automation_rule_update,
    automation_rules_reorder,
)
from peyvand.service.models import (
    AutomationRule,
    AutomationRun,
    CustomerNotification,
    MessageKind,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from peyvand.service.tasks import no_reply_schedule

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def make_rule(admin):
    def make(event="created", actions=None, **data):
        data.setdefault("name", f"rule {event}")
        return automation_rule_create(
            by=admin, data={"event": event, "actions": actions or [{"type": "note", "text": "x"}], **data}
        )

    return make


def fired(event, ticket, django_capture_on_commit_callbacks, data=None):
    with django_capture_on_commit_callbacks(execute=True):
        automation_fire(event, ticket, data=data)
    ticket.refresh_from_db()
    return list(AutomationRun.objects.filter(ticket=ticket).order_by("id"))


# --- firing -------------------------------------------------------------------------------------------------


def test_an_event_runs_the_rules_after_commit_in_a_background_task(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "note", "text": "پیگیری شود"}])
    ticket = make_ticket(customer=customer_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        automation_fire("created", ticket)
    assert not AutomationRun.objects.exists()  # nothing before the commit
    assert len(queued) == 1
    queued[0]()
    [run] = AutomationRun.objects.all()
    assert (run.status, run.event, run.ticket) == ("done", "created", ticket)
    note = TicketMessage.objects.get(ticket=ticket)
    assert (note.kind, note.author, note.body) == (MessageKind.NOTE, None, "پیگیری شود")


def test_with_the_database_queue_the_event_becomes_a_queued_task(
    make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule()
    ticket = make_ticket(customer=customer_a)
    with django_capture_on_commit_callbacks(execute=True):
        automation_fire("created", ticket, data={"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
    task = DBTaskResult.objects.get()
    assert task.task_path == "peyvand.service.automation.run_automation"
    assert task.args_kwargs["args"] == ["created", ticket.pk, {"at": "2026-01-01 00:00:00+00:00"}]
    assert not AutomationRun.objects.exists()


def test_an_event_no_rule_listens_for_queues_nothing(make_ticket, customer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        automation_fire("created", make_ticket(customer=customer_a))
    assert queued == [] and not DBTaskResult.objects.exists()


def test_inactive_rules_and_rules_of_other_events_do_not_run(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(is_active=False)
    make_rule(event="customer_replied")
    assert fired("created", make_ticket(customer=customer_a), django_capture_on_commit_callbacks) == []


def test_an_unknown_event_is_a_programming_error(make_ticket, customer_a):
    with pytest.raises(ValueError):
        automation_fire("exploded", make_ticket(customer=customer_a))


# --- conditions and order -----------------------------------------------------------------------------------


def test_a_rule_whose_conditions_do_not_match_is_logged_skipped(
    immediate, make_rule, make_ticket, customer_a, technical, installation, django_capture_on_commit_callbacks
):
    make_rule(name="complaints", conditions={"kind": ["complaint"]})
    make_rule(name="technical", conditions={"category": [technical.pk], "keywords": ["قطع"]})
    ticket = make_ticket(customer=customer_a, category=installation, subject="اينترنت قطع است")

    runs = fired("created", ticket, django_capture_on_commit_callbacks)

    assert [(run.rule_name, run.status) for run in runs] == [("complaints", "skipped"), ("technical", "done")]
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_customer_tier_and_status_conditions(
    immediate, make_rule, make_ticket, team_a, django_capture_on_commit_callbacks
):
    make_rule(name="gold", conditions={"customer_tier": ["gold"], "status": ["new"]})
    gold = make_ticket(customer=CustomerFactory(team=team_a, tier="gold"))
    silver = make_ticket(customer=CustomerFactory(team=team_a, tier="silver"))
    assert [r.status for r in fired("created", gold, django_capture_on_commit_callbacks)] == ["done"]
    assert [r.status for r in fired("created", silver, django_capture_on_commit_callbacks)] == ["skipped"]


def test_rules_run_in_position_order_and_each_sees_what_the_one_before_did(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    second = make_rule(name="urgent gets a note", conditions={"priority": ["urgent"]}, position=2)
    make_rule(name="raise", actions=[{"type": "set", "field": "priority", "value": "urgent"}], position=1)
    ticket = make_ticket(customer=customer_a)

    runs = fired("created", ticket, django_capture_on_commit_callbacks)

    assert [(run.rule_name, run.status) for run in runs] == [("raise", "done"), (second.name, "done")]
    assert ticket.priority == "urgent"


# --- actions ------------------------------------------------------------------------------------------------


def test_assign_to_a_person_takes_their_team_and_makes_a_new_ticket_assigned(
    immediate, make_rule, make_ticket, customer_a, agent_b, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "assign", "user": agent_b.pk}])
    ticket = make_ticket(customer=customer_a)
    version = ticket.version

    [run] = fired("created", ticket, django_capture_on_commit_callbacks)

    assert (ticket.assignee, ticket.team, ticket.status) == (agent_b, agent_b.team, "assigned")
    assert ticket.version == version + 1
    assert run.detail["actions"] == [{"type": "assign", "changed": True, "team": agent_b.team_id, "user": agent_b.pk}]
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "by"))
    assert kinds == [("assigned", None), ("status", None), ("automation", None), ("notified", None)]


def test_assign_to_another_team_sends_the_ticket_to_its_queue(
    immediate, make_rule, make_ticket, customer_a, agent_a, team_b, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "assign", "team": team_b.pk}])
    ticket = make_ticket(customer=customer_a, assignee=agent_a, status="assigned")
    fired("created", ticket, django_capture_on_commit_callbacks)
    assert (ticket.team, ticket.assignee, ticket.status) == (team_b, None, "assigned")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("priority", "high", "high"), ("status", "in_progress", "in_progress"), ("kind", "complaint", "complaint")],
)
def test_set_changes_a_field_and_writes_history(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks, field, value, expected
):
    make_rule(actions=[{"type": "set", "field": field, "value": value}])
    ticket = make_ticket(customer=customer_a)
    old = getattr(ticket, field)
    fired("created", ticket, django_capture_on_commit_callbacks)
    assert getattr(ticket, field) == expected
    assert TicketEvent.objects.get(ticket=ticket, kind=field).data["to"] == expected
    assert TicketEvent.objects.get(ticket=ticket, kind=field).data["from"] == old


def test_set_category(
    immediate, make_rule, make_ticket, customer_a, billing_category, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "set", "field": "category", "value": billing_category.pk}])
    ticket = make_ticket(customer=customer_a)
    fired("created", ticket, django_capture_on_commit_callbacks)
    assert ticket.category == billing_category


def test_resolving_by_a_rule_stamps_the_resolution(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "set", "field": "status", "value": "resolved"}])
    ticket = make_ticket(customer=customer_a, status="in_progress")
    fired("created", ticket, django_capture_on_commit_callbacks)
    assert ticket.status == "resolved" and ticket.resolved_at is not None


def test_setting_what_is_already_set_changes_nothing(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(actions=[{"type": "set", "field": "priority", "value": "normal"}])
    ticket = make_ticket(customer=customer_a)
    [run] = fired("created", ticket, django_capture_on_commit_callbacks)
    assert run.detail["actions"] == [{"type": "set", "field": "priority", "changed": False}]
    assert ticket.version == 1


def test_notify_staff_reaches_the_assignee_the_team_managers_or_a_chosen_user(
    immediate, make_rule, make_ticket, customer_a, agent_a, manager_a, agent_b, django_capture_on_commit_callbacks
):
    make_rule(
        actions=[
            {"type": "notify_staff", "to": "assignee", "text": "مشتری طلایی"},
            {"type": "notify_staff", "to": "team_managers"},
            {"type": "notify_staff", "to": "user", "user": agent_b.pk, "text": "برای اطلاع"},
        ]
    )
    ticket = make_ticket(customer=customer_a, assignee=agent_a)

    [run] = fired("created", ticket, django_capture_on_commit_callbacks)

    assert [action["users"] for action in run.detail["actions"]] == [[agent_a.pk], [manager_a.pk], [agent_b.pk]]
    notices = {n.user: n for n in Notification.objects.all()}
    assert set(notices) == {agent_a, manager_a, agent_b}
    assert notices[agent_a].body == "مشتری طلایی" and notices[agent_a].kind == "ticket_automation"
    assert ticket.number in notices[manager_a].title
    assert notices[manager_a].body == "rule created"  # no text: the rule's name


def test_notify_customer_sends_the_template(
    immediate, make_rule, make_ticket, customer_a, mailoutbox, django_capture_on_commit_callbacks
):
    CustomerEmail.objects.create(customer=customer_a, email="c@example.com", is_primary=True)
    make_rule(actions=[{"type": "notify_customer", "template": "ticket_received"}])
    ticket = make_ticket(customer=customer_a)

    [run] = fired("created", ticket, django_capture_on_commit_callbacks)

    record = CustomerNotification.objects.get()
    assert (record.template, record.status) == ("ticket_received", "sent")
    assert run.detail["actions"] == [
        {"type": "notify_customer", "template": "ticket_received", "notification": record.pk, "status": "sent"}
    ]
    assert mailoutbox[0].to == ["c@example.com"]


def test_the_customer_hears_what_a_rule_changed_as_if_a_person_had(
    immediate, make_rule, make_ticket, customer_a, agent_a, mailoutbox, django_capture_on_commit_callbacks
):
    CustomerEmail.objects.create(customer=customer_a, email="c@example.com", is_primary=True)
    make_rule(actions=[{"type": "assign", "user": agent_a.pk}, {"type": "set", "field": "status", "value": "waiting"}])
    ticket = make_ticket(customer=customer_a)

    fired("created", ticket, django_capture_on_commit_callbacks)

    sent = list(CustomerNotification.objects.filter(ticket=ticket).order_by("id").values_list("template", "status"))
    assert sent == [("ticket_assigned", "sent"), ("ticket_waiting", "sent")]
    assert len(mailoutbox) == 2 and agent_a.get_full_name() in mailoutbox[0].body


# --- failures and the log ------------------------------------------------------------------------------------


def test_a_failing_action_fails_its_rule_keeps_what_was_done_and_other_rules_still_run(
    immediate, make_rule, make_ticket, customer_a, team_a, django_capture_on_commit_callbacks
):
    leaver = UserFactory(team=team_a)
    broken = make_rule(
        name="broken",
        actions=[
            {"type": "note", "text": "first"},
            {"type": "notify_staff", "to": "user", "user": leaver.pk},
            {"type": "note", "text": "never"},
        ],
    )
    make_rule(name="fine", actions=[{"type": "set", "field": "priority", "value": "high"}])
    leaver.is_active = False
    leaver.save()
    ticket = make_ticket(customer=customer_a)

    runs = fired("created", ticket, django_capture_on_commit_callbacks)

    assert [(run.rule_name, run.status) for run in runs] == [("broken", "failed"), ("fine", "done")]
    failed = runs[0]
    assert failed.rule == broken
    assert failed.detail["actions"] == [{"type": "note", "message": TicketMessage.objects.get().pk}]
    assert failed.detail["error"]["index"] == 1 and failed.detail["error"]["type"] == "notify_staff"
    assert "User" in failed.detail["error"]["error"]
    assert list(TicketMessage.objects.values_list("body", flat=True)) == ["first"]
    assert ticket.priority == "high"


def test_a_deleted_rule_keeps_its_runs_under_its_name(
    immediate, make_rule, make_ticket, customer_a, admin, django_capture_on_commit_callbacks
):
    rule = make_rule(name="gone soon")
    fired("created", make_ticket(customer=customer_a), django_capture_on_commit_callbacks)
    automation_rule_delete(rule=rule, by=admin)
    run = AutomationRun.objects.get()
    assert (run.rule, run.rule_name) == (None, "gone soon")


def test_a_deleted_ticket_is_no_error(make_rule, make_ticket, customer_a):
    make_rule()
    ticket = make_ticket(customer=customer_a)
    pk = ticket.pk
    ticket.delete()
    assert run_rules("created", pk) == []


# --- loops ------------------------------------------------------------------------------------------------------


def test_what_automation_does_fires_no_automation(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(name="start work", actions=[{"type": "set", "field": "status", "value": "in_progress"}])
    make_rule(name="on status", event="status_changed", actions=[{"type": "set", "field": "status", "value": "new"}])
    ticket = make_ticket(customer=customer_a)

    runs = fired("created", ticket, django_capture_on_commit_callbacks)

    assert [run.rule_name for run in runs] == ["start work"]
    assert ticket.status == "in_progress"
    with django_capture_on_commit_callbacks(execute=True) as queued, automation_running():
        automation_fire("status_changed", ticket)
    assert queued == []


def test_a_person_changing_the_status_fires_the_status_rules(
    immediate, make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks
):
    make_rule(name="on status", event="status_changed", conditions={"status": ["waiting"]})
    ticket = make_ticket(customer=customer_a, status="waiting")
    runs = fired("status_changed", ticket, django_capture_on_commit_callbacks, data={"from": "new", "to": "waiting"})
    assert [(run.rule_name, run.status) for run in runs] == [("on status", "done")]
    assert runs[0].detail["data"] == {"from": "new", "to": "waiting"}


# --- no reply ----------------------------------------------------------------------------------------------------


def tehran(*args):
    return dt.datetime(*args, tzinfo=TEHRAN)


# Tuesday 24 November 2026, 14:00 in Tehran: a working day (08:00–16:00).
NOW = tehran(2026, 11, 24, 14, 0)


def test_no_reply_counts_business_hours_and_fires_once_per_silence(make_rule, make_ticket, customer_a):
    four = make_rule(name="4h", event="no_reply", hours=4, actions=[{"type": "note", "text": "بی‌پاسخ"}])
    make_rule(name="8h", event="no_reply", hours=8)
    # Arrived Monday 15:00: 23 wall-clock hours ago, but 1 + 6 = 7 business hours.
    ticket = make_ticket(customer=customer_a, created_at=tehran(2026, 11, 23, 15, 0))

    assert automation_no_reply_check(now=NOW) == 1
    [run] = AutomationRun.objects.all()
    assert (run.rule, run.status, run.once_key) == (four, "done", "2026-11-23T11:30:00+00:00")
    assert run.detail["data"]["business_minutes"] == 7 * 60
    # Looking again finds the same silence: nothing more.
    assert automation_no_reply_check(now=NOW + dt.timedelta(minutes=30)) == 0
    # At 8 business hours the second rule fires, once.
    assert automation_no_reply_check(now=tehran(2026, 11, 24, 15, 0)) == 1
    assert automation_no_reply_check(now=tehran(2026, 11, 24, 15, 30)) == 0
    assert AutomationRun.objects.filter(ticket=ticket).count() == 2

    # The customer writes again: a new silence, counted from their message.
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=tehran(2026, 11, 25, 9, 0))
    assert automation_no_reply_check(now=tehran(2026, 11, 25, 12, 0)) == 0  # three hours only
    assert automation_no_reply_check(now=tehran(2026, 11, 25, 13, 0)) == 1
    assert AutomationRun.objects.filter(once_key="2026-11-25T05:30:00+00:00").count() == 1


def test_no_reply_does_not_fire_once_staff_replied_or_the_ticket_is_closed(make_rule, make_ticket, customer_a):
    make_rule(event="no_reply", hours=1)
    answered = make_ticket(customer=customer_a, created_at=tehran(2026, 11, 24, 8, 0))
    Ticket.objects.filter(pk=answered.pk).update(last_staff_reply_at=tehran(2026, 11, 24, 9, 0))
    make_ticket(customer=customer_a, created_at=tehran(2026, 11, 24, 8, 0), status="resolved")
    waiting_since_reply = make_ticket(customer=customer_a, created_at=tehran(2026, 11, 24, 8, 0))
    Ticket.objects.filter(pk=waiting_since_reply.pk).update(
        last_staff_reply_at=tehran(2026, 11, 24, 9, 0), last_customer_message_at=tehran(2026, 11, 24, 10, 0)
    )

    assert automation_no_reply_check(now=NOW) == 1
    assert AutomationRun.objects.get().ticket_id == waiting_since_reply.pk


def test_no_reply_respects_the_rule_conditions_without_logging_the_rest(make_rule, make_ticket, customer_a):
    make_rule(event="no_reply", hours=1, conditions={"priority": ["urgent"]})
    normal = make_ticket(customer=customer_a, created_at=tehran(2026, 11, 24, 8, 0))
    assert automation_no_reply_check(now=NOW) == 0
    assert not AutomationRun.objects.exists()
    Ticket.objects.filter(pk=normal.pk).update(priority="urgent")
    assert automation_no_reply_check(now=NOW) == 1


def test_no_reply_is_never_fired_directly(make_rule, make_ticket, customer_a, django_capture_on_commit_callbacks):
    make_rule(event="no_reply", hours=1)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        automation_fire("no_reply", make_ticket(customer=customer_a))
    assert queued == []


def test_the_no_reply_check_is_scheduled_once_per_period(settings):
    settings.PEYVAND_NO_REPLY_CHECK_SECONDS = 600
    first = no_reply_schedule(now=NOW)
    assert first is not None
    assert no_reply_schedule(now=NOW + dt.timedelta(minutes=5)) is None
    assert DBTaskResult.objects.get().task_path == "peyvand.service.tasks.no_reply_check_task"
    settings.PEYVAND_NO_REPLY_CHECK_SECONDS = 0
    assert no_reply_schedule(now=NOW + dt.timedelta(hours=1)) is None


def test_the_no_reply_task_runs_the_check(immediate, make_rule, make_ticket, customer_a, monkeypatch):
    calls = []
    monkeypatch.setattr(automation, "automation_no_reply_check", lambda: calls.append(1) or 0)
    assert tasks.no_reply_check_task.enqueue().return_value == 0
    assert calls == [1]


# --- the rules' services --------------------------------------------------------------------------------------


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_only_an_administrator_changes_rules(manager_a, agent_a, make_rule):
    rule = make_rule()
    for user in (manager_a, agent_a):
        with pytest.raises(PermissionDenied):
            automation_rule_create(by=user, data={"name": "x", "event": "created", "actions": []})
        with pytest.raises(PermissionDenied):
            automation_rule_update(rule=rule, by=user, data={"name": "y"})
        with pytest.raises(PermissionDenied):
            automation_rule_delete(rule=rule, by=user)
    assert AutomationRule.objects.get().name == rule.name


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "explode"}, "actions.0.type"),
        ("note", "actions.0"),
        ({"type": "note"}, "actions.0.text"),
        ({"type": "note", "text": "x", "colour": "red"}, "actions.0.colour"),
        ({"type": "assign"}, "actions.0"),
        ({"type": "assign", "team": 999999}, "actions.0.team"),
        ({"type": "assign", "user": "abc"}, "actions.0.user"),
        ({"type": "set", "field": "subject", "value": "x"}, "actions.0.field"),
        ({"type": "set", "field": "priority", "value": "whenever"}, "actions.0.value"),
        ({"type": "set", "field": "category", "value": 999999}, "actions.0.value"),
        ({"type": "notify_staff", "to": "everyone"}, "actions.0.to"),
        ({"type": "notify_staff", "to": "user"}, "actions.0.user"),
        ({"type": "notify_customer", "template": "ticket_exploded"}, "actions.0.template"),
    ],
)
def test_a_malformed_action_is_refused_with_the_reason(admin, action, field):
    with pytest.raises(ValidationError) as excinfo:
        automation_rule_create(by=admin, data={"name": "r", "event": "created", "actions": [action]})
    assert field in errors_of(excinfo)
    assert not AutomationRule.objects.exists()


def test_assigning_a_person_outside_the_named_team_is_refused(admin, team_b, agent_a):
    with pytest.raises(ValidationError) as excinfo:
        automation_rule_create(
            by=admin,
            data={
                "name": "r",
                "event": "created",
                "actions": [{"type": "assign", "team": team_b.pk, "user": agent_a.pk}],
            },
        )
    assert "actions.0.user" in errors_of(excinfo)


def test_a_rule_needs_a_name_an_event_and_actions(admin):
    with pytest.raises(ValidationError) as excinfo:
        automation_rule_create(by=admin, data={"event": "someday", "actions": [], "colour": 1})
    assert {"name", "event", "actions", "colour"} <= set(errors_of(excinfo))


def test_no_reply_needs_hours_and_only_it_takes_them(admin, make_rule):
    with pytest.raises(ValidationError) as excinfo:
        automation_rule_create(
            by=admin, data={"name": "r", "event": "no_reply", "actions": [{"type": "note", "text": "x"}]}
        )
    assert "hours" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        make_rule(event="created", hours=3)
    assert "hours" in errors_of(excinfo)
    rule = make_rule(event="no_reply", hours=3)
    # Changed to another event, its hours go.
    rule = automation_rule_update(rule=rule, by=admin, data={"event": "created"})
    assert rule.hours is None


def test_conditions_are_checked_with_the_one_condition_language(admin, make_rule, technical):
    with pytest.raises(ValidationError) as excinfo:
        make_rule(conditions={"colour": ["red"], "priority": ["whenever"]})
    assert len(errors_of(excinfo)["conditions"]) == 2
    rule = make_rule(conditions={"category": [str(technical.pk)], "keywords": ["  قطعي "], "status": "waiting"})
    assert rule.conditions == {"category": [technical.pk], "keywords": ["قطعی"], "status": ["waiting"]}


def test_actions_are_stored_in_their_one_form(make_rule, agent_a, technical):
    rule = make_rule(
        actions=[
            {"type": "assign", "user": str(agent_a.pk)},
            {"type": "set", "field": "category", "value": str(technical.pk)},
            {"type": "notify_staff", "to": "assignee", "text": "  "},
            {"type": "note", "text": "  سلام  "},
        ]
    )
    assert rule.actions == [
        {"type": "assign", "user": agent_a.pk},
        {"type": "set", "field": "category", "value": technical.pk},
        {"type": "notify_staff", "to": "assignee"},
        {"type": "note", "text": "سلام"},
    ]


def test_rules_are_numbered_in_order_and_can_be_reordered(admin, make_rule):
    a, b, c = make_rule(name="a"), make_rule(name="b"), make_rule(name="c")
    assert [a.position, b.position, c.position] == [1, 2, 3]
    automation_rules_reorder(by=admin, ids=[c.pk, a.pk, b.pk])
    assert list(AutomationRule.objects.values_list("name", flat=True)) == ["c", "a", "b"]
    with pytest.raises(ValidationError):
        automation_rules_reorder(by=admin, ids=[c.pk, a.pk])


def test_an_update_is_partial_and_checked_whole(admin, make_rule):
    rule = make_rule(name="before")
    rule = automation_rule_update(rule=rule, by=admin, data={"name": "after", "is_active": False})
    assert (rule.name, rule.is_active, rule.event) == ("after", False, "created")
    with pytest.raises(ValidationError):
        automation_rule_update(rule=rule, by=admin, data={"actions": [{"type": "note"}]})
    rule.refresh_from_db()
    assert rule.actions == [{"type": "note", "text": "x"}]
