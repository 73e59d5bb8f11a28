"""Sales work that runs in the background (`peyvand worker`): sending the reminders that are due, and
rebuilding the customer ranking every night."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

# Finished reminder runs are kept this long (one a minute would otherwise fill the task table), then removed.
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
    """Queue the reminder run unless one is waiting in the queue or was queued, started or finished within the
    last PEYVAND_REMINDER_CHECK_SECONDS; returns the queued task's result, or None.

    Several workers queue one run between them (core.periodic.queue_when_due), and each run sends a reminder
    once however many run at the same time (the rows are claimed, see reminders_send).
    """
    every = timedelta(seconds=settings.PEYVAND_REMINDER_CHECK_SECONDS)
    return queue_when_due(send_reminders_task, every=every, now=now, backend=backend, keep_finished=KEEP_FINISHED)


@task()
def rank_customers_task() -> int:
    """Rebuild every customer's value figures and rank (sales.services.customer_value.ranking_recompute);
    `peyvand worker` queues it every PEYVAND_RANKING_HOURS, `peyvand rank_customers` runs it at once."""
    from peyvand.sales.services.customer_value import ranking_recompute

    return ranking_recompute()


def ranking_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    """Queue the ranking rebuild if none is waiting, or was queued, started or finished within the last
    PEYVAND_RANKING_HOURS (0 turns the schedule off); returns the queued task's result, or None."""
    hours: int = settings.PEYVAND_RANKING_HOURS
    if hours <= 0:
        return None
    return queue_when_due(
        rank_customers_task, every=timedelta(hours=hours), now=now, backend=backend, keep_finished=timedelta(days=30)
    )
