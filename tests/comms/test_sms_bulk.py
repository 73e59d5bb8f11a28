"""Bulk SMS: the outbox sends many messages per request (Kavenegar sendarray.json, SMS.ir likeToLike) against
a stub that answers as their documentation says, records each message's own outcome, retries a chunk on 429 and
timeouts, and never sends a message twice when a chunk's answer is lost."""

from __future__ import annotations

import datetime as dt
import json
import math
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from comms.sms_stub import SmsGatewayStub, make_account
from factories import CustomerFactory
from peyvand.comms.models import Channel, MessageStatus, OutboundMessage
from peyvand.comms.outbox import BulkRecipient, enqueue_bulk, enqueue_message, send_due
from peyvand.comms.sms.kavenegar import SEND_ARRAY_MAX
from peyvand.comms.sms.smsir import LIKE_TO_LIKE_MAX
from peyvand.customers.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    gateway = SmsGatewayStub().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def kavenegar(stub):
    return make_account("kavenegar", stub, "kave-token")


@pytest.fixture
def smsir(stub):
    return make_account("smsir", stub, "smsir-token")


def campaign(account, count, *, prefix="c", start=0):
    recipients = (
        BulkRecipient(to=f"0912{i:07d}", key=f"{prefix}:{i}", values={"name": f"مشتری {i}"})
        for i in range(start, start + count)
    )
    result = enqueue_bulk(
        channel=Channel.SMS, recipients=recipients, body="{name} عزیز، سلام", account=account, batch=prefix
    )
    assert result.queued == count
    return list(OutboundMessage.objects.filter(account=account).order_by("id"))


def send_outbox(batch):
    out = StringIO()
    call_command("send_outbox", "--once", "--batch", str(batch), stdout=out)
    return out.getvalue()


def statuses():
    return dict(OutboundMessage.objects.values_list("idempotency_key", "status"))


# --- Kavenegar sendarray ----------------------------------------------------------------------------------------


def test_kavenegar_campaign_goes_in_ceil_n_over_200_sendarray_requests(kavenegar, stub):
    messages = campaign(kavenegar, 450)
    out = send_outbox(500)
    assert "sent=450 " in out
    requests = stub.paths("/sendarray.json")
    assert len(requests) == math.ceil(450 / SEND_ARRAY_MAX) == 3
    assert not stub.paths("/send.json")
    sizes = [len(json.loads(r["body"]["receptor"])) for r in requests]
    assert sizes == [200, 200, 50]
    first = requests[0]["body"]
    # The documented form: four JSON arrays of one length; the local ids are the messages' ids, in order.
    assert json.loads(first["localmessageids"]) == [str(m.pk) for m in messages[:200]]
    assert json.loads(first["sender"]) == ["10004346"] * 200
    assert json.loads(first["receptor"])[0] == "09120000000"
    assert json.loads(first["message"])[0] == "مشتری 0 عزیز، سلام"
    assert set(stub.accepted_per_localid.values()) == {1} and len(stub.accepted_per_localid) == 450
    by_localid = {localid: entry["messageid"] for localid, entry in stub.kavenegar_sent.items()}
    for message in OutboundMessage.objects.filter(account=kavenegar):
        assert message.status == MessageStatus.SENT and message.segments == 1
        assert message.provider_message_id == str(by_localid[str(message.pk)])


def test_a_bad_number_in_a_kavenegar_array_fails_only_its_own_message(kavenegar, stub):
    campaign(kavenegar, 5)
    stub.reject_receptors = {"09120000002"}
    stats = send_due(batch=10)
    assert (stats.sent, stats.failed, stats.retried) == (4, 1, 0)
    assert len(stub.paths("/sendarray.json")) == 1
    bad = OutboundMessage.objects.get(idempotency_key="c:2")
    assert bad.status == MessageStatus.FAILED and bad.error.startswith("kavenegar entry 6")
    assert {k: v for k, v in statuses().items() if k != "c:2"} == {f"c:{i}": "sent" for i in (0, 1, 3, 4)}


def test_a_sendarray_refused_as_a_whole_is_sent_one_by_one_so_only_the_bad_message_fails(kavenegar, stub):
    # Should the gateway refuse the whole array for one receptor (411), nothing went out: each message is then
    # sent alone, and only the one at fault fails.
    campaign(kavenegar, 4)
    stub.fail_next(411)
    stub.reject_receptors = {"09120000001"}
    stats = send_due(batch=10)
    assert (stats.sent, stats.failed) == (3, 1)
    assert len(stub.paths("/sendarray.json")) == 1 and len(stub.paths("/send.json")) == 4
    assert OutboundMessage.objects.get(idempotency_key="c:1").error.startswith("kavenegar 411")
    assert set(stub.accepted_per_localid.values()) == {1} and len(stub.accepted_per_localid) == 3


def test_429_retries_the_whole_chunk_after_the_gateways_retry_after(kavenegar, stub):
    campaign(kavenegar, 30)
    stub.retry_after = 300
    stub.fail_next(429)
    before = timezone.now()
    stats = send_due(batch=50)
    assert (stats.sent, stats.retried) == (0, 30)
    for message in OutboundMessage.objects.all():
        assert message.status == MessageStatus.QUEUED and "429" in message.error and not message.in_doubt
        assert message.next_attempt_at >= before + dt.timedelta(seconds=300)
    assert send_due(batch=50).handled == 0  # not due before the gateway's Retry-After
    OutboundMessage.objects.update(next_attempt_at=timezone.now())
    assert send_due(batch=50).sent == 30
    assert len(stub.paths("/sendarray.json")) == 2
    assert set(stub.accepted_per_localid.values()) == {1} and len(stub.accepted_per_localid) == 30


def test_a_chunk_whose_answer_is_lost_is_looked_up_and_never_sent_twice(kavenegar, stub, settings):
    # The gateway takes the array and holds its answer past our timeout: every message of the chunk is in
    # doubt, and the next pass asks about each by its local id instead of sending it again.
    settings.PEYVAND_OUTBOX_SEND_TIMEOUT = 0.5
    settings.PEYVAND_OUTBOX_RETRY_SECONDS = 0
    campaign(kavenegar, 40)
    stub.hang_on = 1
    stats = send_due(batch=50)
    assert stub.hanging.is_set() and (stats.sent, stats.retried) == (0, 40)
    assert all(m.in_doubt and m.status == MessageStatus.QUEUED for m in OutboundMessage.objects.all())
    stub.release.set()
    OutboundMessage.objects.update(next_attempt_at=timezone.now())
    again = send_due(batch=50)
    assert (again.recovered, again.sent) == (40, 0)
    assert len(stub.paths("/sendarray.json")) == 1 and not stub.paths("/send.json")
    assert len(stub.paths("/statuslocalmessageid.json")) == 40
    assert set(stub.send_requests_per_localid.values()) == {1} and len(stub.accepted_per_localid) == 40
    for message in OutboundMessage.objects.all():
        assert message.status == MessageStatus.SENT and not message.in_doubt
        assert message.provider_message_id == str(stub.kavenegar_sent[str(message.pk)]["messageid"])


def test_an_answer_with_an_entry_missing_puts_the_chunk_in_doubt_and_nothing_is_sent_twice(kavenegar, stub):
    campaign(kavenegar, 5)
    stub.drop_last_entry = True
    stats = send_due(batch=10)
    assert (stats.sent, stats.retried) == (0, 5)
    assert OutboundMessage.objects.filter(in_doubt=True, status=MessageStatus.QUEUED).count() == 5
    OutboundMessage.objects.update(next_attempt_at=timezone.now())
    assert send_due(batch=10).recovered == 5
    assert set(stub.send_requests_per_localid.values()) == {1} and len(stub.accepted_per_localid) == 5
    assert set(statuses().values()) == {MessageStatus.SENT}


def test_a_connection_refused_retries_the_chunk_not_in_doubt(kavenegar, stub):
    campaign(kavenegar, 10)
    kavenegar.config["base_url"] = "http://127.0.0.1:9"  # nothing listens: the request never left
    kavenegar.save()
    stats = send_due(batch=20)
    assert stats.retried == 10
    assert not OutboundMessage.objects.filter(in_doubt=True).exists()


def test_an_account_without_a_sender_line_sends_one_at_a_time(stub):
    account = make_account("kavenegar", stub, "kave-nosender", sender="")
    campaign(account, 3)
    assert send_due(batch=10).sent == 3
    assert len(stub.paths("/send.json")) == 3 and not stub.paths("/sendarray.json")


def test_each_message_of_a_batch_gets_its_own_timeline_line(kavenegar, stub):
    customers = [CustomerFactory() for _ in range(3)]
    for i, customer in enumerate(customers):
        enqueue_message(
            channel=Channel.SMS, to=f"0912555000{i}", body=f"پیام {i}", customer=customer, idempotency_key=f"t{i}"
        )
    assert send_due(batch=10).sent == 3
    assert len(stub.paths("/sendarray.json")) == 1
    for i, customer in enumerate(customers):
        lines = Interaction.objects.filter(customer=customer)
        assert lines.count() == 1 and lines.get().body == f"پیام {i}"


# --- SMS.ir likeToLike -----------------------------------------------------------------------------------------


def test_smsir_campaign_goes_in_like_to_like_requests_with_ids_in_order(smsir, stub):
    campaign(smsir, 250)
    assert send_due(batch=300).sent == 250
    requests = stub.paths("/v1/send/likeToLike")
    assert len(requests) == math.ceil(250 / LIKE_TO_LIKE_MAX) == 3
    assert not stub.paths("/v1/send/bulk")
    body = requests[0]["body"]
    assert body["lineNumber"] == 30007732 and requests[0]["headers"]["X-API-KEY"] == "test-key"
    assert len(body["mobiles"]) == len(body["messageTexts"]) == 100
    assert body["mobiles"][1] == "09120000001" and body["messageTexts"][1] == "مشتری 1 عزیز، سلام"
    rows = {row["messageId"]: row for row in stub.smsir_sent}
    for message in OutboundMessage.objects.filter(account=smsir):
        row = rows[int(message.provider_message_id)]
        assert message.status == MessageStatus.SENT
        assert (row["mobile"], row["messageText"]) == (message.to.replace("+98", "0"), message.body)
    assert set(stub.smsir_accepted.values()) == {1} and len(stub.smsir_accepted) == 250


def test_smsir_refuses_a_request_with_one_bad_mobile_so_it_is_sent_one_by_one(smsir, stub):
    campaign(smsir, 3)
    stub.reject_receptors = {"09120000001"}
    stats = send_due(batch=10)
    assert (stats.sent, stats.failed) == (2, 1)
    assert len(stub.paths("/v1/send/likeToLike")) == 1 and len(stub.paths("/v1/send/bulk")) == 3
    assert "104" in OutboundMessage.objects.get(idempotency_key="c:1").error
    assert set(stub.smsir_accepted.values()) == {1} and len(stub.smsir_accepted) == 2


def test_smsir_server_error_retries_the_chunk(smsir, stub):
    campaign(smsir, 5)
    stub.fail_next(503)
    assert send_due(batch=10).retried == 5
    OutboundMessage.objects.update(next_attempt_at=timezone.now())
    assert send_due(batch=10).sent == 5
    assert set(stub.smsir_accepted.values()) == {1} and len(stub.smsir_accepted) == 5
