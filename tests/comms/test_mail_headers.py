"""The headers that keep machines from answering machines (RFC 3834): our automatic mail says it is automatic,
marketing says it is bulk and how to leave the list, and an incoming mail that says it is automatic is never
answered — sent through a real SMTP server and fetched from a real IMAP server on loopback."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from comms.imap_server import ImapServer
from peyvand.comms.mail.sending import auto_submitted
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus, MessageStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now, enqueue_message
from peyvand.core.text import normalize_digits
from peyvand.customers.models import CustomerEmail
from peyvand.service.models import Ticket


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PEYVAND_QUIET_HOURS = ""


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(db, smtp_server, settings, imap):
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token="mail-headers",
        is_default=True,
        config={
            "from_address": "support@example.ir",
            "host": "127.0.0.1",
            "port": str(settings.EMAIL_PORT),
            "security": "none",
            "imap_username": "support@example.ir",
            "imap_host": imap.host,
            "imap_port": str(imap.port),
            "imap_security": "none",
            "unknown_sender": "ticket",
        },
        secrets={"imap_password": "secret"},
    )


def _sent(smtp_server) -> EmailMessage:
    return email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)


def _send(**fields) -> OutboundMessage:
    message = enqueue_message(channel=Channel.EMAIL, to="sara@example.com", subject="s", body="b", **fields)
    sent = deliver_now(message)
    assert sent.status == MessageStatus.SENT, sent.error
    return sent


def test_a_notice_nobody_wrote_is_auto_generated_and_a_persons_mail_is_not(mailbox, smtp_server, agent_a):
    _send(idempotency_key="notice-1", template="ticket_answered")
    assert _sent(smtp_server)["Auto-Submitted"] == "auto-generated"
    assert _sent(smtp_server)["X-Auto-Response-Suppress"] == "All"

    _send(idempotency_key="notice-2")  # no author: a machine's
    assert _sent(smtp_server)["Auto-Submitted"] == "auto-generated"

    _send(idempotency_key="person-1", by=agent_a)
    assert _sent(smtp_server)["Auto-Submitted"] is None
    assert _sent(smtp_server)["Precedence"] is None
    assert _sent(smtp_server)["List-Unsubscribe"] is None

    _send(idempotency_key="received-1", template="ticket_received")
    assert _sent(smtp_server)["Auto-Submitted"] == "auto-replied"


def test_marketing_is_bulk(mailbox, smtp_server, agent_a):
    message = _send(idempotency_key="campaign-1", by=agent_a, transactional=False)
    mail = _sent(smtp_server)
    assert mail["Precedence"] == "bulk"
    assert auto_submitted(message) == ""


def test_the_ticket_received_notice_of_a_mailed_ticket_is_an_auto_reply(
    mailbox, smtp_server, imap, django_capture_on_commit_callbacks
):
    incoming = EmailMessage()
    incoming["From"] = "Ali Karimi <ali@newco.example>"
    incoming["To"] = "support@example.ir"
    incoming["Subject"] = "قیمت سرویس"
    incoming["Message-ID"] = "<ask-1@newco.example>"
    incoming.set_content("قیمت را بفرستید.")
    imap.add(incoming.as_bytes())
    from peyvand.comms.mail.imap import mailbox_poll

    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll(mailbox)

    ticket = Ticket.objects.get()
    notice = OutboundMessage.objects.get(channel=Channel.EMAIL, related_id=str(ticket.pk))
    assert notice.template == "ticket_received" and notice.to.endswith("ali@newco.example")
    sent = deliver_now(notice)
    assert sent.status == MessageStatus.SENT, sent.error
    mail = _sent(smtp_server)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert ticket.number in normalize_digits(mail["Subject"])


@pytest.mark.parametrize(
    ("value", "automatic"),
    [
        ("auto-replied; owner-email=boss@partner.example", True),
        ("Auto-Generated", True),
        ("auto-notified", True),
        ("no", False),
        ("No (a person wrote this)", False),
    ],
)
def test_an_incoming_mail_that_says_it_is_automatic_is_never_answered(
    mailbox, imap, smtp_server, customer_a, value, automatic, django_capture_on_commit_callbacks
):
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com")
    incoming = EmailMessage()
    incoming["From"] = "out-of-office@partner.example"
    incoming["To"] = "support@example.ir"
    incoming["Subject"] = "Out of office"
    incoming["Message-ID"] = "<ooo-1@partner.example>"
    incoming["Auto-Submitted"] = value
    incoming.set_content("I am away until Saturday.")
    imap.add(incoming.as_bytes())
    from peyvand.comms.mail.imap import mailbox_poll

    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll(mailbox)

    inbound = InboundMessage.objects.get()
    if automatic:
        assert inbound.status == InboundStatus.IGNORED
        # No ticket, so no "we received your request" to a machine: no loop.
        assert Ticket.objects.count() == 0
        assert OutboundMessage.objects.count() == 0
    else:
        assert inbound.status == InboundStatus.PROCESSED
        assert Ticket.objects.count() == 1


def test_marketing_carries_list_unsubscribe_from_the_suppression_list(
    mailbox, smtp_server, agent_a, customer_a, settings
):
    from peyvand.comms import suppression

    settings.PEYVAND_SITE_URL = "https://crm.example.ir"
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com")
    message = _send(idempotency_key="campaign-2", by=agent_a, transactional=False, customer=customer_a)
    mail = _sent(smtp_server)
    expected = suppression.list_unsubscribe_headers(message)
    assert expected, "a marketing mail has an unsubscribe link"
    for header, value in expected.items():
        assert str(mail[header]) == value
    assert mail["List-Unsubscribe"].startswith("<https://crm.example.ir/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Precedence"] == "bulk"
