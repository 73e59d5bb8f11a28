"""`peyvand ami_listen [--account ID] [--handoff direct|http] [--url URL]`: keep an AMI connection to each Asterisk
PBX account and hand its call events to the site (see docs/channels-telephony.md)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.telephony.ami import AmiListener, CallTracker, HttpHandoff, direct_handoff
from peyvand.comms.telephony.services import max_extension_digits


def _port(value: object) -> int:
    text = str(value or "5038").strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise CommandError(f"The AMI port {value!r} is not a port number.")
    return int(text)


class Command(BaseCommand):
    help = "Listen to Asterisk/Issabel PBXs over AMI and record their calls (ringing pop-ups, call log, timeline)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--account", type=int, help="the id of one Asterisk PBX account (default: every active one)"
        )
        parser.add_argument(
            "--handoff",
            choices=["direct", "http"],
            help="direct: record events in this process (pop-ups need the Redis channel layer); http: post them to "
            "the web process's webhook (default: direct with PEYVAND_REDIS_URL, else http)",
        )
        parser.add_argument(
            "--url",
            help="the web process's address for --handoff http (default: PEYVAND_TELEPHONY_WEB_URL, else "
            "PEYVAND_SITE_URL, else http://127.0.0.1:8000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = ChannelAccount.objects.filter(channel=Channel.CALL, provider="asterisk", is_active=True)
        if options.get("account"):
            accounts = accounts.filter(pk=options["account"])
        accounts_list = list(accounts)
        if not accounts_list:
            raise CommandError("No active Asterisk PBX account: add one in the channel settings first.")
        mode = options.get("handoff") or ("direct" if getattr(settings, "PEYVAND_REDIS_URL", "") else "http")
        base = (
            options.get("url")
            or getattr(settings, "PEYVAND_TELEPHONY_WEB_URL", "")
            or getattr(settings, "PEYVAND_SITE_URL", "")
            or "http://127.0.0.1:8000"
        ).rstrip("/")
        listeners = []
        for account in accounts_list:
            config = account.config or {}
            if mode == "direct":
                handoff: Any = direct_handoff(account.pk)
            else:
                handoff = HttpHandoff(
                    base + reverse("comms:telephony:events", args=[account.inbound_token]),
                    secret=str((account.secrets or {}).get("webhook_secret") or ""),
                )
            listeners.append(
                AmiListener(
                    host=str(config.get("host") or "127.0.0.1"),
                    port=_port(config.get("port")),
                    username=str(config.get("username") or ""),
                    secret=str((account.secrets or {}).get("secret") or ""),
                    handoff=handoff,
                    tracker=CallTracker(
                        max_digits=max_extension_digits(account),
                        recording_url=str(config.get("recording_url") or ""),
                    ),
                )
            )
            self.stdout.write(f"AMI {account.name}: {config.get('host')}:{config.get('port')} ({mode} hand-off)")
        asyncio.run(self._run(listeners))

    async def _run(self, listeners: list[AmiListener]) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(*(listener.run_forever(stop) for listener in listeners))
