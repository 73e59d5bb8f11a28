"""Kavenegar (kavenegar.com) SMS gateway, REST API v1 (https://kavenegar.com/rest.html): send one message or
an array of them with our local ids, look a message up by that id, ask the delivery status of sent ones, and
read the delivery reports and inbound SMS posted to our webhooks."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_noop

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.outbox.engine import OutcomeUnknown
from peyvand.comms.providers import ConfigField, PermanentError, SendResult, TemporaryError
from peyvand.comms.sms.gateway import (
    GATEWAY_FIELDS,
    POLL_FIELD,
    BadCallback,
    DeliveryReport,
    InboundSms,
    field,
    national_mobile,
)
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
# An entry of a sendarray answer with one of these did not go out: 6 failed, 11 not deliverable, 13 cancelled,
# 14 blocked by the receiver, 100 not valid. 1, 2, 4, 5 (queued, scheduled, with the operator) and 10 are sent.
_ENTRY_FAILED = {6, 11, 13, 14, 100}
# Asked by status.json: 100 there means "no such messageid" (another key's message, an id from a reset
# panel), not "not delivered", so it is left for the age limit rather than failing a sent message.
_POLL_NOT_DELIVERED = _NOT_DELIVERED - {100}
# sendarray takes up to 200 receptors a call (the documented limit); status.json up to 500 messageids.
SEND_ARRAY_MAX = 200
STATUS_MAX = 500


class Kavenegar:
    channel = "sms"
    name = "kavenegar"
    label = gettext_noop("Kavenegar")
    config_fields: tuple[ConfigField, ...] = (
        ConfigField("api_key", gettext_noop("API key"), secret=True),
        ConfigField("sender", gettext_noop("Sender line number"), required=False),
        ConfigField("base_url", gettext_noop("API address"), required=False, default="https://api.kavenegar.com"),
        *GATEWAY_FIELDS,
        POLL_FIELD,
    )
    poll_batch = STATUS_MAX

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        config, secrets = account.config or {}, account.secrets or {}
        self.base = str(config.get("base_url") or "https://api.kavenegar.com").rstrip("/")
        self.sender = str(config.get("sender") or "")
        self.api_key = str(secrets.get("api_key") or config.get("api_key") or "")
        # sendarray needs a sender line for every receptor: without one the panel's default line is used,
        # which only send.json offers, so such an account sends one at a time.
        self.max_batch = SEND_ARRAY_MAX if self.sender else 1

    def _url(self, method: str) -> str:
        return f"{self.base}/v1/{urllib.parse.quote(self.api_key, safe='')}/sms/{method}.json"

    def _answer(self, status: int, payload: Any, retry_after: float | None = None) -> list[dict[str, Any]]:
        """entries of a successful answer; the error a failed one means."""
        returned = payload.get("return") if isinstance(payload, dict) else None
        code = returned.get("status") if isinstance(returned, dict) else None
        text = str(returned.get("message", "")) if isinstance(returned, dict) else ""
        if code == 200 and status == 200:
            entries = payload.get("entries")
            return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        if code is None:
            if status >= 500 or status == 429:
                raise TemporaryError(f"kavenegar HTTP {status}", retry_after=retry_after)
            raise PermanentError(f"kavenegar HTTP {status}: unreadable answer")
        if code in _TEMPORARY or int(code) >= 500:
            raise TemporaryError(f"kavenegar {code}: {text}", retry_after=retry_after)
        raise PermanentError(f"kavenegar {code}: {text}")

    def send(self, message: OutboundMessage) -> SendResult:
        form = {"receptor": national_mobile(message.to), "message": message.body, "localid": str(message.pk)}
        if self.sender:
            form["sender"] = self.sender
        response = call("POST", self._url("send"), form=form)
        entries = self._answer(response.status, response.json(), response.retry_after())
        entry = entries[0] if entries else {}
        return SendResult(
            provider_message_id=str(entry.get("messageid") or ""), segments=sms_segments(message.body).segments
        )

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | Exception]:
        """One sendarray.json call: receptor, sender, message and localmessageids as JSON arrays of equal
        length (the local id is the message's id, as send.json's localid is, so statuslocalmessageid finds a
        message in doubt whichever way it went). The entries come back one per message, in order."""
        form = {
            "receptor": json.dumps([national_mobile(m.to) for m in messages]),
            "sender": json.dumps([self.sender] * len(messages)),
            "message": json.dumps([m.body for m in messages], ensure_ascii=False),
            "localmessageids": json.dumps([str(m.pk) for m in messages]),
        }
        response = call("POST", self._url("sendarray"), form=form)
        entries = self._answer(response.status, response.json(), response.retry_after())
        if len(entries) != len(messages):
            # Sent or not, we cannot tell which entry is whose: each is looked up by its local id before it is
            # sent again.
            raise OutcomeUnknown(f"kavenegar sendarray answered {len(entries)} entries for {len(messages)}")
        outcomes: list[SendResult | Exception] = []
        for message, entry in zip(messages, entries, strict=True):
            status = _number(entry.get("status"))
            if status in _ENTRY_FAILED:
                outcomes.append(PermanentError(f"kavenegar entry {status}: {entry.get('statustext', '')}"))
                continue
            outcomes.append(
                SendResult(
                    provider_message_id=str(entry.get("messageid") or ""),
                    delivered=status in _DELIVERED,
                    segments=sms_segments(message.body).segments,
                )
            )
        return outcomes

    def poll_delivery(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """status.json for up to 500 messageids at once: each entry's status as a delivery report (10
        delivered; 6, 11, 13, 14 not delivered; 1, 2, 4, 5 still on the way; 100 unknown id)."""
        query = urllib.parse.urlencode({"messageid": ",".join(provider_message_ids)})
        response = call("GET", f"{self._url('status')}?{query}")
        reports = []
        for entry in self._answer(response.status, response.json()):
            messageid, code = str(entry.get("messageid") or ""), _number(entry.get("status"))
            if not messageid or code is None:
                continue
            delivered = True if code in _DELIVERED else False if code in _POLL_NOT_DELIVERED else None
            reports.append(DeliveryReport(messageid, delivered, str(code)))
        return reports

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


def _number(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
