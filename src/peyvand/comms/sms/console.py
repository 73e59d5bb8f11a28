"""An SMS "gateway" that writes each message to the log: for development, demos and a channel not set up yet."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import ClassVar

from django.utils.translation import gettext_noop

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.providers import ConfigField, SendResult
from peyvand.comms.sms.segments import sms_segments

logger = logging.getLogger("peyvand.sms.console")


class ConsoleSms:
    channel = "sms"
    name = "console"
    label = gettext_noop("Console (log only)")
    config_fields: tuple[ConfigField, ...] = (
        ConfigField("sender", gettext_noop("Sender number"), required=False, default="console"),
    )
    # What this process "sent", newest last (kept for the settings page's test and for tests).
    sent: ClassVar[list[tuple[str, str]]] = []
    max_batch = 100
    _lock = threading.Lock()

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account

    def send(self, message: OutboundMessage) -> SendResult:
        logger.info("SMS to %s: %s", message.to, message.body)
        with self._lock:
            self.sent.append((message.to, message.body))
            del self.sent[:-1000]
        return SendResult(provider_message_id=f"console-{message.pk}", segments=sms_segments(message.body).segments)

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | Exception]:
        return [self.send(message) for message in messages]
