"""Background work of e-mail: polling the IMAP mailboxes every PEYVAND_MAIL_POLL_SECONDS, and the "poll now" an
administrator asks for; SCHEDULES lists what `peyvand worker` queues when it is due (see peyvand.comms.schedules)."""

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
    """PEYVAND_MAIL_POLL_SECONDS (default 60; 0 turns polling off)."""
    return int(getattr(settings, "PEYVAND_MAIL_POLL_SECONDS", 60))


@task()
def mail_poll_task() -> dict[str, Any]:
    """One poll of every active mailbox that has an IMAP server; what each brought, by account id."""
    from peyvand.comms.mail.imap import mailbox_poll, mailboxes_to_poll

    results = [mailbox_poll(account) for account in mailboxes_to_poll()]
    return {str(r.account_id): {"fetched": r.fetched, "stored": r.stored, "error": r.error} for r in results}


@task()
def mailbox_poll_now_task(account_ids: list[int]) -> dict[str, Any]:
    """The polls an administrator asked for (a task of its own, so that asking never delays the schedule's poll
    of the other mailboxes); a mailbox already being polled is left to that poll."""
    from peyvand.comms.mail.imap import mailbox_poll
    from peyvand.comms.models import Channel, ChannelAccount

    accounts = ChannelAccount.objects.filter(pk__in=account_ids, channel=Channel.EMAIL).order_by("id")
    results = [mailbox_poll(account) for account in accounts]
    return {str(r.account_id): {"fetched": r.fetched, "stored": r.stored, "error": r.error} for r in results}


def mail_poll_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, Any]] | None:
    """Queue the mailbox poll unless a run is waiting or ran within the last PEYVAND_MAIL_POLL_SECONDS; several
    workers queue one run between them (core.periodic.queue_when_due), and a mail fetched by two overlapping
    runs is stored once."""
    seconds = poll_seconds()
    if seconds <= 0:
        return None
    return queue_when_due(
        mail_poll_task, every=timedelta(seconds=seconds), now=now, backend=backend, keep_finished=KEEP_FINISHED
    )


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [("mailbox poll", mail_poll_schedule)]
