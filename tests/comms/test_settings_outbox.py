"""The outbox pages: messages with filters and counts per status, one message whole, and an administrator's
retry and cancel; staff see only the messages to customers they can see."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from peyvand.comms.models import ChannelAccount, MessageStatus, OutboundMessage

pytestmark = pytest.mark.django_db

_KEYS = count(1)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def message(*, customer=None, status=MessageStatus.SENT, channel="sms", to="+989121234567", **fields):
    return OutboundMessage.objects.create(
        channel=channel,
        customer=customer,
        to=to,
        body=fields.pop("body", "پیام آزمایشی"),
        status=status,
        idempotency_key=f"k-{next(_KEYS)}",
        **fields,
    )


@pytest.fixture
def account(db):
    return ChannelAccount.objects.create(
        channel="sms", provider="console", name="Console", inbound_token="t-outbox", is_default=True
    )


def test_the_outbox_lists_messages_newest_first_with_counts_per_status(admin, customer_a, customer_b):
    older = message(customer=customer_a, status="delivered", body="اولی")
    failed = message(customer=customer_b, status="failed", error="401 bad key", body="دومی")
    newest = message(customer=None, status="queued", channel="email", to="x@example.org", body="سومی")

    page = browser(admin).get("/comms/outbox/")

    html = page.content.decode()
    assert page.status_code == 200
    positions = [html.index(f'data-message-id="{m.pk}"') for m in (newest, failed, older)]
    assert positions == sorted(positions)
    assert 'data-status="failed"' in html
    counts = page.context["tabs"]
    assert {value: n for value, _label, n, _q in counts} == {
        "queued": 1,
        "sending": 0,
        "sent": 0,
        "delivered": 1,
        "failed": 1,
        "skipped": 0,
        "cancelled": 0,
    }
    assert page.context["total"] == 3


def test_the_outbox_filters_by_channel_status_batch_customer_address_and_day(admin, customer_a, customer_b):
    campaign = message(customer=customer_a, batch="nowruz-1405", status="sent")
    message(customer=customer_a, batch="", status="failed")
    email = message(customer=customer_b, channel="email", to="b@example.org", status="sent")
    old = message(customer=customer_b, status="sent")
    OutboundMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    client = browser(admin)

    def ids(query):
        response = client.get("/comms/outbox/?" + query)
        assert response.status_code == 200
        return {m.pk for m in response.context["page"].items}

    assert ids("batch=nowruz-1405") == {campaign.pk}
    assert ids("channel=email") == {email.pk}
    assert ids("status=sent&channel=sms") == {campaign.pk, old.pk}
    assert ids(f"customer={customer_b.pk}") == {email.pk, old.pk}
    assert ids("to=b@example") == {email.pk}
    today = timezone.localdate().isoformat()
    assert old.pk not in ids(f"date_from={today}")
    assert ids(f"date_to={(timezone.localdate() - dt.timedelta(days=30)).isoformat()}") == {old.pk}
    # A filter typed wrong is ignored and marked, not an error page.
    assert len(ids("date_from=not-a-date&customer=abc")) == 4


def test_the_outbox_pages_through_a_long_list(admin, customer_a):
    for _ in range(55):
        message(customer=customer_a)
    client = browser(admin)
    first = client.get("/comms/outbox/")
    assert len(first.context["page"].items) == 50 and first.context["next_query"]
    second = client.get("/comms/outbox/?" + first.context["next_query"])
    assert len(second.context["page"].items) == 5
    assert client.get("/comms/outbox/?cursor=forged").status_code == 200


def test_an_agent_sees_only_messages_to_customers_they_can_see(agent_b, customer_a, customer_b):
    theirs = message(customer=customer_b, body="برای مشتری تیم ب")
    hidden = message(customer=customer_a, body="برای مشتری تیم الف")
    test = message(customer=None, batch="test")
    client = browser(agent_b)

    page = client.get("/comms/outbox/")

    assert {m.pk for m in page.context["page"].items} == {theirs.pk}
    assert page.context["total"] == 1
    assert client.get(f"/comms/outbox/{theirs.pk}/").status_code == 200
    assert client.get(f"/comms/outbox/{hidden.pk}/").status_code == 404
    assert client.get(f"/comms/outbox/{test.pk}/").status_code == 404
    assert client.get("/comms/outbox/999999/").status_code == 404


def test_a_manager_sees_the_messages_of_their_teams_customers(manager_a, customer_a, customer_b):
    mine = message(customer=customer_a)
    message(customer=customer_b)
    page = browser(manager_a).get("/comms/outbox/")
    assert [m.pk for m in page.context["page"].items] == [mine.pk]


def test_one_message_shows_its_delivery(admin, customer_a, account):
    sent = message(
        customer=customer_a,
        account=account,
        status="delivered",
        attempts=2,
        provider_message_id="8890123",
        segments=2,
        sent_at=timezone.now(),
        delivered_at=timezone.now(),
        template="ticket_received",
        batch="b1",
    )
    html = browser(admin).get(f"/comms/outbox/{sent.pk}/").content.decode()
    assert "8890123" in html and "Delivered" in html and sent.idempotency_key in html
    assert "ticket_received" in html and customer_a.display_name in html
    assert f"/comms/settings/{account.pk}/" in html


def test_an_admin_sends_a_failed_message_again(admin, customer_a, account):
    failed = message(customer=customer_a, account=account, status="failed", attempts=8, error="503 down")

    response = browser(admin).post(f"/comms/outbox/{failed.pk}/retry/")

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == ("queued", 0, "")
    assert failed.next_attempt_at <= timezone.now()


def test_only_a_failed_message_can_be_sent_again(admin, customer_a):
    sent = message(customer=customer_a, status="sent")
    response = browser(admin).post(f"/comms/outbox/{sent.pk}/retry/", follow=True)
    assert "Only a failed message can be sent again." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_an_admin_cancels_a_queued_message_but_not_one_being_sent(admin, customer_a):
    queued = message(customer=customer_a, status="queued")
    sending = message(customer=customer_a, status="sending")
    client = browser(admin)

    client.post(f"/comms/outbox/{queued.pk}/cancel/")
    refused = client.post(f"/comms/outbox/{sending.pk}/cancel/", follow=True)

    queued.refresh_from_db()
    sending.refresh_from_db()
    assert queued.status == "cancelled" and sending.status == "sending"
    assert "Only a message waiting in the queue can be cancelled." in refused.content.decode()


def test_staff_who_are_not_admins_cannot_retry_or_cancel(agent_a, manager_a, customer_a):
    failed = message(customer=customer_a, status="failed")
    queued = message(customer=customer_a, status="queued")
    for user in (agent_a, manager_a):
        client = browser(user)
        assert client.post(f"/comms/outbox/{failed.pk}/retry/").status_code == 403
        assert client.post(f"/comms/outbox/{queued.pk}/cancel/").status_code == 403
        html = client.get(f"/comms/outbox/{failed.pk}/").content.decode()
        assert "/retry/" not in html
    failed.refresh_from_db()
    queued.refresh_from_db()
    assert (failed.status, queued.status) == ("failed", "queued")


def test_an_admin_cannot_act_on_a_message_that_does_not_exist(admin):
    assert browser(admin).post("/comms/outbox/424242/retry/").status_code == 404
