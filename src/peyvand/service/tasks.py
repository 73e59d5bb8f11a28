"""The service desk's periodic background work (`peyvand worker`): the SLA watch every minute, which also closes
resolved tickets the customer left alone. Every periodic service task lives here."""

from __future__ import annotations

from datetime import datetime, timedelta

from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

# The watch looks once a minute: a warning or a breach is noticed within a minute of its time.
WATCH_EVERY = timedelta(minutes=1)
# Finished runs are kept this long (one a minute would otherwise fill the task table), then removed.
KEEP_FINISHED = timedelta(days=1)


@task()
def sla_watch_task() -> dict[str, int]:
    """One pass of the SLA watch (service.sla_watch.sla_watch): warnings, breaches and escalations, closing
    resolved tickets; `peyvand worker` queues it every minute (service_watch_schedule)."""
    from peyvand.service.sla_watch import sla_watch

    return sla_watch()


def service_watch_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, int]] | None:
    """Queue the SLA watch unless a run is waiting, or was queued, started or finished within the last minute;
    returns the queued run's result, or None. Several workers queue one run between them
    (core.periodic.queue_when_due), and each ticket is handled once however many runs overlap (claimed rows)."""
    return queue_when_due(sla_watch_task, every=WATCH_EVERY, now=now, backend=backend, keep_finished=KEEP_FINISHED)


# --- automation: the "no reply for N hours" rules ---------------------------------------------------------------


@task()
def no_reply_check_task() -> int:
    """One pass of the no-reply check (service.automation.automation_no_reply_check): fires the NO_REPLY rules
    on the tickets whose customers have waited their hours; `peyvand worker` queues it (no_reply_schedule)."""
    from peyvand.service.automation import automation_no_reply_check

    return automation_no_reply_check()


def no_reply_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    """Queue the no-reply check unless a run is waiting or ran within the last PEYVAND_NO_REPLY_CHECK_SECONDS
    (default 300; 0 turns it off). Each silence fires a rule once however many runs overlap (the run's once_key
    is unique), so an extra run costs a query, never a second message."""
    from django.conf import settings

    seconds = int(getattr(settings, "PEYVAND_NO_REPLY_CHECK_SECONDS", 300))
    if seconds <= 0:
        return None
    return queue_when_due(
        no_reply_check_task, every=timedelta(seconds=seconds), now=now, backend=backend, keep_finished=KEEP_FINISHED
    )
