"""`peyvand send_outbox`: send the outbox's due messages (e-mail, SMS, messenger, chat) until stopped."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peyvand.comms.outbox.worker import run_outbox


class Command(BaseCommand):
    help = (
        "Send the outbox's due messages through their accounts' providers, with retries and rate limits. "
        "Run as many as you like (each claims its own messages); `peyvand worker` also sends unless "
        "PEYVAND_OUTBOX_IN_WORKER=0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument(
            "--batch",
            type=int,
            default=100,
            help=(
                "Messages claimed at a time (default 100); a gateway that takes many in one request gets them in "
                "chunks of its own size, so 200 lets Kavenegar fill its sendarray requests."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def finish(signum: int, frame: Any) -> None:
            # The message in hand is finished and recorded; nothing new is started.
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        batch = max(1, min(int(options["batch"]), 1000))
        totals = run_outbox(batch=batch, once=options["once"], stop=stop)
        self.stdout.write(
            f"sent={totals.sent} recovered={totals.recovered} retried={totals.retried} "
            f"failed={totals.failed} skipped={totals.skipped}"
        )
