"""Ticket notices through the channels' outbox: with an account for the channel, a notice becomes one queued
outbox message (about the ticket, for the customer) that a worker sends and records on the customer's timeline
once; without one, the notice keeps the direct path (Django mail, the SMS backend)."""

from __future__ import annotations

import email
import email.policy
import logging

import pytest
from django.utils import timezone

from factories import CustomerFactory
from peyvand.comms.models import ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox import send_due
from peyvand.comms.sms.console import ConsoleSms
from peyvand.customers.models import Consent, ContactChannel, CustomerEmail, Interaction
from peyvand.service.models import CustomerNotification, TicketEvent
from peyvand.service.notify import notify_customer
from peyvand.service.notify_selectors import notice_status, notifications_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_account(db):
    ConsoleSms.sent.clear()
    return ChannelAccount.objects.create(
        channel="sms", provider="console", name="Console", inbound_token="notify-sms", is_default=True
    )


@pytest.fixture
def sms_customer(team_a):
    return CustomerFactory(team=team_a, preferred_channel=ContactChannel.SMS, phone="+989121234567")


def test_a_notice_goes_into_the_outbox_when_the_channel_has_an_account(sms_account, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    interactions_before = Interaction.objects.filter(customer=sms_customer).count()

    record = notify_customer(ticket=ticket, template="ticket_received")

    message = OutboundMessage.objects.get()
    assert (record.status, record.channel, record.message) == ("queued", "sms", message)
    assert (message.channel, message.to, message.status, message.account) == (
        "sms",
        "+989121234567",
        MessageStatus.QUEUED,
        sms_account,
    )
    assert message.body == record.body and message.customer == sms_customer
    assert message.related == ticket and message.template == "ticket_received"
    assert message.idempotency_key == f"ticket-{ticket.pk}-ticket_received-{record.pk}"
    assert ConsoleSms.sent == []  # the worker sends it, not the request
    # The timeline line is the worker's to write when it is sent, not notify's.
    assert Interaction.objects.filter(customer=sms_customer).count() == interactions_before
    event = TicketEvent.objects.get(ticket=ticket, kind="notified")
    assert event.data["status"] == "queued" and event.data["message"] == message.pk


def test_the_worker_sends_the_notice_once_and_the_timeline_gets_one_line(sms_account, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    interactions_before = Interaction.objects.filter(customer=sms_customer).count()
    notify_customer(ticket=ticket, template="ticket_resolved")

    send_due()
    send_due()

    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.SENT
    assert ConsoleSms.sent == [("+989121234567", message.body)]
    assert Interaction.objects.filter(customer=sms_customer).count() == interactions_before + 1


def test_two_notices_of_a_ticket_are_two_messages(sms_account, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    first = notify_customer(ticket=ticket, template="ticket_answered", extra={"reply": "اول"})
    second = notify_customer(ticket=ticket, template="ticket_answered", extra={"reply": "دوم"})
    assert first.message != second.message
    assert OutboundMessage.objects.count() == 2


def test_an_email_notice_goes_through_the_outbox_and_a_real_smtp_server(smtp_server, settings, customer_a, make_ticket):
    ChannelAccount.objects.create(
        channel="email",
        provider="smtp",
        name="Support",
        inbound_token="notify-mail",
        is_default=True,
        config={
            "from_address": "support@example.ir",
            "host": settings.EMAIL_HOST,
            "port": str(settings.EMAIL_PORT),
            "security": "none",
        },
    )
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com", is_primary=True)
    ticket = make_ticket(customer=customer_a, subject="قطعی اینترنت")

    record = notify_customer(ticket=ticket, template="ticket_received")
    assert record.status == "queued" and smtp_server.messages == []
    send_due()

    [(recipients, raw)] = smtp_server.messages
    assert recipients == ["sara@example.com"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(mail["Subject"]).strip() == record.subject
    assert "«قطعی اینترنت»" in mail.get_body(preferencelist=("plain",)).get_content()
    assert OutboundMessage.objects.get().status == MessageStatus.SENT


def test_without_an_account_for_the_channel_the_direct_path_is_kept(caplog, sms_customer, make_ticket):
    # An e-mail account exists, but the customer is written to by SMS: that goes the old way (console backend).
    ChannelAccount.objects.create(channel="email", provider="smtp", name="Mail", inbound_token="m", is_default=True)
    with caplog.at_level(logging.INFO, logger="peyvand.sms"):
        record = notify_customer(ticket=make_ticket(customer=sms_customer), template="ticket_received")
    assert (record.status, record.channel, record.message) == ("sent", "console", None)
    assert not OutboundMessage.objects.exists()
    assert any("+989121234567" in line for line in caplog.messages)


def test_an_inactive_account_does_not_take_notices(sms_account, sms_customer, make_ticket):
    sms_account.is_active = False
    sms_account.save()
    record = notify_customer(ticket=make_ticket(customer=sms_customer), template="ticket_received")
    assert record.status == "sent" and record.message is None
    assert not OutboundMessage.objects.exists()


def test_an_opted_out_customer_is_skipped_before_the_outbox(sms_account, sms_customer, make_ticket):
    Consent.objects.create(
        customer=sms_customer, channel="sms", granted=False, recorded_at=timezone.now(), method="verbal"
    )
    record = notify_customer(ticket=make_ticket(customer=sms_customer), template="ticket_received")
    assert (record.status, record.error, record.message) == ("skipped", "opted_out:sms", None)
    assert not OutboundMessage.objects.exists()


def test_a_contact_without_a_customer_record_is_notified_through_the_outbox(sms_account, make_ticket):
    ticket = make_ticket(contact_phone="+989121112222")
    record = notify_customer(ticket=ticket, template="ticket_assigned")
    message = record.message
    assert record.status == "queued" and record.customer is None
    assert (message.to, message.customer, message.related) == ("+989121112222", None, ticket)
    send_due()
    message.refresh_from_db()
    assert message.status == "sent"


def test_an_address_the_outbox_cannot_send_to_is_recorded_as_skipped(sms_account, make_ticket):
    ticket = make_ticket(contact_phone="12")
    record = notify_customer(ticket=ticket, template="ticket_received")
    assert record.status == "skipped" and record.error == "bad_address"
    assert CustomerNotification.objects.get().message.status == MessageStatus.SKIPPED


def test_a_tickets_notices_say_how_their_outbox_message_went(sms_account, sms_customer, make_ticket):
    ticket = make_ticket(customer=sms_customer)
    notify_customer(ticket=ticket, template="ticket_received")
    [queued] = notifications_of(ticket)
    assert (queued.status, notice_status(queued).status) == ("queued", "queued")

    send_due()

    [sent] = notifications_of(ticket)
    assert (sent.status, notice_status(sent).status) == ("queued", "sent")
    assert notice_status(sent).sent_at == sent.message.sent_at is not None
