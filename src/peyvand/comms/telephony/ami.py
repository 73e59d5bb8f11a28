"""The Asterisk Manager Interface (AMI) client: logs in over TCP, reads the `Key: Value` event stream and turns
Newchannel/Newstate/DialBegin/DialEnd/BridgeEnter/Hangup/Cdr into our call events (ringing, answered, hangup,
record), in the same JSON shape the generic webhook takes, and hands each one on.

Two hand-offs (see docs/channels-telephony.md): `direct` applies the event in this process (its pop-ups reach the
web process only through a shared channel layer, i.e. Redis); `http` posts it to the web process's own webhook
endpoint, which works with the default in-memory layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from peyvand.comms.telephony.numbers import is_extension

logger = logging.getLogger(__name__)

__all__ = [
    "AmiListener",
    "CallTracker",
    "HttpHandoff",
    "direct_handoff",
    "originate_action",
    "parse_block",
]

Handoff = Callable[[dict[str, Any]], Awaitable[None]]
# "PJSIP/101-0000002a", "SIP/101-0a1b", "Local/101@from-queue-0001;1": the extension between "/" and "-" or "@".
_CHANNEL_EXTENSION = re.compile(r"^[A-Za-z0-9]+/([^-@;/]+)")
_DIAL_STATUS = {
    "ANSWER": "answered",
    "BUSY": "busy",
    "NOANSWER": "missed",
    "CANCEL": "missed",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
}
_DISPOSITION = {"ANSWERED": "answered", "NO ANSWER": "missed", "BUSY": "busy", "FAILED": "failed"}
# Q.850 causes a hang-up reports before anyone answered.
_CAUSE = {"17": "busy", "21": "failed", "34": "failed", "38": "failed"}
_RECENT = 2000


def parse_block(lines: list[str]) -> dict[str, str]:
    """One AMI message (its lines without the blank one ending it) as a dict; a line without ":" is skipped."""
    block: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            block.setdefault(key.strip(), value.strip())
    return block


def originate_action(*, action_id: str, channel: str, context: str, exten: str, caller_id: str) -> str:
    # Async: the answer comes at once and the result as an OriginateResponse event, so no one waits on the ring.
    clean = {k: re.sub(r"[\r\n]", " ", v) for k, v in locals().items()}
    return (
        f"Action: Originate\r\nActionID: {clean['action_id']}\r\nChannel: {clean['channel']}\r\n"
        f"Context: {clean['context']}\r\nExten: {clean['exten']}\r\nPriority: 1\r\n"
        f"CallerID: {clean['caller_id']}\r\nTimeout: 30000\r\nAsync: true\r\n\r\n"
    )


@dataclass
class _CallState:
    from_number: str = ""
    to_number: str = ""
    direction: str = ""
    extension: str = ""
    status: str = ""
    sent: set[str] = field(default_factory=set)


class CallTracker:
    """Follows the channels of each call (grouped by Linkedid) and says which of our events an AMI event is."""

    def __init__(self, *, max_digits: int = 5, recording_url: str = "") -> None:
        self.max_digits = max_digits
        self.recording_url = recording_url
        self.calls: OrderedDict[str, _CallState] = OrderedDict()

    def _state(self, call_id: str) -> _CallState:
        state = self.calls.get(call_id)
        if state is None:
            state = self.calls[call_id] = _CallState()
            while len(self.calls) > _RECENT:  # a call whose hang-up never came is forgotten eventually
                self.calls.popitem(last=False)
        return state

    def _extension_of(self, number: str, channel: str) -> str:
        if is_extension(number, max_digits=self.max_digits):
            return number
        match = _CHANNEL_EXTENSION.match(channel or "")
        if match and is_extension(match.group(1), max_digits=self.max_digits):
            return match.group(1)
        return ""

    def feed(self, block: dict[str, str]) -> list[dict[str, Any]]:
        """Our events (webhook-shaped dicts) for one AMI event; most AMI events give none."""
        name = block.get("Event", "")
        unique = block.get("Uniqueid") or block.get("UniqueID") or block.get("UniqueId") or ""
        call_id = block.get("Linkedid") or unique
        if not call_id:
            return []
        first_channel = unique == call_id
        if name == "Newchannel" and first_channel:
            state = self._state(call_id)
            state.from_number = block.get("CallerIDNum", "")
            exten = block.get("Exten", "")
            state.to_number = "" if exten in ("s", "") else exten
            if is_extension(state.from_number, max_digits=self.max_digits):
                state.direction = "out" if not is_extension(exten, max_digits=self.max_digits) else "internal"
                state.extension = state.from_number
            else:
                state.direction = "in"
            return []
        known = self.calls.get(call_id)
        if known is None and name != "Cdr":
            return []
        state = known or self._state(call_id)
        if name in ("DialBegin", "Dial") and block.get("SubEvent", "Begin") == "Begin":
            if state.direction == "in":
                state.extension = state.extension or self._extension_of(
                    block.get("DestCallerIDNum", "") or block.get("DestExten", ""),
                    block.get("DestChannel", "") or block.get("Destination", ""),
                )
            elif not state.to_number:
                state.to_number = block.get("DestExten", "") or block.get("DialString", "")
            return self._emit(call_id, state, "ringing", block)
        if name == "Newstate" and not first_channel:
            extension = self._extension_of(block.get("CallerIDNum", ""), block.get("Channel", ""))
            if state.direction == "in" and extension:
                state.extension = state.extension or extension
            if block.get("ChannelState") == "5":
                return self._emit(call_id, state, "ringing", block)
            if block.get("ChannelState") == "6":
                return self._emit(call_id, state, "answered", block)
            return []
        if name == "DialEnd" or (name == "Dial" and block.get("SubEvent") == "End"):
            status = _DIAL_STATUS.get(block.get("DialStatus", ""), "")
            if status == "answered":
                if state.direction == "in":
                    state.extension = (
                        self._extension_of(block.get("DestCallerIDNum", ""), block.get("DestChannel", ""))
                        or state.extension
                    )
                return self._emit(call_id, state, "answered", block)
            state.status = status or state.status
            return []
        if name == "BridgeEnter" and not first_channel:
            return self._emit(call_id, state, "answered", block)
        if name == "Hangup" and first_channel:
            state.status = state.status or _CAUSE.get(block.get("Cause", ""), "")
            return self._emit(call_id, state, "hangup", block)
        if name == "Cdr":
            return self._emit(call_id, state, "record", block, cdr=True)
        return []

    def _emit(
        self, call_id: str, state: _CallState, event: str, block: dict[str, str], *, cdr: bool = False
    ) -> list[dict[str, Any]]:
        if event in state.sent:
            return []
        state.sent.add(event)
        if event == "answered":
            state.sent.add("ringing")  # answered without a ring seen: the ring is no news any more
        payload: dict[str, Any] = {
            "event": event,
            "call_id": call_id,
            "from": state.from_number,
            "to": state.to_number,
            "extension": state.extension,
            "direction": state.direction,
            "status": state.status if event == "hangup" else "",
        }
        if cdr:
            payload["from"] = payload["from"] or block.get("Source", "")
            payload["to"] = payload["to"] or block.get("Destination", "")
            payload["duration"] = block.get("BillableSeconds") or block.get("Duration") or None
            payload["status"] = _DISPOSITION.get(block.get("Disposition", ""), "")
            recording = block.get("RecordingFile") or block.get("Recordingfile") or block.get("UserField") or ""
            if self.recording_url and (recording or "{file}" not in self.recording_url):
                payload["recording_url"] = self.recording_url.format(uniqueid=call_id, file=recording)
            self.calls.pop(call_id, None)
        stamp = block.get("Timestamp")
        if stamp:
            with contextlib.suppress(ValueError, OverflowError):
                payload["timestamp"] = dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC).isoformat()
        return [payload]


class AmiListener:
    """One AMI connection: Login, then every event through the tracker to the hand-off."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        handoff: Handoff,
        tracker: CallTracker | None = None,
        on_event: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.handoff = handoff
        self.tracker = tracker or CallTracker()
        self.on_event = on_event
        self.logged_in = asyncio.Event()

    async def run_once(self) -> None:
        """Connect, log in and hand events on until the PBX closes the connection. Raises ConnectionError when the
        login is refused or the connection fails."""
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        try:
            await reader.readline()  # the banner
            writer.write(
                (
                    f"Action: Login\r\nActionID: peyvand-login\r\nUsername: {self.username}\r\n"
                    f"Secret: {self.secret}\r\nEvents: call,cdr\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            async for block in self._blocks(reader):
                if "Response" in block and block.get("ActionID") == "peyvand-login":
                    if block["Response"] != "Success":
                        raise ConnectionError(f"AMI login refused: {block.get('Message', '')}")
                    self.logged_in.set()
                    continue
                if "Event" not in block:
                    continue
                if self.on_event is not None:
                    self.on_event(block)
                for payload in self.tracker.feed(block):
                    try:
                        await self.handoff(payload)
                    except Exception:  # one bad event must not stop the stream
                        logger.exception("telephony: could not hand on %s", payload)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _blocks(self, reader: asyncio.StreamReader) -> Any:
        lines: list[str] = []
        while True:
            try:
                raw = await reader.readline()
            except (asyncio.LimitOverrunError, ValueError):
                logger.warning("telephony: an AMI line too long was skipped")
                lines = []
                continue
            if not raw:
                if lines:
                    yield parse_block(lines)
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line:
                lines.append(line)
            elif lines:
                yield parse_block(lines)
                lines = []

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Reconnect with back-off (1 s up to 60 s) whenever the connection drops, until `stop` is set."""
        delay = 1.0
        while not stop.is_set():
            try:
                await self.run_once()
                delay = 1.0
            except (OSError, ConnectionError) as exc:
                logger.warning("telephony: AMI %s:%s: %s; again in %.0f s", self.host, self.port, exc, delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                delay = min(delay * 2, 60.0)


def direct_handoff(account_id: int) -> Handoff:
    """Apply each event in this process through call_event()."""
    from channels.db import database_sync_to_async
    from django.core.exceptions import ValidationError

    from peyvand.comms.models import ChannelAccount
    from peyvand.comms.telephony.services import call_event_from_payload

    def apply_sync(payload: dict[str, Any]) -> None:
        account = ChannelAccount.objects.get(pk=account_id)
        try:
            call_event_from_payload(account=account, payload=payload)
        except ValidationError as exc:
            logger.warning("telephony: AMI event refused %s: %s", payload, exc)

    apply = database_sync_to_async(apply_sync)

    async def handoff(payload: dict[str, Any]) -> None:
        await apply(payload)

    return handoff


class HttpHandoff:
    """Post each event to the web process's webhook endpoint; retried with back-off, kept in order."""

    def __init__(self, url: str, *, secret: str = "", attempts: int = 6, timeout: float = 5.0) -> None:
        self.url, self.secret, self.attempts, self.timeout = url, secret, attempts, timeout

    def _post(self, payload: dict[str, Any]) -> int:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:  # the account's webhook_secret: signed as a cloud PBX would sign
            headers["X-Peyvand-Signature"] = (
                "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            )
        request = urllib.request.Request(  # noqa: S310 - an http(s) address from the operator
            self.url, data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    async def __call__(self, payload: dict[str, Any]) -> None:
        delay = 0.5
        for attempt in range(self.attempts):
            try:
                status = await asyncio.to_thread(self._post, payload)
            except OSError as exc:
                status, reason = 0, str(exc)
            else:
                reason = f"HTTP {status}"
            if 200 <= status < 300:
                return
            if 400 <= status < 500 and status != 429:
                logger.error("telephony: the web process refused %s (%s)", payload, reason)
                return
            logger.warning("telephony: posting %s failed (%s), attempt %d", payload.get("event"), reason, attempt + 1)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
        logger.error("telephony: gave up posting %s", payload)
