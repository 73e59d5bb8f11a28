"""The fault test: a campaign of 10,000 SMS sent in Kavenegar sendarray requests of 200, the sending worker (a
real `peyvand send_outbox` process) killed with SIGKILL part-way through while the gateway holds a request
whose 200 messages it has accepted, then started again: every message reaches the gateway exactly once, counted
per local id at the gateway stub, and every one ends sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comms.sms_stub import SmsGatewayStub
from live_database import database_url_for_process, rows_in
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox import BulkRecipient, enqueue_bulk

ROOT = Path(__file__).resolve().parents[2]
COUNT = 10_000
KILL_AT = 3_000
CHUNK = 200  # Kavenegar's sendarray limit, and the worker's claim


def _worker(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="comms.outbox_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    command = [sys.executable, "-m", "peyvand", "send_outbox", "--batch", str(CHUNK), *args]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603


def _statuses(url: str) -> dict[str, int]:
    return {
        str(status): int(str(n))
        for status, n in rows_in(url, "SELECT status, COUNT(*) FROM comms_outboundmessage GROUP BY status")
    }


@pytest.mark.django_db(transaction=True)
def test_every_message_is_sent_exactly_once_when_the_worker_is_killed_mid_send(tmp_path):
    stub = SmsGatewayStub().start()
    try:
        ChannelAccount.objects.create(
            channel=Channel.SMS,
            provider="kavenegar",
            name="Kavenegar",
            config={"base_url": stub.base_url, "sender": "10004346", "quiet_hours": "off"},
            secrets={"api_key": "test-key"},
            inbound_token="fault",
            is_default=True,
        )
        recipients = (
            BulkRecipient(to=f"0912{i:07d}", key=f"fault:{i}", values={"name": f"مشتری {i}"}) for i in range(COUNT)
        )
        result = enqueue_bulk(channel=Channel.SMS, recipients=recipients, body="{name}، جشنواره آغاز شد", batch="fault")
        assert result.queued == COUNT
        key_of = dict(OutboundMessage.objects.values_list("pk", "idempotency_key"))
        url = database_url_for_process(tmp_path)

        # The gateway accepts the request that brings it to KILL_AT messages and holds its answer: the worker is
        # killed right there, between the gateway taking 200 messages and the worker recording them.
        stub.hang_on = KILL_AT // CHUNK
        first = _worker(url)
        assert stub.hanging.wait(90), first.stderr.read().decode() if first.poll() is not None else "too slow"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        stub.release.set()
        accepted_before_kill = sum(stub.accepted_per_localid.values())
        assert KILL_AT <= accepted_before_kill < COUNT
        in_flight = _statuses(url).get(MessageStatus.SENDING, 0)
        assert 1 <= in_flight <= CHUNK  # the held request's messages were left "sending"
        assert len(stub.paths("/sendarray.json")) >= KILL_AT // CHUNK

        # Started again once the dead worker's lease has run out (6 s in these settings), and left to run until
        # every message has its outcome: the held request's 200 are looked up one by one by their local ids
        # (statuslocalmessageid), the rest go in arrays. Under load a request may also time out (1 s here) after
        # the gateway took it: its messages are retried in doubt a second later, looked up first, and must not
        # be sent twice.
        time.sleep(6.5)
        second = _worker(url)
        deadline = time.monotonic() + 120
        while _statuses(url) != {MessageStatus.SENT: COUNT} and time.monotonic() < deadline and second.poll() is None:
            time.sleep(0.5)
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err.decode()
        assert "recovered=" in out.decode()
        assert int(out.decode().split("recovered=")[1].split()[0]) >= in_flight, out.decode()

        # Exactly once, counted at the gateway per local id (the message's id, which stands for its key).
        accepted = stub.accepted_per_localid
        assert len(accepted) == COUNT
        assert set(accepted.values()) == {1}
        assert {key_of[int(localid)] for localid in accepted} == set(key_of.values())
        # Not even a second send request: the in-doubt messages were looked up, not sent again.
        assert set(stub.send_requests_per_localid.values()) == {1}
        unfinished = list(
            rows_in(
                url, "SELECT id, status, attempts, in_doubt, error FROM comms_outboundmessage WHERE status != 'sent'"
            )
        )
        assert _statuses(url) == {MessageStatus.SENT: COUNT}, unfinished[:5]
    finally:
        stub.stop()
