"""A small Asterisk Manager Interface server for tests and the bench: it greets like Asterisk, answers the Login
action (refusing a wrong secret), then writes a recorded event stream over a real TCP socket on 127.0.0.1.

It follows the AMI protocol as Asterisk 13-20 speaks it (docs.asterisk.org, "Asterisk Manager Interface (AMI)",
"AMI v2 Specification": CRLF-ended `Key: Value` lines, a blank line ending each message, the
"Asterisk Call Manager/x.y.z" banner) and the events of a call as Asterisk 13+ reports them (Newchannel,
Newstate, DialBegin, DialEnd, BridgeEnter, Hangup, Cdr). Actions other than Login (Originate, Logoff) are recorded
in `actions` and answered "Response: Success".
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

BANNER = b"Asterisk Call Manager/5.0.1\r\n"


def block(**fields: str | int) -> bytes:
    """One AMI message."""
    return b"".join(f"{key}: {value}\r\n".encode() for key, value in fields.items()) + b"\r\n"


def stream(blocks: Iterable[dict[str, str | int]]) -> bytes:
    return b"".join(block(**b) for b in blocks)


def inbound_call(
    *,
    linkedid: str,
    caller: str,
    did: str = "02191000000",
    extension: str = "101",
    answer: bool = True,
    talk: int = 42,
    dial_status: str = "",
) -> list[dict[str, str | int]]:
    """The events of one call from an outside line to an extension, as Asterisk 13+ writes them."""
    peer = f"{linkedid}.1"
    trunk, phone = f"SIP/trunk-{linkedid[-4:]}", f"PJSIP/{extension}-{linkedid[-4:]}"
    events: list[dict[str, str | int]] = [
        {"Event": "Newchannel", "Privilege": "call,all", "Channel": trunk, "ChannelState": 4,
         "ChannelStateDesc": "Ring", "CallerIDNum": caller, "CallerIDName": "", "Exten": did,
         "Context": "from-trunk", "Uniqueid": linkedid, "Linkedid": linkedid},
        {"Event": "Newchannel", "Privilege": "call,all", "Channel": phone, "ChannelState": 0,
         "ChannelStateDesc": "Down", "CallerIDNum": extension, "Exten": extension, "Uniqueid": peer,
         "Linkedid": linkedid},
        {"Event": "DialBegin", "Privilege": "call,all", "Channel": trunk, "CallerIDNum": caller,
         "Uniqueid": linkedid, "Linkedid": linkedid, "DestChannel": phone, "DestCallerIDNum": extension,
         "DestUniqueid": peer, "DestLinkedid": linkedid, "DialString": extension},
        {"Event": "Newstate", "Privilege": "call,all", "Channel": phone, "ChannelState": 5,
         "ChannelStateDesc": "Ringing", "CallerIDNum": extension, "Uniqueid": peer, "Linkedid": linkedid},
    ]  # fmt: skip
    if answer:
        events += [
            {"Event": "Newstate", "Privilege": "call,all", "Channel": phone, "ChannelState": 6,
             "ChannelStateDesc": "Up", "CallerIDNum": extension, "Uniqueid": peer, "Linkedid": linkedid},
            {"Event": "DialEnd", "Privilege": "call,all", "Channel": trunk, "Uniqueid": linkedid,
             "Linkedid": linkedid, "DestChannel": phone, "DestCallerIDNum": extension, "DestUniqueid": peer,
             "DialStatus": "ANSWER"},
            {"Event": "BridgeEnter", "Privilege": "call,all", "Channel": phone, "Uniqueid": peer,
             "Linkedid": linkedid, "BridgeUniqueid": f"b-{linkedid}"},
        ]  # fmt: skip
    else:
        events.append(
            {"Event": "DialEnd", "Privilege": "call,all", "Channel": trunk, "Uniqueid": linkedid,
             "Linkedid": linkedid, "DestChannel": phone, "DestUniqueid": peer,
             "DialStatus": dial_status or "NOANSWER"}
        )  # fmt: skip
    events += [
        {"Event": "Hangup", "Privilege": "call,all", "Channel": phone, "Uniqueid": peer, "Linkedid": linkedid,
         "Cause": 16, "Cause-txt": "Normal Clearing"},
        {"Event": "Hangup", "Privilege": "call,all", "Channel": trunk, "Uniqueid": linkedid, "Linkedid": linkedid,
         "CallerIDNum": caller, "Cause": 17 if dial_status == "BUSY" else 16, "Cause-txt": "Normal Clearing"},
        {"Event": "Cdr", "Privilege": "cdr,all", "Source": caller, "Destination": extension,
         "Channel": trunk, "DestinationChannel": phone, "Duration": talk + 8 if answer else 20,
         "BillableSeconds": talk if answer else 0,
         "Disposition": "ANSWERED" if answer else ("BUSY" if dial_status == "BUSY" else "NO ANSWER"),
         "UniqueID": linkedid, "RecordingFile": f"in-{linkedid}.wav" if answer else ""},
    ]  # fmt: skip
    return events


class AmiReplayServer:
    """Runs in its own thread and event loop: `start()`, then point a listener at `port`. Each connection that logs
    in gets `events` written once; `write(data)` sends more to every logged-in connection (the bench does);
    `close_after_replay` ends the connection after the replay, as a PBX restart would."""

    def __init__(
        self,
        events: bytes = b"",
        *,
        username: str = "peyvand",
        secret: str = "s3cret",  # noqa: S107 - the test PBX's fixed secret
        close_after_replay: bool = True,
    ) -> None:
        self.events, self.username, self.secret = events, username, secret
        self.close_after_replay = close_after_replay
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._writers: list[asyncio.StreamWriter] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> AmiReplayServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        async def shut() -> None:
            for writer in self._writers:
                writer.close()
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def write(self, data: bytes) -> None:
        """Send `data` to every logged-in connection now (thread-safe)."""

        def send() -> None:
            for writer in self._writers:
                writer.write(data)

        self._loop.call_soon_threadsafe(send)

    async def _read_action(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        fields: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode().rstrip("\r\n")
            if not text:
                if fields:
                    return fields
                continue
            key, _sep, value = text.partition(":")
            fields[key.strip()] = value.strip()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        login = await self._read_action(reader)
        if login is None:
            writer.close()
            return
        action_id = login.get("ActionID", "")
        if login.get("Action") != "Login" or (login.get("Username"), login.get("Secret")) != (
            self.username,
            self.secret,
        ):
            writer.write(block(Response="Error", ActionID=action_id, Message="Authentication failed"))
            await writer.drain()
            writer.close()
            return
        self.logins += 1
        writer.write(block(Response="Success", ActionID=action_id, Message="Authentication accepted"))
        writer.write(block(Event="FullyBooted", Privilege="system,all", Status="Fully Booted"))
        self._writers.append(writer)
        if self.events:
            writer.write(self.events)
        await writer.drain()
        if self.close_after_replay and self.events:
            writer.close()
            return
        while True:
            action = await self._read_action(reader)
            if action is None:
                break
            self.actions.append(action)
            writer.write(block(Response="Success", ActionID=action.get("ActionID", ""), Message="Queued"))
            await writer.drain()
            if action.get("Action") == "Logoff":
                break
        writer.close()
