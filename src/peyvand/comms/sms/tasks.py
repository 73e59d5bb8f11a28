"""Background work of SMS: asking the gateways for the delivery status of sent messages every
PEYVAND_SMS_STATUS_POLL_SECONDS; SCHEDULES lists what `peyvand worker` queues when it is due (see
peyvand.comms.schedules)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

# Finished runs are kept this long (one a minute would otherwise fill the task table), then removed.
KEEP_FINISHED = timedelta(days=1)


def poll_seconds() -> int:
    """PEYVAND_SMS_STATUS_POLL_SECONDS (default 60; 0 turns delivery-status polling off everywhere)."""
    return int(getattr(settings, "PEYVAND_SMS_STATUS_POLL_SECONDS", 60))


@task()
def sms_status_poll_task() -> dict[str, Any]:
    """One run of delivery-status polling over every SMS account that has it on; what each came to, by
    account id."""
    from peyvand.comms.sms.polling import poll_all

    return {
        str(r.account_id): {
            "asked": r.asked,
            "delivered": r.delivered,
            "undelivered": r.undelivered,
            "error": r.error,
        }
        for r in poll_all()
    }


def sms_status_poll_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, Any]] | None:
    """Queue the polling unless a run is waiting or ran within the last PEYVAND_SMS_STATUS_POLL_SECONDS (one
    run among all workers: core.periodic.queue_when_due). How often each message is asked about is the
    polling's own business (PEYVAND_SMS_STATUS_MINUTES)."""
    seconds = poll_seconds()
    if seconds <= 0:
        return None
    return queue_when_due(
        sms_status_poll_task, every=timedelta(seconds=seconds), now=now, backend=backend, keep_finished=KEEP_FINISHED
    )


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [("sms delivery status", sms_status_poll_schedule)]
