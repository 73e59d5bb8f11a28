"""Telling customers about their tickets: e-mail through a real SMTP server, SMS through the console backend,
consent and missing addresses recorded as skips, failures recorded and never raised, contacts without a
customer record, and the texts in Persian (Persian digits) and English."""

from __future__ import annotations

import email
import email.policy
import logging

import pytest
from django.utils import timezone

from factories import CustomerFactory, UserFactory
from peyvand.customers.models import Consent, ContactChannel, CustomerEmail
from peyvand.service.models import CustomerNotification, NotificationStatus, TicketEvent
from peyvand.service.notify import TEMPLATES, Reason, notify_customer, render_notification
from peyvand.service.notify_selectors import notifications_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir"


def with_email(customer, address="sara@example.com"):
    CustomerEmail.objects.create(customer=customer, email=address, is_primary=True)
    return customer


def opt_out(customer, channel):
    Consent.objects.create(
        customer=customer, channel=channel, granted=False, recorded_at=timezone.now(), method="verbal"
    )


class RecordingSms:
    """A gateway standing in for a real one: keeps what it was asked to send."""

    sent: list[tuple[str, str]] = []
    channel = "sms"

    def send(self, *, to, text):
        RecordingSms.sent.append((to, text))


class BrokenSms:
    channel = "sms"

    def send(self, *, to, text):
        raise ConnectionError("gateway down")


def test_the_received_notice_goes_by_email_through_smtp_with_a_persian_subject(
    smtp_server, site, customer_a, make_ticket
):
    ticket = make_ticket(customer=with_email(customer_a), subject="قطعی اینترنت")
    ticket.number = "T-1405-00042"
    ticket.save(update_fields=["number"])

    record = notify_customer(ticket=ticket, template="ticket_received")

    assert (record.status, record.channel, record.to, record.error) == ("sent", "email", "sara@example.com", "")
    assert record.sent_at is not None and record.customer == customer_a
    [(recipients, raw)] = smtp_server.messages
    assert recipients == ["sara@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(message["Subject"]).strip() == "درخواست شما با شماره T-۱۴۰۵-۰۰۰۴۲ ثبت شد"
    assert message["Auto-Submitted"] == "auto-generated"  # an autoresponder must not answer it
    body = message.get_content()
    assert "«قطعی اینترنت»" in body and "T-۱۴۰۵-۰۰۰۴۲" in body
    assert "https://crm.example.ir" in body
    assert customer_a.display_name in body
    event = TicketEvent.objects.get(ticket=ticket, kind="notified")
    assert event.data == {
        "template": "ticket_received",
        "channel": "email",
        "status": "sent",
        "notification": record.pk,
    }


def test_a_customer_preferring_sms_gets_it_through_the_console_backend(caplog, make_ticket, team_a):
    customer = with_email(CustomerFactory(team=team_a, preferred_channel=ContactChannel.SMS, phone="+989121234567"))
    ticket = make_ticket(customer=customer)

    with caplog.at_level(logging.INFO, logger="peyvand.sms"):
        record = notify_customer(ticket=ticket, template="ticket_resolved")

    assert (record.status, record.channel, record.to) == ("sent", "console", "+989121234567")
    assert "حل شد" in record.body
    assert any("+989121234567" in line and "حل شد" in line for line in caplog.messages)


def test_the_sms_backend_is_chosen_by_a_setting(settings, make_ticket, team_a):
    settings.PEYVAND_SMS_BACKEND = "service.test_notify.RecordingSms"
    RecordingSms.sent.clear()
    customer = CustomerFactory(team=team_a, phone="+989351112233")
    ticket = make_ticket(customer=customer)

    record = notify_customer(ticket=ticket, template="ticket_waiting")

    assert (record.status, record.channel) == ("sent", "sms")
    assert RecordingSms.sent == [("+989351112233", record.body)]


def test_a_customer_who_opted_out_of_email_is_skipped_with_the_reason(mailoutbox, customer_a, make_ticket):
    opt_out(with_email(customer_a), ContactChannel.EMAIL)
    ticket = make_ticket(customer=customer_a)

    record = notify_customer(ticket=ticket, template="ticket_answered", extra={"reply": "مودم را ریست کنید."})

    assert (record.status, record.error, record.channel) == ("skipped", Reason.OPTED_OUT_EMAIL, "email")
    assert "مودم را ریست کنید." in record.body
    assert mailoutbox == []
    assert TicketEvent.objects.get(ticket=ticket, kind="notified").data["reason"] == "opted_out:email"


def test_an_sms_opt_out_is_respected_too(caplog, make_ticket, team_a):
    customer = CustomerFactory(team=team_a, preferred_channel=ContactChannel.SMS, phone="+989121234567")
    opt_out(customer, ContactChannel.SMS)
    with caplog.at_level(logging.INFO, logger="peyvand.sms"):
        record = notify_customer(ticket=make_ticket(customer=customer), template="ticket_received")
    assert (record.status, record.error) == ("skipped", "opted_out:sms")
    assert not [line for line in caplog.messages if "+989121234567" in line]


def test_consent_to_one_channel_does_not_matter_for_another(mailoutbox, customer_a, make_ticket):
    opt_out(with_email(customer_a), ContactChannel.SMS)
    record = notify_customer(ticket=make_ticket(customer=customer_a), template="ticket_received")
    assert record.status == "sent" and len(mailoutbox) == 1


def test_a_customer_without_any_address_is_recorded_as_skipped(mailoutbox, customer_a, make_ticket):
    record = notify_customer(ticket=make_ticket(customer=customer_a), template="ticket_received")
    assert (record.status, record.error, record.to) == ("skipped", "no_address", "")
    assert mailoutbox == []


def test_a_preferred_channel_without_an_address_falls_back_to_the_other(mailoutbox, make_ticket, team_a):
    customer = with_email(CustomerFactory(team=team_a, preferred_channel=ContactChannel.SMS))
    record = notify_customer(ticket=make_ticket(customer=customer), template="ticket_received")
    assert (record.status, record.channel) == ("sent", "email")
    assert mailoutbox[0].to == ["sara@example.com"]


def test_a_ticket_with_only_a_contact_email_is_answered_there(mailoutbox, make_ticket):
    ticket = make_ticket(contact_name="Reza Karimi", contact_email="reza@example.org")

    record = notify_customer(ticket=ticket, template="ticket_received", language="en")

    assert (record.status, record.customer, record.to) == ("sent", None, "reza@example.org")
    [message] = mailoutbox
    assert message.subject == f"We received your request {ticket.number}"
    assert message.body.startswith("Dear Reza Karimi,")


def test_a_ticket_with_only_a_contact_phone_gets_an_sms(make_ticket):
    ticket = make_ticket(contact_phone="+989121112222")
    record = notify_customer(ticket=ticket, template="ticket_assigned")
    assert (record.status, record.channel, record.to) == ("sent", "console", "+989121112222")


def test_nobody_to_tell_gives_none_and_no_record(make_ticket):
    ticket = make_ticket(contact_name="ناشناس")
    assert notify_customer(ticket=ticket, template="ticket_received") is None
    assert not CustomerNotification.objects.exists()


def test_a_failing_mail_server_is_recorded_not_raised(settings, customer_a, make_ticket, free_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port, 2
    ticket = make_ticket(customer=with_email(customer_a))

    record = notify_customer(ticket=ticket, template="ticket_received")

    assert record.status == NotificationStatus.FAILED
    assert record.error.startswith("send_failed: ")
    assert record.sent_at is None
    assert CustomerNotification.objects.get().status == "failed"


def test_a_failing_sms_gateway_is_recorded_not_raised(settings, make_ticket):
    settings.PEYVAND_SMS_BACKEND = "service.test_notify.BrokenSms"
    record = notify_customer(ticket=make_ticket(contact_phone="+989121112222"), template="ticket_received")
    assert (record.status, record.error) == ("failed", "send_failed: gateway down")


def test_the_assigned_notice_names_the_agent_and_in_english_keeps_latin_digits(make_ticket, team_a):
    agent = UserFactory(team=team_a, first_name="Maryam", last_name="Ahmadi")
    ticket = make_ticket(contact_email="x@example.org", assignee=agent)
    ticket.number = "T-1405-00007"

    english = render_notification(ticket=ticket, template="ticket_assigned", language="en", name="Ali")
    persian = render_notification(ticket=ticket, template="ticket_assigned", name="علی")

    assert "Maryam Ahmadi" in english.body and "T-1405-00007" in english.subject
    assert "T-۱۴۰۵-۰۰۰۰۷" in persian.subject and "Maryam Ahmadi" in persian.body


def test_lines_whose_values_are_missing_are_left_out(make_ticket, settings):
    settings.PEYVAND_SITE_URL = ""
    ticket = make_ticket(contact_email="x@example.org")
    rendered = render_notification(ticket=ticket, template="ticket_answered", language="en")
    assert "Follow it" not in rendered.body  # no link known
    assert "{" not in rendered.body and "Dear" not in rendered.body  # no reply, no name


def test_a_customer_subject_cannot_reach_into_the_template(make_ticket):
    ticket = make_ticket(contact_email="x@example.org", subject="{number} {link.__class__}")
    rendered = render_notification(ticket=ticket, template="ticket_received", language="en")
    assert "“{number} {link.__class__}”" in rendered.body


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_template_renders_in_both_languages(template, language, make_ticket):
    ticket = make_ticket(contact_email="x@example.org")
    rendered = render_notification(
        ticket=ticket, template=template, language=language, name="N", extra={"link": "/s/abc", "reply": "R"}
    )
    assert rendered.subject and rendered.body and "{" not in rendered.subject + rendered.body


def test_an_unknown_template_is_a_programming_error(make_ticket):
    with pytest.raises(ValueError):
        notify_customer(ticket=make_ticket(contact_email="x@example.org"), template="nope")


def test_the_notifications_of_a_ticket_newest_first(mailoutbox, make_ticket):
    ticket = make_ticket(contact_email="x@example.org")
    first = notify_customer(ticket=ticket, template="ticket_received")
    second = notify_customer(ticket=ticket, template="ticket_resolved")
    other = make_ticket(contact_email="y@example.org")
    notify_customer(ticket=other, template="ticket_received")
    assert list(notifications_of(ticket)) == [second, first]


def test_the_answer_passed_as_body_is_quoted_and_cut_short_in_an_sms(make_ticket, mailoutbox):
    long_answer = "لطفاً مودم را خاموش و روشن کنید. " * 20
    by_sms = notify_customer(
        ticket=make_ticket(contact_phone="+989121112222"),
        template="ticket_answered",
        extra={"message_id": 1, "body": long_answer},
    )
    by_email = notify_customer(
        ticket=make_ticket(contact_email="x@example.org"),
        template="ticket_answered",
        extra={"message_id": 2, "body": long_answer},
    )
    assert long_answer.strip() in by_email.body
    assert long_answer.strip() not in by_sms.body
    assert "لطفاً مودم را خاموش" in by_sms.body and "…" in by_sms.body
    assert len(by_sms.body) < len(by_email.body)
