"""Periodic background work: queue a task when it is due, once among however many workers ask.

`peyvand worker` asks every so often for each periodic task (the duplicate scan, the reminders, the customer
ranking); each asks through `queue_when_due`. The task queue's own table is the schedule's memory, so there is
no table of its own and a run queued by hand (or from cron) counts too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResult
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction


def schedule_lock(task_path: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit number) that serialises "is this task due?" among workers;
    taken from the task's path, so each periodic task has its own and nothing needs to be registered."""
    digest = hashlib.blake2b(f"peyvand.periodic:{task_path}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def queue_when_due(
    task: Task[Any, Any],
    *,
    every: timedelta,
    now: datetime | None = None,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    keep_finished: timedelta | None = None,
) -> TaskResult[Any] | None:
    """Queue `task` unless a run of it is waiting in the queue, or was queued, started or finished within the
    last `every`; returns the queued run's result, or None.

    Several workers on one database queue one run between them: the decision is taken again inside a
    transaction that holds a lock (an advisory lock on PostgreSQL; on SQLite an exclusive transaction, SQLite
    having one writer at a time), so the second worker sees the first one's row. A run left "running" by a
    worker that died counts only for `every` after it started, so a crash never stops the schedule.
    `keep_finished`: finished runs older than this are removed when a new one is queued (a task run every
    minute would otherwise fill the task table).
    """
    bound = task.using(backend=backend)
    if not isinstance(bound.get_backend(), DatabaseBackend):
        return None  # the schedule is kept in the database queue; other backends have their own scheduler, or none
    now = now or timezone.now()
    since = now - every
    runs = DBTaskResult.objects.filter(task_path=bound.module_path, backend_name=backend)
    recent = runs.filter(
        Q(status=TaskResultStatus.READY)
        | Q(enqueued_at__gte=since)
        | Q(started_at__gte=since)
        | Q(finished_at__gte=since)
    )
    # Checked once without a lock first: that is the answer nearly every time, and it takes no lock.
    if recent.exists():
        return None
    db = DBTaskResult.objects.db
    with exclusive_transaction(db):
        if connections[db].vendor == "postgresql":
            with connections[db].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [schedule_lock(bound.module_path)])
        if recent.exists():
            return None
        if keep_finished is not None:
            runs.filter(
                status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
                finished_at__lt=now - keep_finished,
            ).delete()
        return bound.enqueue()
