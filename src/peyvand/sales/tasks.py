"""Sales work that runs in the background (`peyvand worker`): sending the reminders that are due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResult, task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

# The PostgreSQL advisory lock that serialises "are reminders due?" among workers (the bytes of "pvremind").
REMINDER_SCHEDULE_LOCK = 0x7076_7265_6D69_6E64
# Finished runs are kept this long (one a minute would otherwise fill the task table), then removed.
KEEP_FINISHED = timedelta(days=1)


@task()
def send_reminders_task() -> dict[str, int]:
    """Send the reminders that are due (sales.services.reminders.reminders_send); `peyvand worker` queues it
    every PEYVAND_REMINDER_CHECK_SECONDS (reminders_schedule)."""
    from peyvand.sales.services.reminders import reminders_send

    return reminders_send()


def reminders_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, int]] | None:
    """Queue the reminder run unless one is waiting in the queue or was queued within the last
    PEYVAND_REMINDER_CHECK_SECONDS; returns the queued task's result, or None.

    As with the duplicate scan's schedule, the task table is the memory and the decision is taken again under
    a lock, so several workers queue one run between them; and each run sends a reminder once however many
    run at the same time (the rows are claimed, see reminders_send).
    """
    send = send_reminders_task.using(backend=backend)
    if not isinstance(send.get_backend(), DatabaseBackend):
        return None  # the schedule is kept in the database queue
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.PEYVAND_REMINDER_CHECK_SECONDS)
    runs = DBTaskResult.objects.filter(task_path=send.module_path, backend_name=backend)
    recent = runs.filter(Q(status=TaskResultStatus.READY) | Q(enqueued_at__gt=since))
    if recent.exists():
        return None
    db = DBTaskResult.objects.db
    with exclusive_transaction(db):
        if connections[db].vendor == "postgresql":
            with connections[db].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REMINDER_SCHEDULE_LOCK])
        if recent.exists():
            return None
        runs.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=now - KEEP_FINISHED
        ).delete()
        return send.enqueue()
