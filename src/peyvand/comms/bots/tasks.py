"""Background work of this channel; SCHEDULES lists what `peyvand worker` queues when it is due
(see peyvand.comms.schedules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEDULES: list[tuple[str, Callable[..., Any]]] = []
