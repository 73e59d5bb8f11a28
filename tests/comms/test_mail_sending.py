"""Sending e-mail through a real SMTP server on loopback (aiosmtpd): Persian subjects and names encoded, HTML
with a plain alternative, a Message-ID that is the same on every send and leads a reply back to its ticket,
and refusals sorted into "retry later" and "never"."""

from __future__ import annotations

import email
import re
import smtplib
import socket
from email.header import decode_header, make_header
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from comms.imap_server import ImapServer
from peyvand.comms.mail.imap import mailbox_poll
from peyvand.comms.mail.sending import SmtpProvider, message_id_for
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, MessageStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now, enqueue_message
from peyvand.comms.providers import PermanentError, TemporaryError, provider_class
from peyvand.customers.models import CustomerEmail
from peyvand.service.models import TicketMessage
from peyvand.service.services.tickets import ticket_create


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _account(port: int, **config) -> ChannelAccount:
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token="mail-send-token",
        is_default=True,
        config={
            "from_address": "support@example.ir",
            "from_name": "پشتیبانی پیوند",
            "host": "127.0.0.1",
            "port": str(port),
            "security": "none",
            **config,
        },
    )


@pytest.fixture
def account(smtp_server, settings, db):
    return _account(settings.EMAIL_PORT)


def _message(to="سارا رضایی <sara@example.com>", key="test-1", **extra) -> OutboundMessage:
    return OutboundMessage.objects.create(
        channel=Channel.EMAIL,
        to=to,
        subject=extra.pop("subject", "پاسخ به درخواست شما"),
        body=extra.pop("body", "درخواست شما انجام شد."),
        idempotency_key=key,
        **extra,
    )


def _header(message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


def test_the_provider_is_the_one_the_outbox_names(account):
    assert provider_class("email", "smtp") is SmtpProvider
    assert {f.name for f in SmtpProvider.config_fields if f.secret} == {"password", "imap_password"}


def test_it_sends_persian_subject_and_name_encoded_with_html_and_plain_text(account, smtp_server):
    message = enqueue_message(
        channel=Channel.EMAIL,
        to="سارا رضایی <sara@example.com>",
        subject="پاسخ به درخواست شما",
        body="درخواست شما انجام شد.",
        html="<p>درخواست شما <b>انجام شد</b>.</p>",
        idempotency_key="reply-42",
    )

    sent = deliver_now(message)

    assert sent.status == MessageStatus.SENT, sent.error
    ((recipients, raw),) = smtp_server.messages
    assert recipients == ["sara@example.com"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    # Non-ASCII never travels raw in the headers: RFC 2047 encoded words.
    assert head.isascii()
    assert b"=?utf-8?" in head.lower()
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert parsed["Subject"] == "پاسخ به درخواست شما"
    assert parsed["From"].addresses[0].display_name == "پشتیبانی پیوند"
    assert parsed["From"].addresses[0].addr_spec == "support@example.ir"
    assert parsed["To"].addresses[0].display_name == "سارا رضایی"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == "درخواست شما انجام شد."
    assert "<b>انجام شد</b>" in parsed.get_body(("html",)).get_content()
    assert parsed["Message-ID"] == message_id_for(sent, domain="example.ir")
    assert sent.provider_message_id == parsed["Message-ID"].strip("<>")


def test_a_resent_message_carries_the_same_message_id(account, smtp_server):
    message = _message(key="resend-me")
    provider = SmtpProvider(account)

    provider.send(message)
    provider.send(message)

    first, second = (email.message_from_bytes(raw, policy=default_policy) for _r, raw in smtp_server.messages)
    assert first["Message-ID"] == second["Message-ID"]
    other = _message(key="another")
    provider.send(other)
    third = email.message_from_bytes(smtp_server.messages[2][1], policy=default_policy)
    assert third["Message-ID"] != first["Message-ID"]


class RefusingInbox:
    """An SMTP handler that refuses some recipients: "nobody@…" for good (550), "later@…" for now (451)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("later@"):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def refusing_account(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RefusingInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield _account(port), handler
    controller.stop()


def test_a_recipient_refused_for_good_is_a_permanent_error(refusing_account):
    account, handler = refusing_account
    with pytest.raises(PermanentError, match="smtp_550"):
        SmtpProvider(account).send(_message(to="nobody@example.com"))
    with pytest.raises(TemporaryError, match="smtp_451"):
        SmtpProvider(account).send(_message(to="later@example.com", key="later"))
    assert handler.messages == []

    failed = deliver_now(enqueue_message(channel="email", to="nobody@example.com", body="x", idempotency_key="k-550"))
    assert failed.status == MessageStatus.FAILED
    assert "550" in failed.error


def test_a_server_that_is_down_is_a_temporary_error(db, free_port):
    account = _account(free_port)
    with pytest.raises(TemporaryError, match="smtp_connection"):
        SmtpProvider(account).send(_message())


def test_an_address_that_is_not_one_is_never_retried(account, smtp_server):
    with pytest.raises(PermanentError, match="invalid_address"):
        SmtpProvider(account).send(_message(to="not an address"))
    assert smtp_server.messages == []


def test_starttls_asked_of_a_server_without_it_is_a_temporary_error(db, smtp_server, settings):
    account = _account(settings.EMAIL_PORT, security="starttls")
    with pytest.raises(TemporaryError):
        SmtpProvider(account).send(_message())
    assert smtp_server.messages == []


def test_a_reply_to_our_mail_about_a_ticket_lands_on_that_ticket(account, smtp_server, customer_a):
    """The whole loop: we mail the customer about their ticket, they answer from any address with their
    client's In-Reply-To, and the answer is a customer message on the ticket."""
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com", is_primary=True)
    ticket = ticket_create(by=None, data={"subject": "قطعی اینترنت", "customer_id": customer_a.pk}, channel="email")
    notice = enqueue_message(
        channel="email",
        to="sara@example.com",
        subject="تیکت شما ثبت شد",
        body="تیکت شما ثبت شد.",
        idempotency_key=f"ticket-{ticket.pk}-received",
        related=ticket,
    )
    deliver_now(notice)
    ours = email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)

    imap = ImapServer().start()
    try:
        account.config = {
            **account.config,
            "username": "support@example.ir",
            "imap_host": imap.host,
            "imap_port": str(imap.port),
            "imap_security": "none",
        }
        account.secrets = {"password": "secret"}
        account.save()
        reply = email.message.EmailMessage()
        reply["From"] = "sara.rezaei@work.example"  # another address of hers, not on file
        reply["To"] = "support@example.ir"
        reply["Subject"] = "Re: " + ours["Subject"]  # no ticket number in it
        reply["Message-ID"] = "<reply-1@work.example>"
        reply["In-Reply-To"] = ours["Message-ID"]
        reply["References"] = ours["Message-ID"]
        reply.set_content("ممنون، هنوز قطع است.")
        imap.add(reply.as_bytes())
        wrong = re.sub(r"\.[0-9a-f]{24}@", "." + "0" * 24 + "@", ours["Message-ID"])
        assert wrong != ours["Message-ID"]
        forged = (
            reply.as_bytes().replace(b"<reply-1@", b"<reply-2@").replace(ours["Message-ID"].encode(), wrong.encode())
        )
        imap.add(forged)

        mailbox_poll(account)
    finally:
        imap.stop()

    message = TicketMessage.objects.get(ticket=ticket, kind="customer")
    assert message.body == "ممنون، هنوز قطع است."
    inbound = InboundMessage.objects.get(external_id="reply-1@work.example")
    assert inbound.raw["in_reply_to_outbound"] == notice.pk
    assert inbound.customer == customer_a  # the ticket's customer, though the address was new
    # A Message-ID with a wrong signature does not lead to the ticket (the stranger's mail is a new ticket).
    forged_in = InboundMessage.objects.get(external_id="reply-2@work.example")
    assert "in_reply_to_outbound" not in forged_in.raw
    assert forged_in.related != ticket
    assert TicketMessage.objects.filter(ticket=ticket, kind="customer").count() == 1


def test_a_bounce_of_our_mail_marks_it_failed(account, smtp_server):
    sent = deliver_now(enqueue_message(channel="email", to="gone@example.com", body="سلام", idempotency_key="b-1"))
    ours = email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)
    bounce = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@example.ir\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-1@mx.example.com>\r\nReferences: {ours['Message-ID']}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n"
    ).encode()
    from peyvand.comms.mail.receiving import mail_receive

    stored = mail_receive(account=account, raw=bounce)

    assert stored.message.status == "ignored"
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED and sent.error.startswith("bounced:")


def _report(ours, *, action: str, status: str, number: int) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464): a per-message block, then one block per
    recipient."""
    return (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@example.ir\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        f"Message-ID: <report-{number}@mx.example.com>\r\nIn-Reply-To: {ours['Message-ID']}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\nArrival-Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\n"
        f"Final-Recipient: rfc822; gone@example.com\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected\r\n"
        "--B--\r\n"
    ).encode()


def test_a_hard_bounce_puts_the_address_on_the_suppression_list_and_a_soft_one_does_not(account, smtp_server):
    from peyvand.comms.mail.receiving import mail_receive
    from peyvand.comms.models import Suppression, SuppressionReason

    def send(key: str, to: str = "gone@example.com"):
        message = deliver_now(enqueue_message(channel="email", to=to, body="سلام", idempotency_key=key))
        return message, email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)

    delayed, ours = send("d-1")
    mail_receive(account=account, raw=_report(ours, action="delayed", status="4.4.1", number=1))
    delayed.refresh_from_db()
    assert delayed.status == MessageStatus.SENT  # the server is still trying

    gave_up, ours = send("g-1")
    mail_receive(account=account, raw=_report(ours, action="failed", status="4.4.7", number=2))
    gave_up.refresh_from_db()
    assert gave_up.status == MessageStatus.FAILED
    assert Suppression.objects.count() == 0  # a mailbox that was full may work tomorrow

    hard, ours = send("h-1", to="Gone <Gone@Example.com>")
    stored = mail_receive(account=account, raw=_report(ours, action="failed", status="5.1.1", number=3))

    hard.refresh_from_db()
    assert hard.status == MessageStatus.FAILED
    assert stored.message.status == "ignored"
    entry = Suppression.objects.get()
    assert (entry.channel, entry.address, entry.reason) == ("email", "gone@example.com", SuppressionReason.HARD_BOUNCE)
    assert str(hard.pk) in entry.source
    assert stored.message.raw["delivery_status"] == "5.1.1"
    # Nothing more goes to it.
    again = deliver_now(enqueue_message(channel="email", to="gone@example.com", body="x", idempotency_key="h-2"))
    assert again.status != MessageStatus.SENT
    assert len(smtp_server.messages) == 3


def test_smtplib_is_not_left_connected_after_a_refusal(refusing_account, monkeypatch):
    account, _handler = refusing_account
    closed = []
    original = smtplib.SMTP.close
    monkeypatch.setattr(smtplib.SMTP, "close", lambda self: (closed.append(1), original(self))[1])
    with pytest.raises(PermanentError):
        SmtpProvider(account).send(_message(to="nobody@example.com"))
    assert closed
