"""Background work of live chat: chats nobody has written in for a while are closed (their transcripts go to the
timeline), and console presence left behind by a killed server is forgotten. SCHEDULES lists what
`peyvand worker` queues when it is due (see peyvand.comms.schedules)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.core.periodic import queue_when_due

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=5)
KEEP_FINISHED = timedelta(days=1)


def idle_minutes() -> int:
    return int(getattr(settings, "PEYVAND_CHAT_IDLE_MINUTES", 30))


def chat_idle_close(*, now: datetime | None = None) -> int:
    """Close the open chats silent for PEYVAND_CHAT_IDLE_MINUTES (0: never) and tell their sockets; returns how
    many were closed."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from peyvand.comms.chat import services
    from peyvand.comms.chat.consumers import broadcast_session, session_group
    from peyvand.comms.chat.models import ChatSession, ChatStatus

    services.stale_presence_clear()
    minutes = idle_minutes()
    if minutes <= 0:
        return 0
    before = (now or timezone.now()) - timedelta(minutes=minutes)
    idle = (
        ChatSession.objects.exclude(status=ChatStatus.CLOSED)
        .annotate(last=Coalesce("last_message_at", "started_at"))
        .filter(Q(last__lt=before))
        .values_list("pk", flat=True)[:500]
    )
    layer = get_channel_layer()
    closed = 0
    for pk in list(idle):
        session = services.session_close(session=ChatSession.objects.get(pk=pk), by=None)
        closed += 1
        if layer is None:
            continue
        try:
            async_to_sync(layer.group_send)(session_group(pk), {"type": "chat.closed"})
            async_to_sync(broadcast_session)(layer, session)
        except Exception:
            # The chat is closed either way; an open widget learns it when it next connects.
            logger.warning("chat: could not tell the sockets of chat %s that it closed", pk, exc_info=True)
    return closed


@task()
def chat_idle_close_task() -> int:
    return chat_idle_close()


def chat_idle_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[int] | None:
    return queue_when_due(
        chat_idle_close_task, every=SWEEP_EVERY, now=now, backend=backend, keep_finished=KEEP_FINISHED
    )


SCHEDULES: list[tuple[str, Callable[..., Any]]] = [("chat_idle_close", chat_idle_schedule)]
