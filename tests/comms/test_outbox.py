"""The outbox: templates with customer fields in Persian, consent and quiet hours, sending through a real HTTP
gateway stub, retries with back-off, rate limits shared through the database, leases that run out, and one
line on the customer's timeline for every message sent."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from comms.sms_stub import SmsGatewayStub
from factories import CustomerFactory
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage, SendWindow
from peyvand.comms.outbox import (
    BulkRecipient,
    customer_values,
    deliver_now,
    enqueue_bulk,
    enqueue_message,
    render_text,
    send_due,
)
from peyvand.comms.outbox.engine import claim
from peyvand.comms.outbox.policy import quiet_until
from peyvand.customers.models import Consent, Interaction

pytestmark = pytest.mark.django_db
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


@pytest.fixture
def stub():
    gateway = SmsGatewayStub().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def kavenegar(stub, settings):
    settings.PEYVAND_QUIET_HOURS = ""
    return ChannelAccount.objects.create(
        channel=Channel.SMS,
        provider="kavenegar",
        name="Kavenegar",
        config={"base_url": stub.base_url, "sender": "10004346"},
        secrets={"api_key": "test-key"},
        inbound_token="kave-token",
        is_default=True,
    )


def opt_out(customer, channel="sms"):
    Consent.objects.create(
        customer=customer, channel=channel, granted=False, recorded_at=timezone.now(), method="verbal"
    )


def sms(to="09121234567", key="k1", **kwargs):
    return enqueue_message(channel=Channel.SMS, to=to, body=kwargs.pop("body", "سلام"), idempotency_key=key, **kwargs)


# --- templates ---------------------------------------------------------------------------------------------------


def test_template_fills_customer_fields_with_persian_digits_and_jalali_dates():
    customer = CustomerFactory(first_name="سارا", last_name="احمدی", custom_fields={"city": "شیراز"})
    text = render_text(
        "{first_name} عزیز، مانده حساب شما {amount} ریال تا {due} در {custom.city}. {{کد}}",
        customer=customer,
        values={"amount": 1250000, "due": dt.date(2024, 4, 3)},
        language="fa",
    )
    assert text == "سارا عزیز، مانده حساب شما ۱٬۲۵۰٬۰۰۰ ریال تا ۱۴۰۳/۰۱/۱۵ در شیراز. {کد}"
    english = render_text(
        "Dear {name}: {amount} due {due}",
        customer=customer,
        values={"amount": 1250000, "due": dt.date(2024, 4, 3)},
        language="en",
    )
    assert english == f"Dear {customer.display_name}: 1,250,000 due 2024-04-03"


def test_template_refuses_an_unknown_field_naming_the_known_ones():
    with pytest.raises(ValidationError) as caught:
        render_text("سلام {nmae}", values={})
    message = caught.value.message_dict["body"][0]
    assert "{nmae}" in message and "{name}" in message
    with pytest.raises(ValidationError):
        render_text("a lone { brace", values={})


def test_enqueue_renders_when_values_are_given_and_leaves_braces_alone_otherwise(kavenegar):
    customer = CustomerFactory(first_name="علی")
    rendered = sms(key="r1", body="{first_name} جان، سفارش {n} آماده است", customer=customer, values={"n": 42})
    assert rendered.body == "علی جان، سفارش ۴۲ آماده است"
    verbatim = sms(key="r2", body="پاسخ شما: {این متن مشتری است}")
    assert verbatim.body == "پاسخ شما: {این متن مشتری است}"
    with pytest.raises(ValidationError):
        sms(key="r3", body="{unknown}", values={})
    assert not OutboundMessage.objects.filter(idempotency_key="r3").exists()


# --- enqueue -----------------------------------------------------------------------------------------------------


def test_enqueue_is_idempotent_and_normalises_the_number(kavenegar):
    first = sms(to="۰۹۱۲ ۱۲۳ ۴۵۶۷", key="same")
    again = sms(to="09129999999", key="same", body="other")
    assert first.pk == again.pk and OutboundMessage.objects.count() == 1
    assert first.to == "+989121234567" and first.status == MessageStatus.QUEUED
    assert first.account == kavenegar and first.segments == 1


def test_a_customer_who_refused_sms_is_recorded_as_skipped_never_sent(kavenegar, stub):
    customer = CustomerFactory(phone="+989121234567")
    opt_out(customer)
    message = sms(key="c1", customer=customer)
    assert message.status == MessageStatus.SKIPPED and message.error == "opted_out:sms"
    send_due()
    assert stub.requests == []
    # Consent for e-mail says nothing about SMS, and the other way round.
    other = CustomerFactory()
    opt_out(other, "email")
    assert sms(key="c2", customer=other).status == MessageStatus.QUEUED


def test_consent_withdrawn_after_enqueueing_stops_the_send(kavenegar, stub):
    customer = CustomerFactory(phone="+989121234567")
    message = sms(key="late", customer=customer, transactional=False)
    opt_out(customer)
    send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SKIPPED and message.error == "opted_out:sms"
    assert stub.requests == []


def test_quiet_hours_hold_marketing_until_morning_but_not_notices(kavenegar, settings):
    settings.PEYVAND_QUIET_HOURS = "22:00-08:00"
    night = dt.datetime(2026, 3, 1, 23, 30, tzinfo=TEHRAN)
    morning = dt.datetime(2026, 3, 2, 8, 0, tzinfo=TEHRAN)
    assert quiet_until(kavenegar, night) == morning
    assert quiet_until(kavenegar, dt.datetime(2026, 3, 2, 7, 0, tzinfo=TEHRAN)) == morning
    assert quiet_until(kavenegar, dt.datetime(2026, 3, 2, 12, 0, tzinfo=TEHRAN)) is None
    # An account may keep its own window.
    kavenegar.config["quiet_hours"] = "21:00-09:00"
    assert quiet_until(kavenegar, dt.datetime(2026, 3, 2, 8, 30, tzinfo=TEHRAN)) == dt.datetime(
        2026, 3, 2, 9, 0, tzinfo=TEHRAN
    )


def test_marketing_enqueued_in_quiet_hours_waits_and_is_not_sent(kavenegar, stub, settings):
    now_local = timezone.now().astimezone(TEHRAN)
    # A window around now, whatever the time the test runs.
    start = (now_local - dt.timedelta(hours=1)).strftime("%H:%M")
    end = (now_local + dt.timedelta(hours=1)).strftime("%H:%M")
    settings.PEYVAND_QUIET_HOURS = f"{start}-{end}"
    campaign = sms(key="m1", transactional=False)
    notice = sms(key="t1")
    assert campaign.next_attempt_at > timezone.now() + dt.timedelta(minutes=50)
    stats = send_due()
    assert stats.sent == 1
    campaign.refresh_from_db()
    notice.refresh_from_db()
    assert notice.status == MessageStatus.SENT and campaign.status == MessageStatus.QUEUED


# --- sending ------------------------------------------------------------------------------------------------------


def test_a_sent_message_goes_to_the_gateway_once_and_on_the_timeline_once(kavenegar, stub, agent_a):
    customer = CustomerFactory(phone="+989121234567")
    message = sms(key="tl", customer=customer, body="سفارش شما ارسال شد", by=agent_a)
    assert send_due().sent == 1
    assert send_due().handled == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_message_id
    assert message.attempts == 1 and message.lease_token == "" and message.sent_at is not None
    request = stub.requests[0]
    assert request["body"] == {
        "receptor": "09121234567",
        "message": "سفارش شما ارسال شد",
        "localid": str(message.pk),
        "sender": "10004346",
    }
    lines = Interaction.objects.filter(customer=customer, channel="sms", direction="out")
    assert lines.count() == 1
    line = lines.get()
    assert line.body == "سفارش شما ارسال شد" and line.related == message and line.by == agent_a


def test_a_temporary_failure_is_retried_later_with_back_off(kavenegar, stub, settings):
    settings.PEYVAND_OUTBOX_RETRY_SECONDS = 60
    stub.fail_next(409)
    message = sms(key="retry")
    stats = send_due()
    assert stats.retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 25 <= wait <= 61
    assert "409" in message.error
    # Not due yet: nothing is sent.
    assert send_due().handled == 0
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert send_due().sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2 and message.error == ""


def test_back_off_doubles_and_gives_up_after_the_last_attempt(kavenegar, stub, settings):
    from peyvand.comms.outbox.engine import retry_delay

    settings.PEYVAND_OUTBOX_RETRY_SECONDS = 10
    settings.PEYVAND_OUTBOX_RETRY_MAX_SECONDS = 100
    assert 5 <= retry_delay(1) <= 10 and 20 <= retry_delay(3) <= 40 and 50 <= retry_delay(9) <= 100
    assert retry_delay(1, retry_after=300) == 300
    settings.PEYVAND_OUTBOX_MAX_ATTEMPTS = 2
    stub.fail_next(429, 429)
    message = sms(key="giveup")
    send_due()
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert send_due().failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error.startswith("gave_up")


def test_a_permanent_refusal_fails_the_message_at_once(kavenegar, stub):
    stub.fail_next(418)  # no credit
    message = sms(key="perm")
    assert send_due().failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "418" in message.error and message.attempts == 1


def test_a_wrong_api_key_fails_rather_than_retrying_forever(kavenegar, stub):
    kavenegar.secrets = {"api_key": "wrong"}
    kavenegar.save()
    message = sms(key="badkey")
    send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "403" in message.error


def test_a_gateway_that_is_down_is_retried(kavenegar, free_port):
    kavenegar.config["base_url"] = f"http://127.0.0.1:{free_port}"
    kavenegar.save()
    message = sms(key="down")
    assert send_due().retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "unreachable" in message.error and not message.in_doubt


def test_a_message_left_sending_by_a_dead_worker_is_not_sent_twice(kavenegar, stub):
    message = sms(key="crash")
    # A worker claims it and the gateway takes it, then the worker dies before writing the outcome.
    _token, claimed = claim(kavenegar, limit=10)
    assert [m.pk for m in claimed] == [message.pk]
    from peyvand.comms.sms.kavenegar import Kavenegar

    Kavenegar(kavenegar).send(claimed[0])
    assert stub.accepted_per_localid[str(message.pk)] == 1
    # Another worker finds nothing while the lease holds...
    assert send_due().handled == 0
    # ...and, once it has run out, asks the gateway before sending again.
    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    stats = send_due()
    assert stats.recovered == 1 and stats.sent == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and not message.in_doubt and message.attempts == 2
    assert stub.send_requests_per_localid[str(message.pk)] == 1
    assert any(r["path"].endswith("statuslocalmessageid.json") for r in stub.requests)


def test_a_message_whose_worker_died_before_sending_is_sent_after_the_lease(kavenegar, stub):
    message = sms(key="crash2")
    claim(kavenegar, limit=10)
    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    stats = send_due()
    assert stats.sent == 1 and stats.recovered == 0
    assert stub.accepted_per_localid[str(message.pk)] == 1


def test_a_late_worker_cannot_overwrite_the_outcome_of_a_message_taken_from_it(kavenegar, stub):
    from peyvand.comms.outbox.engine import _finish

    message = sms(key="late-worker")
    old_token, _rows = claim(kavenegar, limit=1)
    OutboundMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    send_due()
    assert not _finish(message, old_token, status=MessageStatus.FAILED, error="late")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_the_rate_limit_is_shared_through_the_database(kavenegar, stub):
    kavenegar.rate_per_minute = 5
    kavenegar.save()
    for i in range(12):
        sms(key=f"rate{i}")
    assert send_due(batch=100).sent == 5
    assert send_due(batch=100).sent == 0
    assert SendWindow.objects.get(account=kavenegar).count == 5
    SendWindow.objects.filter(account=kavenegar).update(started_at=timezone.now() - dt.timedelta(seconds=61))
    assert send_due(batch=3).sent == 3
    assert send_due(batch=100).sent == 2
    # Permits not used (fewer messages than allowed) are given back.
    assert SendWindow.objects.get(account=kavenegar).count == 5


def test_deliver_now_sends_one_message_in_this_process(kavenegar, stub):
    customer = CustomerFactory(phone="+989121234567")
    message = deliver_now(sms(key="now", customer=customer))
    assert message.status == MessageStatus.SENT and len(stub.requests) == 1
    assert deliver_now(message).status == MessageStatus.SENT and len(stub.requests) == 1
    assert Interaction.objects.filter(customer=customer, direction="out").count() == 1


def test_the_send_outbox_command_sends_what_is_due_and_exits(kavenegar, stub):
    for i in range(3):
        sms(key=f"cmd{i}")
    out = StringIO()
    call_command("send_outbox", "--once", stdout=out)
    assert "sent=3" in out.getvalue()
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 3


def test_console_and_default_account_for_messages_enqueued_without_one(settings):
    settings.PEYVAND_QUIET_HOURS = ""
    message = sms(key="noacc")
    assert message.account is None
    console = ChannelAccount.objects.create(channel=Channel.SMS, provider="console", name="c", inbound_token="c")
    assert send_due().sent == 1
    message.refresh_from_db()
    assert message.account == console and message.status == MessageStatus.SENT


# --- bulk ---------------------------------------------------------------------------------------------------------


def test_bulk_enqueue_renders_each_recipient_and_can_be_run_again(kavenegar, settings):
    settings.PEYVAND_QUIET_HOURS = ""
    refused = CustomerFactory(first_name="رضا")
    opt_out(refused)
    recipients = [
        BulkRecipient(to=f"0912{i:07d}", key=f"camp:{i}", values={"name": f"مشتری {i}", "amount": i * 1000})
        for i in range(1, 1201)
    ]
    recipients.append(
        BulkRecipient(to="09350000000", key="camp:r", customer_id=refused.pk, values=customer_values(refused))
    )
    recipients.append(BulkRecipient(to="not a number", key="camp:bad", values={"name": "x", "amount": 1}))
    result = enqueue_bulk(
        channel=Channel.SMS, recipients=iter(recipients), body="{name}: {amount} ریال", batch="camp", chunk_size=500
    )
    assert (result.queued, result.skipped, result.duplicates) == (1200, 2, 0)
    assert OutboundMessage.objects.get(idempotency_key="camp:7").body == "مشتری 7: ۷٬۰۰۰ ریال"
    assert OutboundMessage.objects.get(idempotency_key="camp:r").error == "opted_out:sms"
    assert OutboundMessage.objects.get(idempotency_key="camp:bad").error == "bad_address"
    again = enqueue_bulk(channel=Channel.SMS, recipients=recipients, body="{name}", batch="camp")
    assert (again.queued, again.duplicates) == (0, 1202)
    assert OutboundMessage.objects.count() == 1202
    with pytest.raises(ValidationError):
        enqueue_bulk(channel=Channel.SMS, recipients=recipients, body="{nope}", batch="x")


def test_a_batch_run_of_peyvand_worker_also_sends_the_outbox(kavenegar, stub, monkeypatch):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker

    # As in the worker's own tests: no signal handlers left in the test process, and the test's connection
    # (inside its transaction) left open between tasks.
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    message = sms(key="via-worker")
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and len(stub.requests) == 1


def test_an_account_may_turn_quiet_hours_off_or_follow_the_site(kavenegar, settings):
    settings.PEYVAND_QUIET_HOURS = "22:00-08:00"
    night = dt.datetime(2026, 3, 1, 23, 30, tzinfo=TEHRAN)
    kavenegar.config["quiet_hours"] = ""
    assert quiet_until(kavenegar, night) is not None
    kavenegar.config["quiet_hours"] = "off"
    assert quiet_until(kavenegar, night) is None


def test_the_sending_loop_survives_a_failed_pass_and_goes_on(monkeypatch, settings):
    import threading

    from peyvand.comms.outbox import worker as outbox_worker
    from peyvand.comms.outbox.engine import SendStats

    settings.PEYVAND_OUTBOX_POLL_SECONDS = 0
    stop = threading.Event()
    passes = []

    def flaky(*, batch):
        passes.append(batch)
        if len(passes) == 1:
            raise RuntimeError("a bug in one pass")
        stop.set()
        return SendStats(sent=2)

    monkeypatch.setattr(outbox_worker, "send_due", flaky)
    monkeypatch.setattr(outbox_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(stop, "wait", lambda seconds: None)
    total = outbox_worker.run_outbox(batch=7, stop=stop)
    assert passes == [7, 7]
    assert total.sent == 2
