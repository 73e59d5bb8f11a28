"""Kavenegar (kavenegar.com) SMS gateway, REST API v1 (https://kavenegar.com/rest.html): send with a local
id, look a message up by that id, delivery reports and inbound SMS posted to our webhooks."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_noop

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.providers import ConfigField, PermanentError, SendResult, TemporaryError
from peyvand.comms.sms.gateway import GATEWAY_FIELDS, BadCallback, DeliveryReport, InboundSms, field, national_mobile
from peyvand.comms.sms.http import call
from peyvand.comms.sms.segments import sms_segments

logger = logging.getLogger("peyvand.sms.kavenegar")

# Kavenegar's return.status codes worth another try later: 409 the server cannot answer now, 429/451 too
# many requests; 5xx its own failure. Every other 4xx is about the request (bad key 403, bad receptor 411,
# bad sender 412, empty text 413, no credit 418, ...) and fails the message.
_TEMPORARY = {409, 429, 451}
# The delivery statuses (entries[].status and the delivery webhook's `status`).
_DELIVERED = {10}
_NOT_DELIVERED = {6, 11, 13, 14, 100}


class Kavenegar:
    channel = "sms"
    name = "kavenegar"
    label = gettext_noop("Kavenegar")
    config_fields: tuple[ConfigField, ...] = (
        ConfigField("api_key", gettext_noop("API key"), secret=True),
        ConfigField("sender", gettext_noop("Sender line number"), required=False),
        ConfigField("base_url", gettext_noop("API address"), required=False, default="https://api.kavenegar.com"),
        *GATEWAY_FIELDS,
    )

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        config, secrets = account.config or {}, account.secrets or {}
        self.base = str(config.get("base_url") or "https://api.kavenegar.com").rstrip("/")
        self.sender = str(config.get("sender") or "")
        self.api_key = str(secrets.get("api_key") or config.get("api_key") or "")

    def _url(self, method: str) -> str:
        return f"{self.base}/v1/{urllib.parse.quote(self.api_key, safe='')}/sms/{method}.json"

    def _answer(self, status: int, payload: Any) -> list[dict[str, Any]]:
        """entries of a successful answer; the error a failed one means."""
        returned = payload.get("return") if isinstance(payload, dict) else None
        code = returned.get("status") if isinstance(returned, dict) else None
        text = str(returned.get("message", "")) if isinstance(returned, dict) else ""
        if code == 200 and status == 200:
            entries = payload.get("entries")
            return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        if code is None:
            if status >= 500 or status == 429:
                raise TemporaryError(f"kavenegar HTTP {status}")
            raise PermanentError(f"kavenegar HTTP {status}: unreadable answer")
        if code in _TEMPORARY or int(code) >= 500:
            raise TemporaryError(f"kavenegar {code}: {text}")
        raise PermanentError(f"kavenegar {code}: {text}")

    def send(self, message: OutboundMessage) -> SendResult:
        form = {"receptor": national_mobile(message.to), "message": message.body, "localid": str(message.pk)}
        if self.sender:
            form["sender"] = self.sender
        response = call("POST", self._url("send"), form=form)
        entries = self._answer(response.status, response.json())
        entry = entries[0] if entries else {}
        return SendResult(
            provider_message_id=str(entry.get("messageid") or ""), segments=sms_segments(message.body).segments
        )

    def find_sent(self, message: OutboundMessage) -> SendResult | None:
        """The message Kavenegar holds under our local id (sent before a crash), or None."""
        query = urllib.parse.urlencode({"localid": str(message.pk)})
        response = call("GET", f"{self._url('statuslocalmessageid')}?{query}")
        for entry in self._answer(response.status, response.json()):
            messageid = entry.get("messageid")
            if messageid and str(entry.get("localid")) == str(message.pk) and int(entry.get("status") or 0) != 100:
                return SendResult(provider_message_id=str(messageid), segments=sms_segments(message.body).segments)
        return None

    @staticmethod
    def parse_delivery(data: Mapping[str, Any], body: Any) -> list[DeliveryReport]:
        """Kavenegar posts `messageid` and `status` (form fields) to the account's delivery URL."""
        messageid, status = field(data, "messageid"), field(data, "status")
        if not messageid.isdigit() or not status.lstrip("-").isdigit():
            raise BadCallback("messageid and status must be numbers")
        code = int(status)
        delivered = True if code in _DELIVERED else False if code in _NOT_DELIVERED else None
        return [DeliveryReport(messageid, delivered, status)]

    @staticmethod
    def parse_inbound(data: Mapping[str, Any], body: Any) -> InboundSms:
        """Kavenegar posts `messageid`, `from`, `to` and `message` to the account's receive URL."""
        messageid, sender = field(data, "messageid"), field(data, "from")
        if not messageid or not sender:
            raise BadCallback("messageid and from are required")
        return InboundSms(messageid, sender, field(data, "to"), field(data, "message"))
