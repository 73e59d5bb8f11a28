"""Background work of this channel; SCHEDULES lists what `peyvand worker` queues when it is due
(see peyvand.comms.schedules): ending the calls whose hang-up never came."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

CLOSE_STALE_EVERY = timedelta(minutes=15)
KEEP_FINISHED = timedelta(days=1)


@task()
def close_stale_calls_task() -> int:
    from peyvand.comms.telephony.services import calls_close_stale

    return calls_close_stale()


def close_stale_calls_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    return queue_when_due(
        close_stale_calls_task, every=CLOSE_STALE_EVERY, now=now, backend=backend, keep_finished=KEEP_FINISHED
    )


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [("telephony_close_stale_calls", close_stale_calls_schedule)]
