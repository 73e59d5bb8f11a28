"""Receiving e-mail: a real IMAP server on loopback holds the mails, the poll stores each once and routes it to
the ticket it answers, the customer's timeline, a new ticket or lead, or nowhere (machines' mail)."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import translation

from comms.imap_server import ImapServer
from factories import CustomerFactory
from peyvand.comms.mail.imap import mailbox_poll
from peyvand.comms.mail.models import MailboxPoll
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus
from peyvand.customers.models import CustomerEmail, Interaction
from peyvand.sales.models import Lead
from peyvand.service.models import ClosedTicketReply, Ticket, TicketMessage, TicketStatus
from peyvand.service.services.settings import service_settings
from peyvand.service.services.tickets import ticket_create

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(db, imap):
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token="mail-token",
        config={
            "from_address": "support@example.ir",
            "host": "127.0.0.1",
            "port": "25",
            "security": "none",
            "username": "support@example.ir",
            "imap_host": imap.host,
            "imap_port": str(imap.port),
            "imap_security": "none",
            "unknown_sender": "none",
        },
        secrets={"password": "secret"},
    )


@pytest.fixture
def customer(customer_a):
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com", is_primary=True)
    return customer_a


def _set_rule(mailbox, **config):
    mailbox.config = {**mailbox.config, **config}
    mailbox.save(update_fields=["config"])


def mail(
    *,
    sender="سارا رضایی <sara@example.com>",
    subject="سلام، سفارش من کجاست؟",
    text="سفارش ۱۲۳ هنوز نرسیده است.",
    html=None,
    message_id=None,
    **headers,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.ir"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_it_puts_a_customers_mail_on_their_timeline_with_its_files(imap, mailbox, customer):
    message = EmailMessage()
    message["From"] = "سارا رضایی <sara@example.com>"
    message["To"] = "support@example.ir"
    message["Subject"] = "فاکتور خرید اسفند"
    message["Message-ID"] = "<invoice-1@example.com>"
    message.set_content("فاکتور پیوست است.")
    message.add_alternative("<p>فاکتور <b>پیوست</b> است.</p>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="فاکتور اسفند.pdf")
    raw = message.as_bytes()
    # The Persian subject and file name travel encoded (RFC 2047 / RFC 2231), as real clients send them.
    assert "فاکتور".encode() not in raw.split(b"\n\n", 1)[0]
    imap.add(raw)

    result = mailbox_poll(mailbox)

    assert (result.fetched, result.stored, result.error) == (1, 1, "")
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.external_id == "invoice-1@example.com"
    assert inbound.subject == "فاکتور خرید اسفند"
    assert inbound.sender == "sara@example.com"
    assert inbound.body.strip() == "فاکتور پیوست است."
    assert "<b>پیوست</b>" in inbound.html
    assert inbound.customer == customer
    interaction = Interaction.objects.get(customer=customer, channel="email")
    assert interaction.direction == "in" and interaction.subject == "فاکتور خرید اسفند"
    assert inbound.interaction == interaction
    (attachment,) = inbound.attachments.all()
    assert attachment.name == "فاکتور اسفند.pdf"
    assert attachment.size == len(PDF)
    assert attachment.file.read() == PDF
    # Marked seen only after it was stored, and peeked (not fetched "seen") before.
    assert imap.unseen() == []
    assert not any("BODY[]" in c and "PEEK" not in c for c in imap.commands)


def test_a_mail_fetched_again_after_a_crash_before_marking_it_seen_is_stored_once(imap, mailbox, customer):
    imap.add(mail(message_id="<once@example.com>"))
    imap.drop_on_store = 1  # the connection dies between storing the mail and marking it seen

    first = mailbox_poll(mailbox)
    assert first.stored == 1 and first.error
    assert imap.unseen() == [1]

    second = mailbox_poll(mailbox)

    assert (second.fetched, second.stored, second.error) == (1, 0, "")
    assert InboundMessage.objects.count() == 1
    assert Interaction.objects.filter(customer=customer, channel="email").count() == 1
    assert imap.unseen() == []


def test_the_same_mail_twice_in_the_mailbox_is_one_record(imap, mailbox, customer):
    raw = mail(message_id="<dup@example.com>")
    imap.add(raw)
    imap.add(raw)

    result = mailbox_poll(mailbox)

    assert (result.fetched, result.stored) == (2, 1)
    assert InboundMessage.objects.count() == 1
    assert imap.unseen() == []


def _ticket(customer, **extra):
    return ticket_create(
        by=None, data={"subject": "اینترنت قطع است", "customer_id": customer.pk, **extra}, channel="email"
    )


@pytest.mark.django_db(transaction=False)
def test_a_reply_naming_the_ticket_in_its_subject_is_the_customers_message_on_it(imap, mailbox, customer):
    ticket = _ticket(customer)
    number = ticket.number
    persian = number.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    imap.add(mail(subject=f"پاسخ: [{persian}] اینترنت قطع است", text="هنوز قطع است."))

    mailbox_poll(mailbox)

    inbound = InboundMessage.objects.get()
    message = TicketMessage.objects.get(ticket=ticket, kind="customer")
    assert message.body == "هنوز قطع است."
    assert message.channel == "email"
    assert message.external_id == inbound.external_id
    assert inbound.related == message
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.raw["ticket"] == number


def test_a_closed_ticket_is_reopened_or_followed_up_as_the_desk_says(imap, mailbox, customer, admin):
    reopened = _ticket(customer)
    Ticket.objects.filter(pk=reopened.pk).update(status=TicketStatus.CLOSED)
    imap.add(mail(subject=f"Re: {reopened.number}", text="باز هم مشکل دارم."))
    mailbox_poll(mailbox)
    reopened.refresh_from_db()
    assert reopened.status == TicketStatus.REOPENED

    settings_row = service_settings()
    settings_row.closed_ticket_reply = ClosedTicketReply.NEW_TICKET
    settings_row.save()
    followed = _ticket(customer)
    Ticket.objects.filter(pk=followed.pk).update(status=TicketStatus.CLOSED)
    imap.add(mail(subject=f"Re: {followed.number}", text="مشکل جدید."))

    mailbox_poll(mailbox)

    followed.refresh_from_db()
    assert followed.status == TicketStatus.CLOSED
    follow_up = Ticket.objects.exclude(pk__in=[reopened.pk, followed.pk]).get()
    assert follow_up.messages.filter(kind="customer", body="مشکل جدید.").exists()
    assert InboundMessage.objects.filter(status=InboundStatus.PROCESSED).count() == 2


def test_a_ticket_number_from_a_stranger_does_not_reach_the_ticket(imap, mailbox, customer):
    ticket = _ticket(customer)
    imap.add(mail(sender="mallory@evil.example", subject=f"Re: {ticket.number}", text="پول را به این حساب بریزید"))

    mailbox_poll(mailbox)

    assert not TicketMessage.objects.filter(ticket=ticket, kind="customer").exists()
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.UNMATCHED
    assert inbound.raw["ticket_sender_mismatch"] == ticket.number


def test_a_customer_mail_opens_a_ticket_when_the_mailbox_says_so(imap, mailbox, customer):
    _set_rule(mailbox, known_sender="ticket")
    imap.add(mail(subject="درخواست نصب", text="لطفاً برای نصب هماهنگ کنید."))

    mailbox_poll(mailbox)

    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.channel == "email" and ticket.subject == "درخواست نصب"
    inbound = InboundMessage.objects.get()
    assert inbound.related == ticket
    assert inbound.interaction.customer == customer


def test_an_unknown_sender_becomes_a_ticket_a_lead_or_waits_by_the_mailbox_rule(imap, mailbox, admin):
    _set_rule(mailbox, unknown_sender="ticket")
    imap.add(mail(sender="Ali Karimi <ali@newco.example>", subject="قیمت سرویس", text="قیمت را بفرستید."))
    mailbox_poll(mailbox)
    ticket = Ticket.objects.get()
    assert ticket.customer is None
    assert ticket.contact_email == "ali@newco.example" and ticket.contact_name == "Ali Karimi"

    _set_rule(mailbox, unknown_sender="lead")
    imap.add(mail(sender="Reza Ahmadi <reza@prospect.example>", subject="همکاری", text="مایل به همکاری هستیم."))
    mailbox_poll(mailbox)
    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.last_name) == ("reza@prospect.example", "Reza", "Ahmadi")
    # Nobody made it and the mailbox names no owner: it waits unowned, never handed to an administrator.
    assert (lead.owner, lead.team, lead.created_by) == (None, None, None)
    assert "همکاری" in lead.interest

    _set_rule(mailbox, unknown_sender="none")
    imap.add(mail(sender="someone@else.example", subject="hello"))
    mailbox_poll(mailbox)
    assert InboundMessage.objects.get(sender="someone@else.example").status == InboundStatus.UNMATCHED
    assert Ticket.objects.count() == 1 and Lead.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"sender": "MAILER-DAEMON@mx.example.com"},
    ],
)
def test_mail_written_by_machines_is_kept_but_opens_nothing(imap, mailbox, customer, headers):
    _set_rule(mailbox, unknown_sender="ticket", known_sender="ticket")
    sender = headers.pop("sender", "sara@example.com")
    imap.add(mail(sender=sender, subject="Out of office", text="I am away.", **headers))

    mailbox_poll(mailbox)

    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.IGNORED
    assert inbound.error.startswith("automatic:")
    assert Ticket.objects.count() == 0
    assert not Interaction.objects.filter(channel="email").exists()
    assert imap.unseen() == []


def test_broken_and_mislabelled_encodings_are_read(imap, mailbox, customer):
    persian = "سلام، فاکتور را بفرستید"
    # windows-1256 writes the Persian yeh as the Arabic one; it is read back as Persian.
    cp1256 = persian.replace("ی", "ي").encode("windows-1256")
    # Labelled Latin-1 but written in windows-1256; the subject in raw 8-bit windows-1256; one line UTF-8.
    body = cp1256 + b"\r\n" + "خط دوم یونیکد".encode() + b"\r\n"
    raw = (
        b"From: sara@example.com\r\nTo: support@example.ir\r\nSubject: " + cp1256 + b"\r\n"
        b"Message-ID: <mislabelled@example.com>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    imap.add(raw)
    # A part with broken base64, an unknown charset and a NUL byte; no Message-ID at all.
    broken = (
        b"From: sara@example.com\r\nTo: support@example.ir\r\nSubject: =?x-unknown?B?2LPZhNin2YU=?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("متن سالم\x00".encode())[:-3]
        + b"\r\n--XX\r\nContent-Type: text/html; charset=windows-1256\r\n\r\n<p>"
        + "درود".encode("windows-1256")
        + b"</p>\r\n--XX--\r\n"
    )
    imap.add(broken)

    result = mailbox_poll(mailbox)

    assert (result.fetched, result.stored, result.error) == (2, 2, "")
    first = InboundMessage.objects.get(external_id="mislabelled@example.com")
    assert first.subject == persian
    assert first.body.splitlines() == [persian, "خط دوم یونیکد"]
    second = InboundMessage.objects.exclude(pk=first.pk).get()
    assert second.external_id.startswith("sha256:")
    assert second.subject == "سلام"
    assert "\x00" not in second.body
    assert "درود" in second.html
    assert second.status == InboundStatus.PROCESSED


def test_a_20_mb_attachment_is_kept_or_refused_with_the_reason(imap, mailbox, customer, settings):
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    message = EmailMessage()
    message["From"] = "sara@example.com"
    message["Subject"] = "اسکن قرارداد"
    message["Message-ID"] = "<big@example.com>"
    message.set_content("قرارداد اسکن شده پیوست است.")
    message.add_attachment(big, maintype="application", subtype="pdf", filename="contract.pdf")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="small.pdf")
    raw = message.as_bytes()
    imap.add(raw)
    imap.add(raw.replace(b"<big@example.com>", b"<big-2@example.com>"))

    settings.PEYVAND_MAIL_ATTACHMENT_MB = 25
    mailbox_poll_one = mailbox_poll(mailbox)
    assert mailbox_poll_one.stored == 2
    kept = InboundMessage.objects.get(external_id="big@example.com")
    assert sorted(a.name for a in kept.attachments.all()) == ["contract.pdf", "small.pdf"]
    assert kept.attachments.get(name="contract.pdf").size == len(big)

    settings.PEYVAND_MAIL_ATTACHMENT_MB = 5
    InboundMessage.objects.filter(external_id="big-2@example.com").delete()
    imap.messages[1].flags.clear()
    mailbox_poll(mailbox)
    refused = InboundMessage.objects.get(external_id="big-2@example.com")
    assert [a.name for a in refused.attachments.all()] == ["small.pdf"]
    assert refused.raw["refused_attachments"] == [{"name": "contract.pdf", "size": len(big), "reason": "too_large"}]
    assert "contract.pdf" in refused.error
    assert refused.status == InboundStatus.PROCESSED


def test_a_mail_larger_than_the_limit_is_kept_from_its_headers(imap, mailbox, customer, settings):
    settings.PEYVAND_MAIL_MESSAGE_MB = 1
    imap.add(mail(subject="فایل بزرگ", text="x" * (2 * 1024 * 1024), message_id="<huge@example.com>"))

    with translation.override("en"):
        result = mailbox_poll(mailbox)

    assert (result.stored, result.error) == (1, "")
    inbound = InboundMessage.objects.get()
    assert inbound.subject == "فایل بزرگ" and inbound.external_id == "huge@example.com"
    assert "only its headers were kept" in inbound.body
    assert inbound.raw["too_large"] > 2 * 1024 * 1024
    assert not any("BODY.PEEK[])" in c for c in imap.commands)


def test_a_server_that_is_down_or_refuses_the_login_is_recorded_not_raised(mailbox, imap, free_port):
    mailbox.secrets = {"password": "wrong"}
    mailbox.save(update_fields=["secrets"])
    imap.add(mail())
    result = mailbox_poll(mailbox)
    assert result.stored == 0 and "login" in result.error
    assert imap.unseen() == [1]

    _set_rule(mailbox, imap_port=str(free_port))
    result = mailbox_poll(mailbox)
    assert "connect" in result.error
    state = MailboxPoll.objects.get(account=mailbox)
    assert "connect" in state.error and state.finished_at is not None


def test_a_mail_that_cannot_be_routed_is_stored_as_failed_and_not_fetched_again(imap, mailbox):
    _set_rule(mailbox, unknown_sender="lead")
    # A sender with no name and an address a lead refuses: the lead cannot be made.
    imap.add(mail(sender="x" * 70 + "@" + "y" * 200 + ".example"))

    result = mailbox_poll(mailbox)

    inbound = InboundMessage.objects.get()
    assert (result.stored, inbound.status) == (1, InboundStatus.FAILED)
    assert inbound.error.startswith("routing:")
    assert Lead.objects.count() == 0
    assert imap.unseen() == []


def test_the_worker_schedule_queues_one_poll_per_interval(db, settings):
    from django_tasks_db.models import DBTaskResult

    from peyvand.comms.mail.tasks import SCHEDULES, mail_poll_schedule
    from peyvand.comms.schedules import channel_schedules

    assert ("mailbox poll", mail_poll_schedule) in SCHEDULES
    assert ("mailbox poll", mail_poll_schedule) in channel_schedules()
    settings.PEYVAND_MAIL_POLL_SECONDS = 60
    assert mail_poll_schedule() is not None
    assert mail_poll_schedule() is None
    assert DBTaskResult.objects.filter(task_path__endswith="mail_poll_task").count() == 1
    settings.PEYVAND_MAIL_POLL_SECONDS = 0
    DBTaskResult.objects.all().delete()
    assert mail_poll_schedule() is None


def test_the_poll_task_polls_every_receiving_mailbox(imap, mailbox, customer):
    from peyvand.comms.mail.tasks import mail_poll_task

    ChannelAccount.objects.create(
        channel=Channel.EMAIL, provider="smtp", name="send only", inbound_token="t2", config={"host": "x"}
    )
    imap.add(mail())

    outcome = mail_poll_task.call()

    assert outcome == {str(mailbox.pk): {"fetched": 1, "stored": 1, "error": ""}}


def test_a_customer_with_two_addresses_is_found_by_either(imap, mailbox, customer):
    other = CustomerFactory(team=customer.team)
    CustomerEmail.objects.create(customer=customer, email="sara.home@example.com")
    CustomerEmail.objects.create(customer=other, email="other@example.com")
    imap.add(mail(sender="Sara <Sara.Home@Example.com>"))

    mailbox_poll(mailbox)

    assert InboundMessage.objects.get().customer == customer


def test_two_polls_storing_the_same_mail_at_once_make_one_record(mailbox, customer, monkeypatch):
    """The other poll commits the mail between this one's look-up and its insert: the unique (mailbox,
    Message-ID) refuses the second record, and this poll answers with the first one."""
    from peyvand.comms.mail import receiving
    from peyvand.comms.mail.parsing import parse_mail

    raw = mail(message_id="<race@example.com>")
    real_config = receiving.mailbox_config

    def the_other_poll_wins(account):
        monkeypatch.setattr(receiving, "mailbox_config", real_config)
        receiving.mail_receive(account=account, raw=raw)
        return real_config(account)

    monkeypatch.setattr(receiving, "mailbox_config", the_other_poll_wins)

    stored = receiving.mail_store(account=mailbox, parsed=parse_mail(raw, attachment_limit=10**6))

    assert stored.created is False
    assert InboundMessage.objects.count() == 1
    assert Interaction.objects.filter(customer=customer, channel="email").count() == 1
