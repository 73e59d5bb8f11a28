"""`peyvand worker` queues the periodic duplicate scan: once per interval, once among several workers."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from peyvand.core.management.commands import worker as worker_command
from peyvand.customers.duplicates import duplicate_scan_schedule, scan_duplicates_task

pytestmark = pytest.mark.django_db

SCAN = scan_duplicates_task.module_path


def scans():
    return DBTaskResult.objects.filter(task_path=SCAN)


def finish(result_id, *, at):
    scans().filter(id=result_id).update(status=TaskResultStatus.SUCCESSFUL, started_at=at, finished_at=at)


def test_it_queues_a_scan_when_none_has_run():
    queued = duplicate_scan_schedule()
    assert queued is not None
    assert list(scans().values_list("status", "queue_name")) == [(TaskResultStatus.READY, "default")]


def test_two_checks_in_a_row_queue_one_scan():
    assert duplicate_scan_schedule() is not None
    assert duplicate_scan_schedule() is None
    assert scans().count() == 1


def test_it_waits_for_the_interval_after_a_scan(settings):
    settings.PEYVAND_DUPLICATE_SCAN_HOURS = 24
    first = duplicate_scan_schedule()
    finish(first.id, at=timezone.now())
    assert duplicate_scan_schedule(now=timezone.now() + timedelta(hours=23)) is None
    assert duplicate_scan_schedule(now=timezone.now() + timedelta(hours=25)) is not None
    assert scans().count() == 2


def test_a_scan_queued_by_hand_counts():
    scan_duplicates_task.enqueue()
    assert duplicate_scan_schedule() is None
    assert scans().count() == 1


def test_a_scan_still_waiting_in_the_queue_is_not_queued_again():
    duplicate_scan_schedule()
    assert duplicate_scan_schedule(now=timezone.now() + timedelta(days=10)) is None


def test_a_scan_left_running_by_a_dead_worker_does_not_stop_the_schedule():
    first = duplicate_scan_schedule()
    started = timezone.now()
    scans().filter(id=first.id).update(status=TaskResultStatus.RUNNING, started_at=started)
    assert duplicate_scan_schedule(now=started + timedelta(hours=1)) is None
    assert duplicate_scan_schedule(now=started + timedelta(hours=25)) is not None


def test_zero_hours_turns_the_schedule_off(settings):
    settings.PEYVAND_DUPLICATE_SCAN_HOURS = 0
    assert duplicate_scan_schedule() is None
    assert not scans().exists()


def test_the_queued_scan_runs_and_records_its_figures(manager_a, monkeypatch):
    # The worker's signal handlers would otherwise stay on in the test process, and end it on the next signal.
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    # Between tasks the worker closes connections not in autocommit; the test's connection is inside the
    # test's transaction, so on PostgreSQL it would be closed under the test (a real worker is in autocommit).
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    from peyvand.customers import services

    for name in ("یک", "دو"):
        services.customer_create(by=manager_a, data={"last_name": name, "phones": [{"number": "09121234567"}]})
    duplicate_scan_schedule()
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    row = scans().get()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == {"certain": 1, "probable": 0, "created": 0, "updated": 0, "closed": 0}


# --- the worker -----------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_worker_checks_at_most_once_a_minute():
    clock = Clock()
    schedule = worker_command.Schedule(backend_name="default", clock=clock)
    assert schedule.tick() is True
    assert scans().count() == 1
    clock.now += 59
    assert schedule.tick() is False
    clock.now += 2
    assert schedule.tick() is True
    # Checked again, but a scan is already queued.
    assert scans().count() == 1


def test_a_busy_sqlite_database_skips_a_check_instead_of_stopping_the_worker(monkeypatch):
    from django.db import OperationalError

    def busy(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(worker_command, "duplicate_scan_schedule", busy)
    assert worker_command.Schedule(backend_name="default").tick() is True


def test_a_failed_check_does_not_stop_a_batch_worker(idle_worker, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(worker_command, "duplicate_scan_schedule", broken)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(idle_worker) == 1


@pytest.fixture
def idle_worker(monkeypatch):
    """The database worker's loop and signal handlers replaced, so that the command returns at once."""
    runs = []
    monkeypatch.setattr(Worker, "run", lambda self: runs.append(self))
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    return runs


def test_the_worker_command_starts_the_schedule(idle_worker, monkeypatch):
    started = []
    monkeypatch.setattr(worker_command.Schedule, "start", lambda self: started.append(self.backend_name))
    call_command("worker", "--no-startup-delay", "--no-reload", verbosity=0)
    assert started == ["default"]
    assert len(idle_worker) == 1


def test_a_batch_worker_queues_a_due_scan_before_draining_the_queue(idle_worker):
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert scans().count() == 1
    assert len(idle_worker) == 1


def test_the_schedule_thread_checks_until_stopped(monkeypatch):
    checked = threading.Event()
    monkeypatch.setattr(worker_command.Schedule, "tick", lambda self: checked.set() or True)
    stop = worker_command.Schedule(backend_name="default").start()
    try:
        assert checked.wait(timeout=5)
    finally:
        stop.set()
