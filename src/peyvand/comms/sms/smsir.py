"""SMS.ir gateway, REST API v1 (https://app.sms.ir/developer/help, api.sms.ir/v1): bulk send with an API key
header (one text to one number, or "like to like": many texts to as many numbers in one call), the day's
report to look a message up, one message's report for its delivery status, delivery reports and inbound SMS
posted to our webhooks."""

from __future__ import annotations

import hashlib
import logging
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

logger = logging.getLogger("peyvand.sms.smsir")

# SMS.ir's `status`: 1 success; 0 a server error and 20 too many requests are worth retrying; the others
# (10 bad key, 11 key disabled, 12 IP not allowed, 13/14 account inactive or suspended, 101 bad line,
# 102 no credit, 103 empty text, 104 bad mobile, 105 too many mobiles, ...) fail the message.
_TEMPORARY = {0, 20}
# deliveryState: 1 delivered to the phone; 2 not delivered, 4 not delivered to the operator, 6 failed,
# 7 the number is on the blacklist; the rest (3, 5: on the way) are not final.
_DELIVERED = {1}
_NOT_DELIVERED = {2, 4, 6, 7}
# Messages sent by one likeToLike call (ours: the page names no limit, and a modest request keeps one
# timeout from putting many messages in doubt), and delivery statuses asked per poll_delivery call (one GET
# each: SMS.ir has no many-ids status call).
LIKE_TO_LIKE_MAX = 100
POLL_MAX = 50
# How far the look-up of an in-doubt message reads the day's report (pages of 100).
_REPORT_PAGES = 20


class SmsIr:
    channel = "sms"
    name = "smsir"
    label = gettext_noop("SMS.ir")
    config_fields: tuple[ConfigField, ...] = (
        ConfigField("api_key", gettext_noop("API key"), secret=True),
        ConfigField("line_number", gettext_noop("Line number")),
        ConfigField("base_url", gettext_noop("API address"), required=False, default="https://api.sms.ir"),
        *GATEWAY_FIELDS,
        POLL_FIELD,
    )
    max_batch = LIKE_TO_LIKE_MAX
    poll_batch = POLL_MAX

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        config, secrets = account.config or {}, account.secrets or {}
        self.base = str(config.get("base_url") or "https://api.sms.ir").rstrip("/")
        self.line = str(config.get("line_number") or "")
        self.api_key = str(secrets.get("api_key") or config.get("api_key") or "")

    def _headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.api_key}

    def _line(self) -> int | str:
        return int(self.line) if self.line.isdigit() else self.line

    def _data(self, status: int, payload: Any, retry_after: float | None) -> Any:
        code = payload.get("status") if isinstance(payload, dict) else None
        text = str(payload.get("message", "")) if isinstance(payload, dict) else ""
        if status == 200 and code == 1:
            return payload.get("data")
        if status == 429 or status >= 500 or code in _TEMPORARY:
            raise TemporaryError(f"sms.ir {code if code is not None else status}: {text}", retry_after=retry_after)
        raise PermanentError(f"sms.ir {code if code is not None else status}: {text}")

    def send(self, message: OutboundMessage) -> SendResult:
        body = {"lineNumber": self._line(), "messageText": message.body, "mobiles": [national_mobile(message.to)]}
        response = call("POST", f"{self.base}/v1/send/bulk", json_body=body, headers=self._headers())
        data = self._data(response.status, response.json(), response.retry_after())
        ids = data.get("messageIds") if isinstance(data, dict) else None
        return SendResult(
            provider_message_id=str(ids[0]) if isinstance(ids, list) and ids else "",
            segments=sms_segments(message.body).segments,
        )

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | Exception]:
        """One POST /v1/send/likeToLike: messageTexts[i] goes to mobiles[i]; data.messageIds answers in the
        same order. SMS.ir refuses such a request as a whole (a bad number: status 104), never per entry."""
        body = {
            "lineNumber": self._line(),
            "messageTexts": [m.body for m in messages],
            "mobiles": [national_mobile(m.to) for m in messages],
            "sendDateTime": None,
        }
        response = call("POST", f"{self.base}/v1/send/likeToLike", json_body=body, headers=self._headers())
        data = self._data(response.status, response.json(), response.retry_after())
        ids = data.get("messageIds") if isinstance(data, dict) else None
        if not isinstance(ids, list) or len(ids) != len(messages):
            raise OutcomeUnknown(f"sms.ir likeToLike answered {ids!r} for {len(messages)} messages")
        return [
            SendResult(provider_message_id=str(messageid), segments=sms_segments(message.body).segments)
            for message, messageid in zip(messages, ids, strict=True)
        ]

    def poll_delivery(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """GET /v1/send/{messageId} for each id: its deliveryState as a delivery report (1 delivered; 2, 4, 6,
        7 not delivered; 3, 5 on the way). An id the report does not know (data null) is left out."""
        reports = []
        for messageid in provider_message_ids:
            if not str(messageid).isdigit():
                continue
            response = call("GET", f"{self.base}/v1/send/{messageid}", headers=self._headers())
            row = self._data(response.status, response.json(), response.retry_after())
            state = row.get("deliveryState") if isinstance(row, dict) else None
            if state is None or not str(state).isdigit():
                continue
            code = int(state)
            delivered = True if code in _DELIVERED else False if code in _NOT_DELIVERED else None
            reports.append(DeliveryReport(str(messageid), delivered, str(code)))
        return reports

    def find_sent(self, message: OutboundMessage) -> SendResult | None:
        """SMS.ir keeps no id of ours: the day's report (GET /v1/send/live) is read for a message to the same
        number with the same text that no other outbox message holds. See docs/channels-sms.md for the
        window this leaves."""
        from peyvand.comms.models import OutboundMessage as Outbound

        mobile = national_mobile(message.to).lstrip("0")
        for page in range(1, _REPORT_PAGES + 1):
            response = call("GET", f"{self.base}/v1/send/live?pageNumber={page}&pageSize=100", headers=self._headers())
            rows = self._data(response.status, response.json(), response.retry_after())
            if not isinstance(rows, list) or not rows:
                return None
            for row in rows:
                if not isinstance(row, dict):
                    continue
                if str(row.get("mobile", "")).lstrip("0").removeprefix("98") != mobile.removeprefix("98"):
                    continue
                if row.get("messageText") != message.body:
                    continue
                messageid = str(row.get("messageId") or "")
                taken = Outbound.objects.filter(account=self.account, provider_message_id=messageid).exclude(
                    pk=message.pk
                )
                if messageid and not taken.exists():
                    return SendResult(provider_message_id=messageid, segments=sms_segments(message.body).segments)
        return None

    @staticmethod
    def parse_delivery(data: Mapping[str, Any], body: Any) -> list[DeliveryReport]:
        """One report or a list of them, each {"messageId", "deliveryState"} (the fields of SMS.ir's message
        report), as JSON or form fields."""
        items = body if isinstance(body, list) else [body] if isinstance(body, dict) else [data]
        reports = []
        for item in items:
            if not isinstance(item, Mapping):
                raise BadCallback("each report must be an object")
            messageid, state = field(item, "messageId", "messageid"), field(item, "deliveryState", "status")
            if not messageid.isdigit() or not state.isdigit():
                raise BadCallback("messageId and deliveryState must be numbers")
            code = int(state)
            delivered = True if code in _DELIVERED else False if code in _NOT_DELIVERED else None
            reports.append(DeliveryReport(messageid, delivered, state))
        if not reports:
            raise BadCallback("no report")
        return reports

    @staticmethod
    def parse_inbound(data: Mapping[str, Any], body: Any) -> InboundSms:
        """A received message as SMS.ir's receive report gives it: {"id"?, "mobile", "number", "messageText",
        "receivedDateTime"?}, as JSON or form fields."""
        item = body if isinstance(body, dict) else data
        sender = field(item, "mobile", "from")
        text = str(item.get("messageText") or item.get("message") or "")
        external = field(item, "id", "messageId", "messageid")
        if not sender:
            raise BadCallback("mobile is required")
        if not external:
            # Without an id of theirs, the same message posted twice must still be one record.
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            external = f"{sender}:{field(item, 'receivedDateTime')}:{digest}"
        return InboundSms(external, sender, field(item, "number", "to"), text)
