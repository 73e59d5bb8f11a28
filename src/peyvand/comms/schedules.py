"""The periodic work of every channel (sending the outbox, polling mailboxes, …), for `peyvand worker`: each
channel's tasks module lists its own in SCHEDULES as (name, function(now=None) -> queued task or None)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

MODULES = (
    "peyvand.comms.tasks",
    "peyvand.comms.mail.tasks",
    "peyvand.comms.sms.tasks",
    "peyvand.comms.telephony.tasks",
    "peyvand.comms.chat.tasks",
    "peyvand.comms.webforms.tasks",
    "peyvand.comms.bots.tasks",
)


def channel_schedules() -> list[tuple[str, Callable[..., Any]]]:
    schedules: list[tuple[str, Callable[..., Any]]] = []
    for module in MODULES:
        schedules.extend(import_string(f"{module}.SCHEDULES"))
    return schedules
