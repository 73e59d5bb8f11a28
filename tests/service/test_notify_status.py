"""A ticket notice carried by the outbox shows its message's status as it changes (queued, sent, delivered,
failed with the error, skipped because the address was suppressed after it was queued) on the ticket page and
in the tickets API, read through the link in one query; the suppression list's reasons that stop everything
hold a notice back, an unsubscribe from marketing does not."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms.sms_stub import SmsGatewayStub
from factories import CustomerFactory
from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.outbox import send_due
from peyvand.comms.suppression import suppress_address
from peyvand.customers.models import ContactChannel, CustomerEmail
from peyvand.service.models import Ticket
from peyvand.service.notify import notify_customer

pytestmark = pytest.mark.django_db

NUMBER = "+989121234567"
_NUMBERS = itertools.count(1)


@pytest.fixture
def make_ticket(db):
    def make(*, customer, subject="اینترنت قطع است"):
        return Ticket.objects.create(
            number=f"T-NS-{next(_NUMBERS)}", customer=customer, team=customer.team, subject=subject
        )

    return make


@pytest.fixture
def stub():
    gateway = SmsGatewayStub().start()
    yield gateway
    gateway.stop()


@pytest.fixture
def kavenegar(stub):
    return ChannelAccount.objects.create(
        channel="sms",
        provider="kavenegar",
        name="Kavenegar",
        config={"base_url": stub.base_url, "quiet_hours": "off", "sender": "10004346"},
        secrets={"api_key": "test-key"},
        inbound_token="kave-token",
        is_default=True,
    )


@pytest.fixture
def sms_customer(team_a, agent_a):
    return CustomerFactory(team=team_a, owner=agent_a, preferred_channel=ContactChannel.SMS, phone=NUMBER)


def notices(api_client, user, ticket):
    answer = api_client(user).get(f"/api/v1/tickets/{ticket.pk}/notifications")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_the_api_follows_the_message_from_queued_to_delivered(
    api_client, agent_a, kavenegar, sms_customer, make_ticket
):
    ticket = make_ticket(customer=sms_customer)
    record = notify_customer(ticket=ticket, template="ticket_received")
    [row] = notices(api_client, agent_a, ticket)
    assert (row["status"], row["error"], row["message_id"], row["attempts"]) == ("queued", "", record.message_id, 0)
    assert row["sent_at"] is None and row["delivered_at"] is None

    send_due()
    [row] = notices(api_client, agent_a, ticket)
    assert row["status"] == "sent" and row["sent_at"] is not None and row["attempts"] == 1

    message = OutboundMessage.objects.get()
    report = Client().post(
        reverse("comms:sms:delivery", args=["kave-token"]), {"messageid": message.provider_message_id, "status": "10"}
    )
    assert report.status_code == 200
    [row] = notices(api_client, agent_a, ticket)
    assert row["status"] == "delivered" and row["delivered_at"] is not None
    record.refresh_from_db()
    assert record.status == "queued"  # nothing copied: the record stays as notify wrote it


def test_a_refused_send_shows_failed_with_the_gateways_error(
    api_client, agent_a, kavenegar, stub, sms_customer, make_ticket
):
    ticket = make_ticket(customer=sms_customer)
    notify_customer(ticket=ticket, template="ticket_resolved")
    stub.fail_next(418)  # Kavenegar: no credit
    send_due()
    [row] = notices(api_client, agent_a, ticket)
    assert row["status"] == "failed" and "418" in row["error"]


def test_an_address_suppressed_after_queueing_shows_skipped(
    api_client, agent_a, kavenegar, stub, sms_customer, make_ticket
):
    ticket = make_ticket(customer=sms_customer)
    notify_customer(ticket=ticket, template="ticket_assigned")
    suppress_address(channel="sms", address=NUMBER, reason="opt_out_sms")
    send_due()
    [row] = notices(api_client, agent_a, ticket)
    assert (row["status"], row["error"]) == ("skipped", "suppressed") and stub.requests == []


def test_the_notices_are_read_in_one_query_however_many(api_client, agent_a, kavenegar, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    client = api_client(agent_a)
    notify_customer(ticket=ticket, template="ticket_received")
    client.get(f"/api/v1/tickets/{ticket.pk}/notifications")  # warm the token and session caches
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/tickets/{ticket.pk}/notifications")
    for template in ("ticket_assigned", "ticket_answered", "ticket_waiting", "ticket_resolved"):
        notify_customer(ticket=ticket, template=template, extra={"reply": "باشه"})
    with CaptureQueriesContext(connection) as five:
        answer = client.get(f"/api/v1/tickets/{ticket.pk}/notifications")
    assert len(answer.json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_agent_of_another_team_gets_404(api_client, agent_b, kavenegar, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    notify_customer(ticket=ticket, template="ticket_received")
    assert api_client(agent_b).get(f"/api/v1/tickets/{ticket.pk}/notifications").status_code == 404


def test_the_ticket_page_shows_each_notices_status_now(agent_a, kavenegar, stub, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    first = notify_customer(ticket=ticket, template="ticket_received")
    client = Client()
    client.force_login(agent_a)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'data-notice-id="{first.pk}" data-status="queued"' in page

    send_due()
    stub.fail_next(418)
    second = notify_customer(ticket=ticket, template="ticket_resolved")
    send_due()
    page = client.get(reverse("service:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'data-notice-id="{first.pk}" data-status="sent"' in page
    assert f'data-notice-id="{second.pk}" data-status="failed"' in page and "418" in page
    assert reverse("comms:outbox_message", args=[first.message_id]) in page


def test_a_hard_bounce_holds_a_notice_back_and_an_unsubscribe_does_not(team_a, make_ticket):
    bounced = CustomerFactory(team=team_a)
    CustomerEmail.objects.create(customer=bounced, email="gone@example.com", is_primary=True)
    left = CustomerFactory(team=team_a)
    CustomerEmail.objects.create(customer=left, email="left@example.com", is_primary=True)
    suppress_address(channel="email", address="GONE@example.com", reason="hard_bounce")
    suppress_address(channel="email", address="left@example.com", reason="unsubscribed")

    held = notify_customer(ticket=make_ticket(customer=bounced), template="ticket_received")
    sent = notify_customer(ticket=make_ticket(customer=left), template="ticket_received")

    assert (held.status, held.error) == ("skipped", "suppressed")
    assert sent.status == "sent"  # no e-mail account: Django's mail, at once


def test_a_notice_through_the_outbox_to_a_bounced_address_is_skipped_before_the_outbox(
    make_ticket, sms_customer, kavenegar
):
    suppress_address(channel="sms", address=NUMBER, reason="hard_bounce", source="operator: number not in service")
    record = notify_customer(ticket=make_ticket(customer=sms_customer), template="ticket_received")
    assert (record.status, record.error, record.message) == ("skipped", "suppressed", None)
    assert not OutboundMessage.objects.exists()
