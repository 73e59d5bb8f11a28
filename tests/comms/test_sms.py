"""SMS: Persian segment counting, the Kavenegar and SMS.ir gateways against a stub that answers as their
documentation says, delivery reports and inbound SMS through the webhooks (secret, idempotent, malformed
input), opt-out keywords, and sending from the API and the compose page within the user's scope."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from comms.sms_stub import SmsGatewayStub, make_account
from factories import CustomerFactory
from peyvand.comms.models import Channel, InboundMessage, MessageStatus, OutboundMessage
from peyvand.comms.outbox import enqueue_message, send_due
from peyvand.comms.sms.segments import sms_segments
from peyvand.comms.sms.services import is_opt_out
from peyvand.customers.models import Consent, Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    gateway = SmsGatewayStub().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def kavenegar(stub):
    return make_account("kavenegar", stub, "kave-token", price_per_segment="1200")


@pytest.fixture
def smsir(stub):
    return make_account("smsir", stub, "smsir-token")


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- segments ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "segments"),
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("{" * 80, "gsm7", 160, 1),  # an extension character counts twice
        ("{" * 81, "gsm7", 162, 2),
        ("€" + "a" * 158, "gsm7", 160, 1),
        ("س" * 70, "ucs2", 70, 1),
        ("س" * 71, "ucs2", 71, 2),
        ("س" * 134, "ucs2", 134, 2),
        ("س" * 135, "ucs2", 135, 3),
        ("a" * 69 + "ی", "ucs2", 70, 1),  # one Persian letter turns the whole text to UCS-2
        ("😀" * 35, "ucs2", 70, 1),  # an emoji is two UTF-16 units
        ("", "gsm7", 0, 1),
    ],
)
def test_segments_are_counted_as_the_network_counts_them(text, encoding, characters, segments):
    count = sms_segments(text)
    assert (count.encoding, count.characters, count.segments) == (encoding, characters, segments)


def test_segments_endpoint_counts_and_prices(api_client, agent_a, kavenegar):
    client = api_client(agent_a)
    response = client.post(
        "/api/v1/comms/sms/segments",
        {"text": "س" * 71, "recipients": 10, "account_id": kavenegar.pk},
        content_type="application/json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["encoding"] == "ucs2" and data["segments"] == 2 and data["per_segment"] == 67
    assert data["remaining"] == 63 and data["cost"] == 2 * 10 * 1200
    assert client.post("/api/v1/comms/sms/segments", {"text": 5}, content_type="application/json").status_code == 422
    assert (
        api_client(None).post("/api/v1/comms/sms/segments", {"text": "x"}, content_type="application/json").status_code
        == 401
    )


# --- gateways -------------------------------------------------------------------------------------------------


def test_smsir_sends_with_its_api_key_header_and_json_body(smsir, stub):
    message = enqueue_message(
        channel=Channel.SMS, to="+989121234567", body="سلام", account=smsir, idempotency_key="ir1"
    )
    assert send_due().sent == 1
    message.refresh_from_db()
    request = stub.requests[0]
    assert request["path"] == "/v1/send/bulk" and request["headers"]["X-API-KEY"] == "test-key"
    assert request["body"] == {"lineNumber": 30007732, "messageText": "سلام", "mobiles": ["09121234567"]}
    assert message.status == MessageStatus.SENT and message.provider_message_id == str(stub.smsir_sent[0]["messageId"])


def test_smsir_errors_are_sorted_into_retry_and_fail(smsir, stub):
    stub.fail_next(429, 102)
    first = enqueue_message(channel=Channel.SMS, to="09121234567", body="a", account=smsir, idempotency_key="e1")
    second = enqueue_message(channel=Channel.SMS, to="09121234568", body="b", account=smsir, idempotency_key="e2")
    # One message a pass, so that each meets its own failure (a pass of two goes as one batch request).
    send_due(batch=1)
    send_due(batch=1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == MessageStatus.QUEUED and "20" in first.error  # too many requests: later
    assert second.status == MessageStatus.FAILED and "102" in second.error  # no credit: never


def test_smsir_in_doubt_message_is_found_in_the_days_report_not_sent_again(smsir, stub):
    from django.utils import timezone

    from peyvand.comms.outbox.engine import claim
    from peyvand.comms.sms.smsir import SmsIr

    message = enqueue_message(
        channel=Channel.SMS, to="09121234567", body="کد شما ۱۲۳", account=smsir, idempotency_key="d1"
    )
    _token, rows = claim(smsir, limit=1)
    SmsIr(smsir).send(rows[0])  # the gateway takes it; the worker dies before recording
    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    stats = send_due()
    assert stats.recovered == 1
    assert len(stub.smsir_sent) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_message_id == str(stub.smsir_sent[0]["messageId"])


# --- delivery webhook --------------------------------------------------------------------------------------------


def sent_message(account, key="dl"):
    message = enqueue_message(channel=Channel.SMS, to="09121234567", body="x", account=account, idempotency_key=key)
    send_due()
    message.refresh_from_db()
    return message


def test_kavenegar_delivery_report_marks_the_message_delivered_once(kavenegar, stub):
    message = sent_message(kavenegar)
    client = Client()
    url = reverse("comms:sms:delivery", args=["kave-token"])
    for _ in range(2):
        response = client.post(url, {"messageid": message.provider_message_id, "status": "10"})
        assert response.status_code == 200 and response.json()["known"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at is not None
    # A late "queued" report does not take it back.
    client.post(url, {"messageid": message.provider_message_id, "status": "1"})
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_undelivered_report_fails_the_message(kavenegar, stub):
    message = sent_message(kavenegar)
    Client().post(
        reverse("comms:sms:delivery", args=["kave-token"]), {"messageid": message.provider_message_id, "status": "11"}
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error.startswith("undelivered")


def test_smsir_delivery_reports_arrive_as_json(smsir, stub):
    message = sent_message(smsir, key="irdl")
    response = Client().post(
        reverse("comms:sms:delivery", args=["smsir-token"]),
        json.dumps([{"messageId": int(message.provider_message_id), "deliveryState": 1}]),
        content_type="application/json",
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_webhooks_refuse_a_wrong_token_and_answer_malformed_reports_400(kavenegar, caplog):
    client = Client()
    assert (
        client.post(reverse("comms:sms:delivery", args=["wrong"]), {"messageid": "1", "status": "10"}).status_code
        == 403
    )
    assert (
        client.post(reverse("comms:sms:inbound", args=["wrong"]), {"messageid": "1", "from": "0912"}).status_code == 403
    )
    url = reverse("comms:sms:delivery", args=["kave-token"])
    assert client.post(url, {"messageid": "abc", "status": "10"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.post(url, "{not json", content_type="application/json").status_code == 400
    assert client.post(url, b"\xff\xfe", content_type="application/json").status_code == 400
    assert "Bad delivery report" in caplog.text
    # An unknown message id is answered (the gateway must not retry forever) and changes nothing.
    assert client.post(url, {"messageid": "999999", "status": "10"}).json()["known"] == 0


# --- inbound -----------------------------------------------------------------------------------------------------


def test_inbound_sms_from_a_customer_lands_on_their_timeline_once(kavenegar):
    customer = CustomerFactory(phone="+989121234567")
    client = Client()
    url = reverse("comms:sms:inbound", args=["kave-token"])
    payload = {"messageid": "77001", "from": "+98 912 123 4567", "to": "10004346", "message": "سفارشم کی می‌رسد؟"}
    first = client.post(url, payload)
    second = client.post(url, payload)
    assert first.status_code == second.status_code == 200 and second.json()["duplicate"] is True
    record = InboundMessage.objects.get()
    assert record.customer == customer and record.status == "processed" and record.sender == "+989121234567"
    line = Interaction.objects.get(customer=customer, channel="sms", direction="in")
    assert line.body == "سفارشم کی می‌رسد؟" and record.interaction == line


def test_inbound_from_an_unknown_number_is_kept_unmatched(kavenegar):
    Client().post(
        reverse("comms:sms:inbound", args=["kave-token"]), {"messageid": "5", "from": "09350000000", "message": "سلام"}
    )
    record = InboundMessage.objects.get()
    assert record.status == "unmatched" and record.customer is None and record.body == "سلام"


def test_malformed_inbound_is_answered_400_and_kept(kavenegar):
    response = Client().post(reverse("comms:sms:inbound", args=["kave-token"]), {"message": "no sender"})
    assert response.status_code == 400
    record = InboundMessage.objects.get()
    assert record.status == "failed" and record.raw["message"] == "no sender"


@pytest.mark.parametrize("word", ["لغو", "لغو ۱۱", "لغو11", " STOP ", "Cancel.", "لغو١١", "لغو\u200c"])
def test_opt_out_words_are_recognised_in_any_spelling(word):
    assert is_opt_out(word)


@pytest.mark.parametrize("text", ["لغو سفارش من را بزنید", "stop by tomorrow", "سلام", ""])
def test_a_sentence_is_not_an_opt_out(text):
    assert not is_opt_out(text)


def test_an_opt_out_reply_withdraws_sms_consent_and_stops_later_messages(kavenegar, stub):
    customer = CustomerFactory(phone="+989121234567")
    Client().post(
        reverse("comms:sms:inbound", args=["kave-token"]),
        {"messageid": "9", "from": "09121234567", "message": "لغو ۱۱"},
    )
    consent = Consent.objects.get(customer=customer, channel="sms")
    assert consent.granted is False and consent.method == "keyword"
    message = enqueue_message(
        channel=Channel.SMS, to="09121234567", body="تخفیف", customer=customer, idempotency_key="after"
    )
    assert message.status == MessageStatus.SKIPPED
    assert send_due().handled == 0 and stub.requests == []


# --- sending from the API and the page ------------------------------------------------------------------------


def test_an_agent_sends_to_their_own_customer_and_a_repeat_queues_nothing_new(
    api_client, agent_a, customer_a, kavenegar, stub
):
    from peyvand.customers.models import CustomerPhone

    CustomerPhone.objects.create(customer=customer_a, number="+989121234567", kind="mobile", is_primary=True)
    client = api_client(agent_a)
    body = {"text": "{first_name} عزیز، سلام", "customer_ids": [customer_a.pk], "idempotency_key": "req-1"}
    response = client.post("/api/v1/comms/sms/messages", body, content_type="application/json")
    assert response.status_code == 201
    [item] = response.json()
    assert item["to"] == "+989121234567" and item["status"] == "queued" and item["customer_id"] == customer_a.pk
    assert item["body"].startswith(customer_a.first_name)
    again = client.post("/api/v1/comms/sms/messages", body, content_type="application/json")
    assert again.json()[0]["id"] == item["id"] and OutboundMessage.objects.count() == 1
    send_due()
    assert Interaction.objects.filter(customer=customer_a, channel="sms", direction="out", by=agent_a).count() == 1


def test_an_agent_of_another_team_gets_404_and_numbers_are_for_managers(
    api_client, agent_a, agent_b, manager_a, customer_a, kavenegar
):
    body = {"text": "سلام", "customer_ids": [customer_a.pk]}
    assert (
        api_client(agent_b).post("/api/v1/comms/sms/messages", body, content_type="application/json").status_code == 404
    )
    numbers = {"text": "سلام", "numbers": ["09121111111"]}
    assert (
        api_client(agent_a).post("/api/v1/comms/sms/messages", numbers, content_type="application/json").status_code
        == 403
    )
    response = api_client(manager_a).post("/api/v1/comms/sms/messages", numbers, content_type="application/json")
    assert response.status_code == 201 and response.json()[0]["to"] == "+989121111111"


def test_bad_input_is_422_with_the_field_named(api_client, admin, kavenegar):
    client = english(api_client(admin))
    cases = [
        ({"text": "{bogus}", "numbers": ["09121111111"]}, "text"),
        ({"text": "سلام", "numbers": ["not-a-number"]}, "numbers"),
        ({"text": "سلام"}, "customers"),
        ({"text": "  ", "numbers": ["09121111111"]}, "text"),
        ({"text": "سلام", "numbers": ["09121111111"], "account_id": 999999}, "account_id"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/comms/sms/messages", body, content_type="application/json")
        assert response.status_code == 422, body
        assert field in json.dumps(response.json()["error"]["fields"]), response.json()


def test_the_compose_page_shows_parts_and_queues_the_message(client, agent_a, customer_a, kavenegar):
    from peyvand.customers.models import CustomerPhone

    CustomerPhone.objects.create(customer=customer_a, number="+989121234567", kind="mobile", is_primary=True)
    client.force_login(agent_a)
    english(client)
    url = reverse("comms:sms:compose") + f"?customer={customer_a.pk}"
    page = client.get(url)
    assert page.status_code == 200 and customer_a.display_name in page.content.decode()
    assert 'name="numbers"' not in page.content.decode()  # agents send to customers only
    preview = client.post(reverse("comms:sms:segments_preview"), {"text": "س" * 71, "recipients": "3"})
    assert "2 parts" in preview.content.decode() and "pv-sms-cost" in preview.content.decode()
    bad = client.post(reverse("comms:sms:compose"), {"text": "{nope}", "key": "k1", "customer": customer_a.pk})
    assert bad.status_code == 422 and "Unknown field" in bad.content.decode()
    sent = client.post(
        reverse("comms:sms:compose"), {"text": "سلام {name}", "key": "k2", "customer": customer_a.pk}, follow=True
    )
    assert sent.status_code == 200 and "1 SMS queued" in sent.content.decode()
    message = OutboundMessage.objects.get()
    assert message.body == f"سلام {customer_a.display_name}" and message.created_by == agent_a


def test_the_compose_page_is_404_for_another_teams_customer(client, agent_b, customer_a):
    client.force_login(agent_b)
    assert client.get(reverse("comms:sms:compose") + f"?customer={customer_a.pk}").status_code == 404
    assert client.get(reverse("comms:sms:compose") + "?customer=99999999999999999999").status_code == 200


def test_out_of_range_ids_and_nul_characters_are_refused_not_500(api_client, admin, kavenegar):
    client = api_client(admin)
    for body in (
        {"text": "x", "account_id": 2**70},
        {"text": "x", "customer_ids": [2**70]},
        {"text": "x\x00y", "numbers": ["09121111111"]},
        {"text": "x", "numbers": ["09121111111"], "idempotency_key": "a\x00b"},
    ):
        response = client.post("/api/v1/comms/sms/messages", body, content_type="application/json")
        assert response.status_code == 422, body
    segments = client.post(
        "/api/v1/comms/sms/segments", {"text": "x", "account_id": 2**70}, content_type="application/json"
    )
    assert segments.status_code == 422


def test_nul_characters_in_an_inbound_sms_are_dropped_and_the_message_kept(kavenegar):
    url = reverse("comms:sms:inbound", args=["kave-token"])
    response = Client().post(url, {"messageid": "n\x001", "from": "09350000000", "message": "سل\x00ام"})
    assert response.status_code == 200
    record = InboundMessage.objects.get()
    assert record.body == "سلام" and record.external_id == "n1"
