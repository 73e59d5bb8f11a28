"""Background work of messenger bots: polling getUpdates for the bots that have no webhook, and fetching the files
that came with messages. SCHEDULES lists what `peyvand worker` queues when it is due (see
peyvand.comms.schedules)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

log = logging.getLogger(__name__)

# Runs are queued every few seconds: finished ones are kept this long, then removed.
KEEP_FINISHED = timedelta(hours=6)


@task()
def bots_poll_task() -> int:
    """One round of polling every bot that receives by polling; returns how many updates were new."""
    from peyvand.comms.bots.inbound import bot_poll, polling_accounts

    new = 0
    for account in polling_accounts():
        try:
            new += bot_poll(account=account)
        except Exception:
            # One bot's failure (its database rows, a bug) must not stop the others; it is retried next round.
            log.exception("Polling the bot %s failed", account.pk)
    return new


def bots_poll_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    """Queue a polling round every PEYVAND_BOT_POLL_SECONDS (default 5; 0 turns polling off), when some bot
    receives by polling."""
    from peyvand.comms.bots.inbound import polling_accounts

    seconds = int(getattr(settings, "PEYVAND_BOT_POLL_SECONDS", 5))
    if seconds <= 0 or not polling_accounts():
        return None
    return queue_when_due(
        bots_poll_task, every=timedelta(seconds=seconds), now=now, backend=backend, keep_finished=KEEP_FINISHED
    )


# How often files waiting to be fetched are looked at (each file has its own back-off on top).
FILES_EVERY = timedelta(seconds=10)


@task()
def bots_files_task() -> int:
    """Fetch the messenger files that are due; returns how many were fetched."""
    from peyvand.comms.bots.files import incoming_files_fetch_due

    return incoming_files_fetch_due(limit=50)


def bots_files_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    """Queue a round of file fetching every few seconds while some file is due."""
    from peyvand.comms.bots.files import incoming_files_due

    if not incoming_files_due(now).exists():
        return None
    return queue_when_due(bots_files_task, every=FILES_EVERY, now=now, backend=backend, keep_finished=KEEP_FINISHED)


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [
    ("bots.poll", bots_poll_schedule),
    ("bots.files", bots_files_schedule),
]
