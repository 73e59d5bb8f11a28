"""The AMI listener against a real TCP socket: a recorded Asterisk event stream replayed by tests/comms/ami_replay.py
becomes calls (answered, missed, busy, outgoing) on the timeline, handed on in this process or posted to the web
process's webhook; a refused login, a dropped connection and broken bytes are survived. Click-to-call sends the
AMI Originate action."""

from __future__ import annotations

import asyncio

import pytest
from django.core.management import call_command

from comms.ami_replay import AmiReplayServer, block, inbound_call, stream
from peyvand.comms.models import ChannelAccount
from peyvand.comms.telephony.ami import AmiListener, CallTracker, HttpHandoff, direct_handoff, parse_block
from peyvand.comms.telephony.models import Call, CallEvent, CallStatus, Extension
from peyvand.comms.telephony.services import click_to_call
from peyvand.customers.models import CustomerPhone, Interaction

MOBILE = "+989121234567"


@pytest.fixture(autouse=True)
def _close_listener_connections():
    """The listener's database work runs in asgiref's one shared thread; its connection is closed there after
    each test (PostgreSQL will not drop a test database someone is still connected to)."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture
def pbx(transactional_db):
    return ChannelAccount.objects.create(
        channel="call",
        provider="asterisk",
        name="Issabel",
        inbound_token="ami-token-1",
        config={
            "host": "127.0.0.1",
            "port": 0,
            "username": "peyvand",
            "recording_url": "https://pbx.example.ir/rec/{file}",
        },
        secrets={"secret": "s3cret"},
    )


@pytest.fixture
def caller(pbx, customer_a, agent_a):
    CustomerPhone.objects.create(customer=customer_a, number=MOBILE, is_primary=True)
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    return customer_a


def _listen(
    server: AmiReplayServer,
    handoff,
    secret: str = "s3cret",  # noqa: S107 - the test PBX's fixed secret
    tracker: CallTracker | None = None,
) -> None:
    listener = AmiListener(
        host="127.0.0.1",
        port=server.port,
        username="peyvand",
        secret=secret,
        handoff=handoff,
        tracker=tracker or CallTracker(recording_url="https://pbx.example.ir/rec/{file}"),
    )
    asyncio.run(asyncio.wait_for(listener.run_once(), timeout=20))


def test_a_replayed_stream_becomes_calls_on_the_timeline(pbx, caller, agent_a):
    events = (
        inbound_call(linkedid="1700000001.10", caller="09121234567", talk=42)
        + inbound_call(linkedid="1700000002.20", caller="+98 912 123 4567", answer=False)
        + inbound_call(linkedid="1700000003.30", caller="09350001111", answer=False, dial_status="BUSY")
    )
    server = AmiReplayServer(stream(events)).start()
    try:
        _listen(server, direct_handoff(pbx.pk))
    finally:
        server.stop()
    answered = Call.objects.get(pbx_call_id="1700000001.10")
    assert (answered.status, answered.customer, answered.agent, answered.extension) == (
        CallStatus.ANSWERED, caller, agent_a, "101",
    )  # fmt: skip
    assert answered.duration_seconds == 42 and answered.answered_at is not None and answered.ended_at is not None
    assert answered.recording_url == "https://pbx.example.ir/rec/in-1700000001.10.wav"
    missed = Call.objects.get(pbx_call_id="1700000002.20")
    assert missed.status == CallStatus.MISSED and missed.customer == caller and missed.answered_at is None
    busy = Call.objects.get(pbx_call_id="1700000003.30")
    assert busy.status == CallStatus.BUSY and busy.customer is None and busy.from_number == "+989350001111"
    timeline = Interaction.objects.filter(customer=caller).order_by("occurred_at")
    assert [i.duration_seconds for i in timeline] == [42, 0]
    assert "in-1700000001.10.wav" in timeline[0].body
    assert set(CallEvent.objects.filter(call=answered).values_list("event", flat=True)) == {
        "ringing", "answered", "hangup", "record",
    }  # fmt: skip


def test_replaying_the_same_stream_after_a_reconnect_changes_nothing(pbx, caller):
    events = stream(inbound_call(linkedid="1700000001.10", caller="09121234567"))
    for _round in range(2):
        server = AmiReplayServer(events).start()
        try:
            _listen(server, direct_handoff(pbx.pk))
        finally:
            server.stop()
    assert Call.objects.count() == 1
    assert Interaction.objects.filter(customer=caller).count() == 1
    assert CallEvent.objects.count() == 4


def test_the_listener_can_post_events_to_the_web_process(live_server, pbx, caller, agent_a):
    pbx.secrets = {**pbx.secrets, "webhook_secret": "hook-key"}
    pbx.save()
    server = AmiReplayServer(stream(inbound_call(linkedid="1700000009.90", caller="09121234567", talk=7))).start()
    url = f"{live_server.url}/comms/telephony/{pbx.inbound_token}/events"
    try:
        _listen(server, HttpHandoff(url, secret="hook-key"))
    finally:
        server.stop()
    call = Call.objects.get(pbx_call_id="1700000009.90")
    assert call.status == CallStatus.ANSWERED and call.agent == agent_a and call.duration_seconds == 7
    assert Interaction.objects.filter(customer=caller).count() == 1


def test_a_refused_login_raises_and_records_nothing(pbx, caller):
    server = AmiReplayServer(stream(inbound_call(linkedid="1.1", caller="09121234567"))).start()
    try:
        with pytest.raises(ConnectionError):
            _listen(server, direct_handoff(pbx.pk), secret="wrong")
    finally:
        server.stop()
    assert not Call.objects.exists()


def test_broken_bytes_and_unknown_events_do_not_stop_the_stream(pbx, caller):
    garbage = b"Event: Weird\r\nKey: \xff\xfe\xfd\r\nno colon here\r\n\r\n" + block(Event="Newexten", Uniqueid="9.9")
    events = garbage + stream(inbound_call(linkedid="1700000005.50", caller="09121234567"))
    server = AmiReplayServer(events).start()
    try:
        _listen(server, direct_handoff(pbx.pk))
    finally:
        server.stop()
    assert Call.objects.get(pbx_call_id="1700000005.50").status == CallStatus.ANSWERED


def test_the_listener_reconnects_after_the_pbx_drops_the_connection(pbx, caller):
    server = AmiReplayServer(stream(inbound_call(linkedid="1700000006.60", caller="09121234567"))).start()
    seen: list[int] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        listener = AmiListener(host="127.0.0.1", port=server.port, username="peyvand", secret="s3cret",
                               handoff=direct_handoff(pbx.pk))  # fmt: skip
        task = asyncio.create_task(listener.run_forever(stop))
        while server.logins < 2:  # the replay closes each connection: the listener must come back
            await asyncio.sleep(0.05)
        seen.append(server.logins)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    try:
        asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    finally:
        server.stop()
    assert seen == [2]
    assert Call.objects.count() == 1


def test_an_outgoing_call_from_an_extension_is_logged_as_outgoing(pbx, caller, agent_a):
    linkedid = "1700000007.70"
    events = [
        {"Event": "Newchannel", "Channel": "PJSIP/101-0001", "CallerIDNum": "101", "Exten": "09121234567",
         "Uniqueid": linkedid, "Linkedid": linkedid},
        {"Event": "DialBegin", "Channel": "PJSIP/101-0001", "Uniqueid": linkedid, "Linkedid": linkedid,
         "DestChannel": "SIP/trunk-0002", "DestExten": "09121234567", "DestUniqueid": f"{linkedid}.1"},
        {"Event": "DialEnd", "Channel": "PJSIP/101-0001", "Uniqueid": linkedid, "Linkedid": linkedid,
         "DestChannel": "SIP/trunk-0002", "DialStatus": "ANSWER"},
        {"Event": "Hangup", "Channel": "PJSIP/101-0001", "Uniqueid": linkedid, "Linkedid": linkedid, "Cause": 16},
    ]  # fmt: skip
    server = AmiReplayServer(stream(events)).start()
    try:
        _listen(server, direct_handoff(pbx.pk))
    finally:
        server.stop()
    call = Call.objects.get(pbx_call_id=linkedid)
    assert (call.direction, call.to_number, call.customer, call.agent) == ("out", MOBILE, caller, agent_a)
    assert Interaction.objects.get(customer=caller).direction == "out"


def test_the_tracker_reads_asterisk_11_dial_events():
    tracker = CallTracker()
    out = []
    for fields in [
        {"Event": "Newchannel", "Uniqueid": "5.1", "CallerIDNum": "09121234567", "Exten": "s"},
        {"Event": "Dial", "SubEvent": "Begin", "Uniqueid": "5.1", "Destination": "SIP/102-00a1", "DialString": "102"},
        {"Event": "Dial", "SubEvent": "End", "Uniqueid": "5.1", "DialStatus": "BUSY"},
        {"Event": "Hangup", "Uniqueid": "5.1", "Cause": "17"},
    ]:
        out += tracker.feed(fields)
    assert [(e["event"], e["extension"]) for e in out] == [("ringing", "102"), ("hangup", "102")]
    assert out[-1]["status"] == "busy" and out[0]["from"] == "09121234567"


def test_parse_block_keeps_values_with_colons_and_skips_broken_lines():
    assert parse_block(["Event: Cdr", "Destination: sip:0912@pbx", "junk"]) == {
        "Event": "Cdr", "Destination": "sip:0912@pbx",
    }  # fmt: skip


def test_click_to_call_sends_originate_to_the_asterisk_pbx(pbx, agent_a, caller):
    server = AmiReplayServer(close_after_replay=False).start()
    pbx.config = {**pbx.config, "port": server.port, "originate_channel": "SIP/{extension}"}
    pbx.save()
    try:
        placed = click_to_call(by=agent_a, number="0912 123 4567", customer=caller, account=pbx)
    finally:
        server.stop()
    originate = next(a for a in server.actions if a.get("Action") == "Originate")
    assert originate["Channel"] == "SIP/101" and originate["Exten"] == "09121234567"
    assert originate["Context"] == "from-internal" and originate["Async"] == "true"
    assert placed["extension"] == "101" and placed["reference"] == originate["ActionID"]


def test_ami_listen_refuses_to_start_without_an_asterisk_account(transactional_db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ami_listen")


def test_the_settings_check_logs_in_to_the_ami_and_reports_a_refusal(pbx):
    from peyvand.comms.telephony.provider import OriginateError, pbx_for

    server = AmiReplayServer(close_after_replay=False).start()
    try:
        pbx.config = {**pbx.config, "port": server.port}
        assert pbx_for(pbx).check().startswith("Asterisk Call Manager")
        pbx.secrets = {"secret": "wrong"}
        with pytest.raises(OriginateError):
            pbx_for(pbx).check()
    finally:
        server.stop()
