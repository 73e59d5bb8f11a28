"""`peyvand worker`: run queued background tasks (imports, scans, sending) until stopped, queueing the
periodic ones (the duplicate scan, the reminders, the customer ranking, the service desk's SLA watch and no-reply
check) when they are due."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker
from django_tasks_db.utils import is_locked_database_exception

from peyvand.comms.outbox.worker import OutboxThread, run_outbox, start_outbox_thread
from peyvand.comms.schedules import channel_schedules
from peyvand.customers.duplicates import duplicate_scan_schedule
from peyvand.sales.tasks import ranking_schedule, reminders_schedule
from peyvand.service.tasks import no_reply_schedule, service_watch_schedule

logger = logging.getLogger("peyvand.worker")

# How often each worker asks whether periodic work is due: one indexed look-up in the task table, so every
# worker can ask every minute; the work itself is queued once for all of them.
CHECK_SECONDS = 60.0


class Schedule:
    """Queues periodic work when it is due. A worker checks it on start and then every so often from a thread
    of its own, because the database worker's loop has no hook and is busy for as long as a task runs.

    The duplicate scan and the ranking are asked for once a minute (each is then queued once in its own
    interval, PEYVAND_DUPLICATE_SCAN_HOURS and PEYVAND_RANKING_HOURS); the reminders every
    PEYVAND_REMINDER_CHECK_SECONDS (a minute by default), each on its own clock.
    """

    def __init__(self, *, backend_name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.backend_name = backend_name
        self.clock = clock
        self.reminder_seconds = float(settings.PEYVAND_REMINDER_CHECK_SECONDS)
        self.last_checks: dict[str, float] = {}

    @property
    def wait_seconds(self) -> float:
        """How long the thread sleeps between ticks: the shorter of the two intervals."""
        return min(CHECK_SECONDS, self.reminder_seconds)

    def _due(self, name: str, interval: float, now: float) -> bool:
        last = self.last_checks.get(name)
        if last is not None and now - last < interval:
            return False
        self.last_checks[name] = now
        return True

    def _check(self, what: str, queue: Callable[..., object]) -> None:
        try:
            queue(backend=self.backend_name)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                logger.exception("Checking whether the %s is due failed", what)
            else:
                # SQLite is busy with another writer (an import, the scan itself): the next check tries again.
                logger.info("The database is busy; whether the %s is due is checked again later.", what)
        except Exception:
            # A failed check must neither end the schedule for the worker's lifetime nor stop the queue running.
            logger.exception("Checking whether the %s is due failed", what)

    def tick(self) -> bool:
        """Queue what is due unless this worker checked it within its interval; returns whether it checked
        anything. The functions are looked up at each tick, so a test can replace them."""
        now = self.clock()
        checked = False
        if self._due("periodic", CHECK_SECONDS, now):
            self._check("duplicate scan", duplicate_scan_schedule)
            self._check("customer ranking", ranking_schedule)
            self._check("service desk watch", service_watch_schedule)
            self._check("no-reply check", no_reply_schedule)
            for name, schedule in channel_schedules():
                self._check(name, schedule)
            checked = True
        if self._due("reminders", self.reminder_seconds, now):
            self._check("reminder run", reminders_schedule)
            checked = True
        return checked

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            finally:
                # The thread's own connection is not held between checks.
                connection.close()
            stop.wait(self.wait_seconds)

    def start(self) -> threading.Event:
        """Check in a daemon thread (it ends with the worker); set the returned event to stop it earlier."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run_forever, args=(stop,), name="peyvand-schedule", daemon=True)
        thread.start()
        return stop


class Command(DatabaseWorker):
    help = (
        "Run Peyvand's background tasks from the database queue (start one or more beside the web server); "
        "also queues the periodic duplicate scan every PEYVAND_DUPLICATE_SCAN_HOURS, the customer ranking every "
        "PEYVAND_RANKING_HOURS, the reminders every PEYVAND_REMINDER_CHECK_SECONDS and the service desk's SLA watch "
        "every minute; and sends the outbox (e-mail, SMS, messenger) beside them unless PEYVAND_OUTBOX_IN_WORKER=0."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = Schedule(backend_name=options["backend_name"])
        sends = bool(getattr(settings, "PEYVAND_OUTBOX_IN_WORKER", True))
        outbox: OutboxThread | None = None
        if options["batch"]:
            # A worker run from cron drains the queue and exits: what is due is queued first, so this run does it.
            schedule.tick()
            if sends:
                run_outbox(once=True)
        elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            # With --reload the first process only watches the files; the child it starts does the work.
            schedule.start()
            if sends:
                # The outbox has its own loop: a message waits for a free sender, never for a long task.
                outbox = start_outbox_thread()
        try:
            super().handle(*args, **options)
        finally:
            # The sender stops with the worker (a worker run in-process, by a test or a supervisor, leaves none).
            if outbox is not None:
                outbox.stop()
