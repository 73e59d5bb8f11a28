"""Delivery status by polling, for accounts without a working delivery webhook: Kavenegar status.json (up to 500
ids a call) and SMS.ir's message report against a stub that answers as their documentation says, recorded like
a webhook's reports, bounded per run, never asking about a message more often than the setting allows, and
stopping at the age limit; run by the worker's periodic task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comms.sms_stub import SmsGatewayStub, make_account
from peyvand.comms.models import Channel, MessageStatus, OutboundMessage
from peyvand.comms.outbox import BulkRecipient, enqueue_bulk, send_due
from peyvand.comms.sms.models import StatusPollCursor
from peyvand.comms.sms.polling import accounts_to_poll, poll_account, poll_all
from peyvand.comms.sms.tasks import sms_status_poll_schedule

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


def sent_campaign(account, count, *, minutes_ago=5, prefix="s"):
    """`count` messages really sent through the stub, their sent_at moved back `minutes_ago`."""
    recipients = (BulkRecipient(to=f"0912{i:07d}", key=f"{prefix}:{i}") for i in range(count))
    enqueue_bulk(channel=Channel.SMS, recipients=recipients, body="سلام", account=account, batch=prefix)
    assert send_due(batch=count + 10).sent == count
    OutboundMessage.objects.filter(account=account).update(sent_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return list(OutboundMessage.objects.filter(account=account).order_by("id"))


def status_requests(stub):
    return stub.paths("/sms/status.json")


def test_kavenegar_statuses_are_asked_in_one_call_and_recorded(kavenegar, stub):
    first, second, third = sent_campaign(kavenegar, 3)
    stub.set_status(first.provider_message_id, 10)  # delivered
    stub.set_status(second.provider_message_id, 11)  # not deliverable
    result = poll_account(kavenegar)
    assert (result.asked, result.delivered, result.undelivered) == (3, 1, 1)
    [request] = status_requests(stub)
    assert request["query"]["messageid"].split(",") == [m.provider_message_id for m in (first, second, third)]
    for message in (first, second, third):
        message.refresh_from_db()
    assert first.status == MessageStatus.DELIVERED and first.delivered_at is not None
    assert second.status == MessageStatus.FAILED and second.error == "undelivered: 11"
    assert third.status == MessageStatus.SENT  # still in the queue (1): asked again next time


def test_a_message_is_not_asked_about_again_before_the_interval(kavenegar, stub, settings):
    settings.PEYVAND_SMS_STATUS_MINUTES = 15
    first, second = sent_campaign(kavenegar, 2)
    now = timezone.now()
    assert poll_account(kavenegar, now=now).asked == 2
    assert poll_account(kavenegar, now=now + dt.timedelta(minutes=5)).asked == 0
    assert len(status_requests(stub)) == 1
    stub.set_status(first.provider_message_id, 10)
    later = poll_account(kavenegar, now=now + dt.timedelta(minutes=16))
    assert (later.asked, later.delivered) == (2, 1)
    # The delivered one is done: the next pass asks only about the other.
    again = poll_account(kavenegar, now=now + dt.timedelta(minutes=32))
    assert again.asked == 1
    assert status_requests(stub)[-1]["query"]["messageid"] == second.provider_message_id


def test_a_run_is_bounded_and_the_pass_goes_on_in_the_next_runs(kavenegar, stub):
    messages = sent_campaign(kavenegar, 5)
    now = timezone.now()
    runs = [poll_account(kavenegar, now=now + dt.timedelta(seconds=i), limit=2) for i in range(4)]
    assert [r.asked for r in runs] == [2, 2, 1, 0]
    assert [r.finished_pass for r in runs] == [False, False, True, False]
    asked = [request["query"]["messageid"].split(",") for request in status_requests(stub)]
    assert [i for ids in asked for i in ids] == [m.provider_message_id for m in messages]  # each once, in order
    assert StatusPollCursor.objects.get(account=kavenegar).after_id == 0


def test_kavenegar_is_asked_about_at_most_500_ids_a_call(kavenegar, stub):
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            channel=Channel.SMS,
            account=kavenegar,
            to=f"0912{i:07d}",
            body="سلام",
            idempotency_key=f"bulk:{i}",
            status=MessageStatus.SENT,
            provider_message_id=str(500_000 + i),
            sent_at=now - dt.timedelta(hours=1),
        )
        for i in range(1200)
    )
    result = poll_account(kavenegar, now=now)
    assert result.asked == 1200 and result.finished_pass
    assert [len(r["query"]["messageid"].split(",")) for r in status_requests(stub)] == [500, 500, 200]
    # 100 (no such messageid) is not "not delivered": those stay sent until they are too old to ask about.
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 1200


def test_messages_too_old_or_just_sent_are_not_asked_about(kavenegar, stub, settings):
    settings.PEYVAND_SMS_STATUS_HOURS = 72
    old, fresh, due = sent_campaign(kavenegar, 3)
    OutboundMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - dt.timedelta(hours=73))
    OutboundMessage.objects.filter(pk=fresh.pk).update(sent_at=timezone.now())
    assert poll_account(kavenegar).asked == 1
    assert status_requests(stub)[0]["query"]["messageid"] == due.provider_message_id


def test_a_status_the_webhook_brought_first_is_not_asked_again_nor_changed(kavenegar, stub):
    first, _second = sent_campaign(kavenegar, 2)
    client = Client()
    response = client.post(
        reverse("comms:sms:delivery", args=[kavenegar.inbound_token]),
        {"messageid": first.provider_message_id, "status": "10"},
    )
    assert response.status_code == 200
    stub.set_status(first.provider_message_id, 11)
    assert poll_account(kavenegar).asked == 1
    first.refresh_from_db()
    assert first.status == MessageStatus.DELIVERED


def test_polling_can_be_turned_off_per_account(kavenegar, stub):
    sent_campaign(kavenegar, 2)
    kavenegar.config["poll_status"] = "off"
    kavenegar.save()
    assert accounts_to_poll() == []
    assert poll_all() == [] and poll_account(kavenegar).asked == 0
    assert status_requests(stub) == []


def test_a_gateway_error_ends_the_run_and_the_next_run_asks_again(kavenegar, stub):
    sent_campaign(kavenegar, 2)
    kavenegar.secrets["api_key"] = "revoked"
    kavenegar.save()
    result = poll_account(kavenegar)
    assert result.asked == 0 and "403" in result.error
    cursor = StatusPollCursor.objects.get(account=kavenegar)
    assert cursor.after_id == 0 and "403" in cursor.last_error
    kavenegar.secrets["api_key"] = "test-key"
    kavenegar.save()
    # The failed run's pass is still open (the cursor did not move): asked at once, not after the interval.
    assert poll_account(kavenegar).asked == 2


def test_smsir_statuses_are_read_one_message_report_each(smsir, stub):
    first, second, third = sent_campaign(smsir, 3)
    stub.set_status(first.provider_message_id, 1)  # delivered
    stub.set_status(second.provider_message_id, 2)  # not delivered
    result = poll_account(smsir)
    assert (result.asked, result.delivered, result.undelivered) == (3, 1, 1)
    paths = [r["path"] for r in stub.requests if r["method"] == "GET"]
    assert paths == [f"/v1/send/{m.provider_message_id}" for m in (first, second, third)]
    assert stub.requests[-1]["headers"]["X-API-KEY"] == "test-key"
    states = dict(OutboundMessage.objects.values_list("pk", "status"))
    assert states == {first.pk: "delivered", second.pk: "failed", third.pk: "sent"}


def test_the_worker_runs_the_polling_as_a_periodic_task(kavenegar, stub, monkeypatch, settings):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker

    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    [message] = sent_campaign(kavenegar, 1)
    stub.set_status(message.provider_message_id, 10)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    # Queued once while a run is recent; not at all when turned off.
    assert sms_status_poll_schedule() is None
    settings.PEYVAND_SMS_STATUS_POLL_SECONDS = 0
    assert sms_status_poll_schedule(now=timezone.now() + dt.timedelta(hours=1)) is None


def test_the_account_settings_page_offers_the_polling_switch(kavenegar, admin):
    client = Client()
    client.force_login(admin)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("comms:account_edit", args=[kavenegar.pk]))
    assert page.status_code == 200
    assert "Poll delivery status" in page.content.decode() and 'name="cfg_poll_status"' in page.content.decode()
