"""The suppression list: addresses normalised and listed once, the outbox skipping them when messages are
queued (one at a time and in bulk, one query per chunk) and again just before sending, transactional messages
held back only by the reasons that stop everything, SMS opt-out and opt-in words from any number, and the
list's API and pages within their scope (agents 403, managers read, administrators change)."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms.sms_stub import SmsGatewayStub
from factories import CustomerFactory
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, MessageStatus, OutboundMessage, Suppression
from peyvand.comms.outbox import BulkRecipient, Skip, deliver_now, enqueue_bulk, enqueue_message, send_due
from peyvand.comms.suppression import (
    lift_opt_out,
    suppress_address,
    suppressed_addresses,
    suppressions_add,
    unsuppress,
)
from peyvand.customers.models import Consent

pytestmark = pytest.mark.django_db

NUMBER = "+989121234567"


@pytest.fixture
def stub():
    gateway = SmsGatewayStub().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def kavenegar(stub):
    return ChannelAccount.objects.create(
        channel=Channel.SMS,
        provider="kavenegar",
        name="Kavenegar",
        config={"base_url": stub.base_url, "quiet_hours": "off", "sender": "10004346"},
        secrets={"api_key": "test-key"},
        inbound_token="kave-token",
        is_default=True,
    )


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return english(client)


def inbound(text: str, sender: str, messageid: str) -> None:
    response = Client().post(
        reverse("comms:sms:inbound", args=["kave-token"]),
        {"messageid": messageid, "from": sender, "to": "10004346", "message": text},
    )
    assert response.status_code == 200, response.content


# --- the list's services ----------------------------------------------------------------------------------------


def test_an_address_is_stored_normalised_and_listed_once():
    first = suppress_address(channel="sms", address="0912 123 4567", reason="manual", source="a call")
    again = suppress_address(channel="sms", address="+98 912 123 4567", reason="manual")
    mail = suppress_address(channel="email", address=" Ali@Example.COM ", reason="hard_bounce")
    assert first.pk == again.pk and first.address == NUMBER and first.source == "a call"
    assert mail.address == "ali@example.com"
    assert Suppression.objects.count() == 2
    assert suppressed_addresses("sms", ["09121234567", "09350000000"]) == {"09121234567"}
    assert suppressed_addresses("email", ["ALI@example.com"]) == {"ALI@example.com"}


def test_a_stronger_reason_replaces_an_unsubscribe_and_a_weaker_one_never_softens_an_entry():
    entry = suppress_address(channel="email", address="a@example.com", reason="unsubscribed")
    assert suppressed_addresses("email", ["a@example.com"], transactional=True) == set()
    suppress_address(channel="email", address="a@example.com", reason="hard_bounce", source="550 5.1.1")
    entry.refresh_from_db()
    assert (entry.reason, entry.source) == ("hard_bounce", "550 5.1.1")
    suppress_address(channel="email", address="a@example.com", reason="unsubscribed")
    entry.refresh_from_db()
    assert entry.reason == "hard_bounce"
    assert suppressed_addresses("email", ["a@example.com"], transactional=True) == {"a@example.com"}


@pytest.mark.parametrize(
    ("channel", "address", "field"),
    [("sms", "not a number", "address"), ("email", "no-at-sign", "address"), ("chat", "x@y.z", "channel")],
)
def test_what_is_no_address_is_refused_with_the_field_named(channel, address, field):
    with pytest.raises(ValidationError) as caught:
        suppress_address(channel=channel, address=address, reason="manual")
    assert field in caught.value.message_dict and not Suppression.objects.exists()


def test_only_administrators_change_the_list(admin, manager_a):
    entry = suppress_address(channel="sms", address=NUMBER, reason="manual")
    with pytest.raises(PermissionDenied):
        unsuppress(suppression=entry, by=manager_a)
    with pytest.raises(PermissionDenied):
        suppressions_add(by=manager_a, channel="sms", addresses="09121234568", reason="manual")
    unsuppress(suppression=entry, by=admin)
    assert not Suppression.objects.exists()


def test_adding_many_adds_none_when_one_is_not_an_address(admin):
    with pytest.raises(ValidationError) as caught:
        suppressions_add(by=admin, channel="sms", addresses="09121234567\nnonsense", reason="manual")
    assert "nonsense" in caught.value.message_dict["addresses"][0]
    assert not Suppression.objects.exists()
    result = suppressions_add(
        by=admin, channel="sms", addresses="0912 123 4567, ۰۹۱۲۱۲۳۴۵۶۸\n09121234567", reason="manual"
    )
    assert len(result.added) == 2 and result.already == 0
    again = suppressions_add(by=admin, channel="sms", addresses=["09121234567"], reason="manual")
    assert (again.added, again.already) == ([], 1)


def test_opting_back_in_lifts_only_an_opt_out():
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms")
    suppress_address(channel="sms", address="09121234568", reason="manual")
    assert lift_opt_out(channel="sms", address="09121234567") is True
    assert lift_opt_out(channel="sms", address="09121234568") is False
    assert list(Suppression.objects.values_list("address", flat=True)) == ["+989121234568"]


# --- the outbox --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "marketing", "transactional"),
    [
        ("unsubscribed", "skipped", "queued"),
        ("hard_bounce", "skipped", "skipped"),
        ("complaint", "skipped", "skipped"),
        ("manual", "skipped", "skipped"),
    ],
)
def test_enqueue_skips_a_suppressed_e_mail_address_by_what_the_reason_holds_back(reason, marketing, transactional):
    suppress_address(channel="email", address="reader@example.com", reason=reason)
    news = enqueue_message(
        channel="email",
        to="Reader@Example.com",
        subject="خبرنامه",
        body="سلام",
        idempotency_key="m",
        transactional=False,
    )
    notice = enqueue_message(channel="email", to="reader@example.com", subject="تیکت", body="پاسخ", idempotency_key="t")
    assert news.status == marketing and notice.status == transactional
    assert news.error == Skip.SUPPRESSED == "suppressed"
    other = enqueue_message(channel="email", to="other@example.com", body="x", idempotency_key="o", transactional=False)
    assert other.status == MessageStatus.QUEUED


def _recipients(count: int, prefix: str) -> list[BulkRecipient]:
    return [BulkRecipient(to=f"0912{i:07d}", key=f"{prefix}:{i}") for i in range(count)]


def test_a_bulk_send_skips_suppressed_numbers_reading_the_list_once_a_chunk(kavenegar):
    for i in (3, 7, 40):
        suppress_address(channel="sms", address=f"0912{i:07d}", reason="opt_out_sms")

    with CaptureQueriesContext(connection) as small:
        result = enqueue_bulk(channel="sms", recipients=_recipients(10, "a"), body="تخفیف", batch="a", chunk_size=100)
    assert (result.queued, result.skipped) == (8, 2)
    with CaptureQueriesContext(connection) as large:
        result = enqueue_bulk(channel="sms", recipients=_recipients(60, "b"), body="تخفیف", batch="b", chunk_size=100)
    assert (result.queued, result.skipped) == (57, 3)
    # The list is read once for the chunk, not once per recipient.
    assert len(large.captured_queries) == len(small.captured_queries)
    assert sum("comms_suppression" in q["sql"] for q in large.captured_queries) == 1
    skipped = OutboundMessage.objects.filter(batch="b", status=MessageStatus.SKIPPED)
    assert sorted(skipped.values_list("to", flat=True)) == ["+989120000003", "+989120000007", "+989120000040"]
    assert set(skipped.values_list("error", flat=True)) == {"suppressed"}


def test_a_bulk_transactional_send_is_held_back_only_by_reasons_that_stop_everything(kavenegar):
    suppress_address(channel="email", address="gone@example.com", reason="hard_bounce")
    suppress_address(channel="email", address="left@example.com", reason="unsubscribed")
    people = [BulkRecipient(to="gone@example.com", key="k1"), BulkRecipient(to="left@example.com", key="k2")]
    result = enqueue_bulk(channel="email", recipients=people, body="قبض", batch="bills", transactional=True)
    assert (result.queued, result.skipped) == (1, 1)
    assert OutboundMessage.objects.get(idempotency_key="k1").error == "suppressed"


def test_the_worker_refuses_an_address_suppressed_after_the_message_was_queued(kavenegar, stub):
    customer = CustomerFactory(phone=NUMBER)
    message = enqueue_message(channel="sms", to=NUMBER, body="سلام", customer=customer, idempotency_key="later")
    kept = enqueue_message(channel="sms", to="09121234568", body="سلام", idempotency_key="kept")
    assert message.status == MessageStatus.QUEUED
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms")

    stats = send_due()

    message.refresh_from_db()
    kept.refresh_from_db()
    assert (message.status, message.error) == (MessageStatus.SKIPPED, "suppressed")
    assert kept.status == MessageStatus.SENT and stats.skipped == 1
    bodies = [str(r.get("body")) for r in stub.requests]
    assert bodies and any("9121234568" in b for b in bodies) and not any("9121234567" in b for b in bodies)


def test_a_send_now_also_looks_at_the_list_last(kavenegar, stub):
    message = enqueue_message(channel="sms", to=NUMBER, body="سلام", idempotency_key="now", transactional=True)
    suppress_address(channel="sms", address=NUMBER, reason="manual")
    assert deliver_now(message).status == MessageStatus.SKIPPED and stub.requests == []


def test_a_transactional_message_still_goes_to_an_unsubscribed_address_at_send_time(kavenegar, stub):
    message = enqueue_message(channel="sms", to=NUMBER, body="کد", idempotency_key="otp")
    Suppression.objects.create(channel="sms", address=NUMBER, reason="unsubscribed")
    send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


# --- SMS opt-out and opt-in --------------------------------------------------------------------------------------


def test_an_opt_out_from_a_number_that_is_no_customer_stops_the_next_campaign_to_it(kavenegar, stub):
    inbound("لغو ۱۱", "09351112233", "in-1")
    inbound("لغو ۱۱", "09351112233", "in-1")  # the gateway posts it twice

    entry = Suppression.objects.get()
    assert (entry.channel, entry.address, entry.reason) == ("sms", "+989351112233", "opt_out_sms")
    assert "لغو" in entry.source and InboundMessage.objects.get().status == "unmatched"

    people = [BulkRecipient(to="0935 111 2233", key="c:1"), BulkRecipient(to="09351112234", key="c:2")]
    result = enqueue_bulk(channel="sms", recipients=people, body="حراج", batch="campaign")
    assert (result.queued, result.skipped) == (1, 1)
    send_due()
    assert all("09351112233" not in str(r.get("body")) for r in stub.requests)
    assert OutboundMessage.objects.get(idempotency_key="c:2").status == MessageStatus.SENT


def test_opting_back_in_lifts_the_opt_out_and_gives_a_customer_their_consent_back(kavenegar):
    customer = CustomerFactory(phone=NUMBER)
    inbound("STOP", "09121234567", "in-2")
    assert Consent.objects.get(customer=customer, channel="sms").granted is False
    assert Suppression.objects.filter(address=NUMBER, reason="opt_out_sms").exists()
    skipped = enqueue_message(channel="sms", to=NUMBER, body="x", idempotency_key="x1", transactional=False)
    assert skipped.status == MessageStatus.SKIPPED

    inbound("عضویت", "09121234567", "in-3")

    assert not Suppression.objects.exists()
    consent = Consent.objects.get(customer=customer, channel="sms")
    assert consent.granted is True and consent.method == "keyword"
    assert InboundMessage.objects.filter(body="عضویت", customer=customer).exists()
    again = enqueue_message(channel="sms", to=NUMBER, body="x", idempotency_key="x2", transactional=False)
    assert again.status == MessageStatus.QUEUED


def test_opting_in_does_not_lift_an_administrators_entry(kavenegar):
    suppress_address(channel="sms", address=NUMBER, reason="manual", source="legal request")
    inbound("start", "09121234567", "in-4")
    assert Suppression.objects.get().reason == "manual"


def test_a_keyword_from_a_sender_that_is_no_number_is_kept_and_suppresses_nothing(kavenegar):
    inbound("لغو", "SHOP", "in-5")
    assert InboundMessage.objects.get().body == "لغو" and not Suppression.objects.exists()


# --- the API --------------------------------------------------------------------------------------------------------

API = "/api/v1/comms/suppressions"


def test_administrators_add_and_remove_through_the_api(api_client, admin):
    client = api_client(admin)
    body = {"channel": "sms", "addresses": ["0912 123 4567", "09121234568"], "source": "import"}
    answer = client.post(API, body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert sorted(e["address"] for e in data["added"]) == [NUMBER, "+989121234568"] and data["already"] == 0
    assert {e["reason"] for e in data["added"]} == {"manual"}
    assert data["added"][0]["created_by_id"] == admin.pk
    again = client.post(API, {"channel": "sms", "addresses": ["09121234567"]}, content_type="application/json")
    assert again.status_code == 201 and again.json() == {"added": [], "already": 1}

    entry = Suppression.objects.get(address=NUMBER)
    assert client.delete(f"{API}/{entry.pk}").status_code == 204
    assert client.delete(f"{API}/{entry.pk}").status_code == 404
    assert not Suppression.objects.filter(address=NUMBER).exists()


def test_bad_input_is_422_with_the_field_named(api_client, admin):
    client = english(api_client(admin))
    bad = client.post(API, {"channel": "sms", "addresses": ["hello"]}, content_type="application/json")
    assert bad.status_code == 422 and "addresses" in bad.json()["error"]["fields"]
    assert "Not a phone number" in bad.json()["error"]["fields"]["addresses"][0]
    for body in (
        {"channel": "chat", "addresses": ["x"]},
        {"channel": "sms", "addresses": []},
        {"channel": "sms", "addresses": ["09121234567"], "reason": "whim"},
        {"channel": "sms", "addresses": ["09121234567"], "colour": "red"},
        {"channel": "sms", "addresses": ["0912\x001234567"]},
    ):
        assert client.post(API, body, content_type="application/json").status_code == 422, body
    assert client.get(API, {"limit": 0}).status_code == 422
    assert client.get(API, {"cursor": "forged"}).status_code == 422
    assert client.delete(f"{API}/{2**63}").status_code in (404, 422)
    assert not Suppression.objects.exists()


def test_managers_read_with_filters_and_agents_are_refused(api_client, admin, manager_a, agent_a):
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms", source="لغو")
    suppress_address(channel="email", address="a@example.com", reason="hard_bounce", source="550 user unknown")
    entry = suppress_address(channel="email", address="b@example.com", reason="unsubscribed")
    manager = api_client(manager_a)
    rows = manager.get(API).json()["items"]
    assert [r["address"] for r in rows] == ["b@example.com", "a@example.com", NUMBER]
    assert [r["address"] for r in manager.get(API, {"channel": "email"}).json()["items"]] == [
        "b@example.com",
        "a@example.com",
    ]
    assert [r["address"] for r in manager.get(API, {"reason": "hard_bounce"}).json()["items"]] == ["a@example.com"]
    assert [r["address"] for r in manager.get(API, {"q": "0912 123"}).json()["items"]] == [NUMBER]
    assert [r["address"] for r in manager.get(API, {"q": "unknown"}).json()["items"]] == ["a@example.com"]
    first = manager.get(API, {"limit": 2}).json()
    rest = manager.get(API, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["address"] for r in rest["items"]] == [NUMBER] and rest["next_cursor"] is None

    add = {"channel": "sms", "addresses": ["09121234568"]}
    assert manager.post(API, add, content_type="application/json").status_code == 403
    assert manager.delete(f"{API}/{entry.pk}").status_code == 403
    agent = api_client(agent_a)
    assert agent.get(API).status_code == 403
    assert agent.post(API, add, content_type="application/json").status_code == 403
    assert agent.delete(f"{API}/{entry.pk}").status_code == 403
    assert api_client(None).get(API).status_code == 401
    assert Suppression.objects.count() == 3


# --- the pages ------------------------------------------------------------------------------------------------------

PAGE = "/comms/settings/suppressions/"


def test_the_page_lists_searches_and_filters(admin):
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms", source="SMS reply «لغو»")
    suppress_address(channel="email", address="gone@example.com", reason="hard_bounce")
    client = browser(admin)
    assert reverse("comms:suppressions") == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert NUMBER in html and "gone@example.com" in html and 'id="suppression-add"' in html
    assert "Replied with an opt-out word" in html
    only_mail = client.get(PAGE, {"channel": "email"}).content.decode()
    assert "gone@example.com" in only_mail and NUMBER not in only_mail
    by_reason = client.get(PAGE, {"reason": "opt_out_sms"}).content.decode()
    assert NUMBER in by_reason and "gone@example.com" not in by_reason
    found = client.get(PAGE, {"q": "۰۹۱۲۱۲۳۴۵۶۷"}).content.decode()
    assert NUMBER in found and "gone@example.com" not in found
    assert "No address matches these filters." in client.get(PAGE, {"q": "nobody"}).content.decode()
    assert client.get(PAGE, {"channel": "fax", "cursor": "junk"}).status_code == 200


def test_the_page_shows_jalali_dates_and_persian_digits_in_farsi(admin):
    suppress_address(channel="sms", address=NUMBER, reason="manual")
    client = Client()
    client.force_login(admin)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fa"
    html = client.get(PAGE).content.decode()
    assert 'dir="rtl"' in html and "۱۴۰" in html  # a year of the Jalali calendar, in Persian digits


def test_an_administrator_pastes_many_and_removes_one(admin):
    client = browser(admin)
    answer = client.post(
        reverse("comms:suppressions_add"),
        {"channel": "sms", "addresses": "09121234567\n09121234568, 09121234569", "reason": "manual", "source": "x"},
    )
    assert answer.status_code == 302
    assert Suppression.objects.count() == 3
    assert "3 addresses added." in client.get(PAGE).content.decode()
    entry = Suppression.objects.get(address=NUMBER)
    assert client.post(reverse("comms:suppression_delete", args=[entry.pk])).status_code == 302
    assert Suppression.objects.count() == 2
    assert client.post(reverse("comms:suppression_delete", args=[entry.pk])).status_code == 404


def test_a_bad_paste_shows_the_form_again_with_the_error(admin):
    client = browser(admin)
    answer = client.post(
        reverse("comms:suppressions_add"),
        {"channel": "email", "addresses": "a@example.com\nbroken", "reason": "manual"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Not an e-mail address: broken" in html and "a@example.com\nbroken" in html
    missing = client.post(reverse("comms:suppressions_add"), {"channel": "email", "addresses": "", "reason": "manual"})
    assert missing.status_code == 422
    assert not Suppression.objects.exists()


def test_the_csv_export_follows_the_filters(manager_a):
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms", source="لغو")
    suppress_address(channel="email", address="gone@example.com", reason="hard_bounce")
    answer = browser(manager_a).get(reverse("comms:suppressions_export"), {"channel": "sms"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["channel", "address", "reason", "source", "added_by", "added_at"]
    assert [r[:4] for r in rows[1:]] == [["sms", NUMBER, "opt_out_sms", "لغو"]]


def test_managers_read_the_page_without_changing_and_agents_are_refused(manager_a, agent_a):
    entry = suppress_address(channel="sms", address=NUMBER, reason="manual")
    manager = browser(manager_a)
    html = manager.get(PAGE).content.decode()
    assert NUMBER in html and 'id="suppression-add"' not in html and "suppression_delete" not in html
    assert (
        manager.post(reverse("comms:suppressions_add"), {"channel": "sms", "addresses": "09121234568"}).status_code
        == 403
    )
    assert manager.post(reverse("comms:suppression_delete", args=[entry.pk])).status_code == 403
    agent = browser(agent_a)
    assert agent.get(PAGE).status_code == 403
    assert agent.get(reverse("comms:suppressions_export")).status_code == 403
    assert agent.post(reverse("comms:suppression_delete", args=[entry.pk])).status_code == 403
    assert Client().get(PAGE).status_code == 302  # to the login page
    assert Suppression.objects.count() == 1
