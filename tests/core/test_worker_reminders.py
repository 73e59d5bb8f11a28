"""`peyvand worker` queues the reminder run every PEYVAND_REMINDER_CHECK_SECONDS, once among several workers,
and the queued run sends what is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from peyvand.accounts.models import Notification
from peyvand.core.management.commands import worker as worker_command
from peyvand.sales.services.activities import activity_create
from peyvand.sales.tasks import KEEP_FINISHED, reminders_schedule, send_reminders_task

pytestmark = pytest.mark.django_db

SEND = send_reminders_task.module_path


def runs():
    return DBTaskResult.objects.filter(task_path=SEND)


def test_it_queues_a_run_when_none_is_waiting():
    assert reminders_schedule() is not None
    assert list(runs().values_list("status", flat=True)) == [TaskResultStatus.READY]


def test_a_run_waiting_in_the_queue_is_not_queued_again():
    reminders_schedule()
    assert reminders_schedule(now=timezone.now() + timedelta(hours=1)) is None
    assert runs().count() == 1


def test_it_waits_for_the_interval_after_a_run(settings):
    settings.PEYVAND_REMINDER_CHECK_SECONDS = 60
    first = reminders_schedule()
    runs().filter(id=first.id).update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    assert reminders_schedule(now=timezone.now() + timedelta(seconds=30)) is None
    assert reminders_schedule(now=timezone.now() + timedelta(seconds=61)) is not None
    assert runs().count() == 2


def test_old_finished_runs_are_removed_when_a_run_is_queued():
    old = reminders_schedule()
    long_ago = timezone.now() - KEEP_FINISHED - timedelta(hours=1)
    runs().filter(id=old.id).update(status=TaskResultStatus.SUCCESSFUL, enqueued_at=long_ago, finished_at=long_ago)
    assert reminders_schedule() is not None
    assert runs().count() == 1
    assert not runs().filter(id=old.id).exists()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_worker_checks_reminders_on_their_own_interval(settings, monkeypatch):
    settings.PEYVAND_REMINDER_CHECK_SECONDS = 10
    checked: list[str] = []
    monkeypatch.setattr(worker_command, "duplicate_scan_schedule", lambda **kw: checked.append("scan"))
    monkeypatch.setattr(worker_command, "reminders_schedule", lambda **kw: checked.append("reminders"))
    clock = Clock()
    schedule = worker_command.Schedule(backend_name="default", clock=clock)
    assert schedule.wait_seconds == 10
    assert schedule.tick() is True
    assert checked == ["scan", "reminders"]
    clock.now += 9
    assert schedule.tick() is False
    clock.now += 2
    assert schedule.tick() is True
    assert checked == ["scan", "reminders", "reminders"]
    clock.now += 50
    schedule.tick()
    assert checked[-2:] == ["scan", "reminders"]


def test_a_failed_reminder_check_does_not_stop_the_duplicate_scan(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(worker_command, "reminders_schedule", broken)
    assert worker_command.Schedule(backend_name="default").tick() is True
    assert DBTaskResult.objects.filter(task_path__endswith="scan_duplicates_task").count() == 1


def test_a_batch_worker_queues_and_runs_the_reminders(agent_a, monkeypatch):
    # As in the duplicate scan's test: no signal handlers left behind, and the test's connection kept open.
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    activity_create(
        by=agent_a,
        data={"subject": "جلسه", "due_at": timezone.now() + timedelta(minutes=5), "remind_minutes_before": 10},
    )
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    row = runs().get()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value["activities"] == 1
    assert Notification.objects.get(user=agent_a).kind == "activity_reminder"
