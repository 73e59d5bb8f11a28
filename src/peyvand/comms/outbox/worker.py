"""The outbox's sending loop, run by `peyvand send_outbox` and beside the task queue in `peyvand worker`."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection

from peyvand.comms.outbox.engine import SendStats, send_due

logger = logging.getLogger("peyvand.outbox")


def poll_seconds() -> float:
    """PEYVAND_OUTBOX_POLL_SECONDS (1): how long an idle sender waits before looking again."""
    return float(getattr(settings, "PEYVAND_OUTBOX_POLL_SECONDS", 1.0))


def run_outbox(*, batch: int = 100, once: bool = False, stop: threading.Event | None = None) -> SendStats:
    """Send until `stop` is set (or, with `once`, until nothing is due); returns the totals. A database that is
    busy or gone for a moment is waited out, never the end of the loop."""
    stop = stop or threading.Event()
    total = SendStats()
    while not stop.is_set():
        try:
            stats = send_due(batch=batch)
        except OperationalError:
            logger.warning("The outbox could not be read; trying again shortly", exc_info=True)
            close_old_connections()
            stop.wait(poll_seconds())
            continue
        except Exception:
            # Anything else (a bug, a connection in a bad state) is logged and the loop goes on after a pause:
            # a sender that died quietly would leave every message queued with nobody noticing.
            logger.exception("The outbox pass failed; trying again shortly")
            close_old_connections()
            stop.wait(max(poll_seconds(), 5.0))
            continue
        for name in ("sent", "retried", "failed", "skipped", "released", "recovered"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        if stats.handled == 0:
            if once:
                break
            stop.wait(poll_seconds())
    return total


class OutboxThread:
    """The sending loop in a daemon thread (it ends with the process at the latest)."""

    def __init__(self, *, batch: int = 100) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(batch,), name="peyvand-outbox", daemon=True)

    def _run(self, batch: int) -> None:
        try:
            run_outbox(batch=batch, stop=self._stop)
        finally:
            connection.close()

    def start(self) -> OutboxThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to end and wait for the pass in hand to finish (its messages recorded), so nothing of
        it outlives the worker that started it."""
        self._stop.set()
        self._thread.join(timeout)


def start_outbox_thread(*, batch: int = 100) -> OutboxThread:
    """Run the sending loop in a daemon thread; `stop()` ends it."""
    return OutboxThread(batch=batch).start()
