"""Background work of web forms: once a day, spam older than PEYVAND_WEBFORMS_SPAM_DAYS is removed (a bot's posts
are kept long enough to check for a person's message among them, not for ever). SCHEDULES lists what
`peyvand worker` queues when it is due (see peyvand.comms.schedules)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

PURGE_EVERY = timedelta(days=1)
KEEP_FINISHED = timedelta(days=7)


def spam_days() -> int:
    return int(getattr(settings, "PEYVAND_WEBFORMS_SPAM_DAYS", 30))


def spam_purge(*, now: datetime | None = None) -> int:
    """Remove spam submissions older than PEYVAND_WEBFORMS_SPAM_DAYS (0 keeps them); returns how many."""
    from peyvand.comms.webforms.models import FormSubmission, SubmissionStatus

    days = spam_days()
    if days <= 0:
        return 0
    before = (now or timezone.now()) - timedelta(days=days)
    deleted, _by_model = FormSubmission.objects.filter(status=SubmissionStatus.SPAM, created_at__lt=before).delete()
    return deleted


@task()
def spam_purge_task() -> int:
    return spam_purge()


def spam_purge_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    """Queue the purge once a day, once among however many workers ask (core.periodic.queue_when_due)."""
    return queue_when_due(spam_purge_task, every=PURGE_EVERY, now=now, backend=backend, keep_finished=KEEP_FINISHED)


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [("webforms.spam_purge", spam_purge_schedule)]
