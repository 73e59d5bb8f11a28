"""Telling customers about their tickets: one notify_customer() service that renders a template and sends it by
the customer's preferred channel (e-mail, SMS, console), recording what was sent.

When the channel has an account in the channel settings (comms), the notice goes into the outbox: workers send
it with retries and record it on the customer's timeline, and the CustomerNotification is "queued" with a link
to its OutboundMessage. Without one (a fresh install), e-mail goes through Django's mail settings and SMS through
the backend PEYVAND_SMS_BACKEND names (service.notify_backends, "console" by default). Every call leaves a
CustomerNotification (queued, sent, failed or skipped, with the reason) and a "notified" line in the ticket's
history; a send that fails is recorded, never raised to the caller. A queued notice's status from then on is its
message's (service.notify_selectors.notice_status). An address on the suppression list for a reason that
holds back notices is skipped on either path ("suppressed").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from peyvand.comms.models import ChannelAccount, MessageStatus
from peyvand.comms.outbox import default_account, enqueue_message
from peyvand.comms.suppression import suppressed_addresses
from peyvand.core.text import to_persian_digits
from peyvand.customers.models import Consent, ContactChannel, Customer, PhoneKind
from peyvand.service.models import CustomerNotification, NotificationStatus, Ticket, TicketChannel
from peyvand.service.notify_backends import sms_backend
from peyvand.service.notify_templates import LANGUAGES, STATUS_NAMES, Rendered, render_text
from peyvand.service.services.history import ticket_event

__all__ = [
    "TEMPLATES",
    "Reason",
    "notify_customer",
    "notify_customer_later",
    "render_notification",
]

logger = logging.getLogger(__name__)

# The templates the service desk sends: received (with its number), assigned, answered, waiting for the
# customer, resolved, and the satisfaction question.
TEMPLATES = (
    "ticket_received",
    "ticket_assigned",
    "ticket_answered",
    "ticket_waiting",
    "ticket_resolved",
    "ticket_satisfaction",
)

# The longest answer quoted whole in an SMS (about four SMS parts in Persian).
SMS_REPLY_LIMIT = 250

# Who handles a ticket when it has no assignee yet, as the customer reads it.
OUR_TEAM = {"fa": "کارشناسان ما", "en": "our team"}


class Reason:
    """Why a notification was not sent, as stored in CustomerNotification.error (stable codes; pages and
    reports show their own words for them). A failed send stores "send_failed: " and the server's answer."""

    NO_ADDRESS = "no_address"
    OPTED_OUT_EMAIL = "opted_out:email"
    OPTED_OUT_SMS = "opted_out:sms"
    # The address is on the suppression list for a reason that holds back notices too (a hard bounce, a spam
    # complaint, STOP, an administrator's entry); an unsubscribe from marketing does not (comms.suppression).
    SUPPRESSED = "suppressed"
    SEND_FAILED = "send_failed"
    # The answer itself went back into the messenger chat the ticket came from.
    ANSWERED_IN_CHAT = "answered_in_chat"


@dataclass(frozen=True)
class _Recipient:
    customer: Customer | None
    name: str
    channel: str  # email or sms
    to: str
    skip: str  # a Reason, or "" to send


def _customer_recipient(customer: Customer) -> _Recipient:
    """The customer's preferred channel when they can be reached on it, else the other one; e-mail first when
    they have no preference (or prefer a channel a message cannot go by, such as a call)."""
    email = customer.emails.order_by("-is_primary", "id").values_list("email", flat=True).first() or ""
    phones = customer.phones.order_by("-is_primary", "id")
    phone = (
        phones.filter(kind=PhoneKind.MOBILE).values_list("number", flat=True).first()
        or phones.values_list("number", flat=True).first()
        or ""
    )
    address = {ContactChannel.EMAIL: email, ContactChannel.SMS: phone}
    preferred = customer.preferred_channel
    order = (
        [ContactChannel.SMS, ContactChannel.EMAIL]
        if preferred == ContactChannel.SMS
        else [ContactChannel.EMAIL, ContactChannel.SMS]
    )
    channel = next((c for c in order if address[c]), order[0])
    to = address[channel]
    skip = "" if to else Reason.NO_ADDRESS
    # A customer who said no to a channel is not written to on it, not even about their own ticket; the record
    # says so, and staff can still answer them on the ticket or by phone.
    if to and Consent.objects.filter(customer=customer, channel=channel, granted=False).exists():
        skip = Reason.OPTED_OUT_SMS if channel == ContactChannel.SMS else Reason.OPTED_OUT_EMAIL
    return _Recipient(customer=customer, name=customer.display_name, channel=str(channel), to=to, skip=skip)


def _answered_in_chat(ticket: Ticket) -> bool:
    """A ticket that came by a messenger bot is answered in its chat (the ticket services send the reply there):
    the same answer by e-mail or SMS as well would say everything twice."""
    if ticket.channel != TicketChannel.BOT:
        return False
    from peyvand.comms.bots.replies import chat_for_ticket

    return chat_for_ticket(ticket) is not None


def _recipient(ticket: Ticket) -> _Recipient | None:
    customer = ticket.customer if ticket.customer_id else None
    if customer is not None and customer.deleted_at is None:
        return _customer_recipient(customer)
    if ticket.contact_email:
        return _Recipient(None, ticket.contact_name, "email", ticket.contact_email, "")
    if ticket.contact_phone:
        return _Recipient(None, ticket.contact_name, "sms", ticket.contact_phone, "")
    return None


def _absolute(link: str) -> str:
    base = str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")
    if not link:
        return base
    if link.startswith(("http://", "https://")) or not base:
        return link
    return base + (link if link.startswith("/") else "/" + link)


def render_notification(
    *,
    ticket: Ticket,
    template: str,
    language: str = "fa",
    extra: dict[str, Any] | None = None,
    name: str = "",
    short: bool = False,
) -> Rendered:
    """The subject and text `template` gives for `ticket` in `language`: its number (in Persian digits in
    Persian), subject, status, assignee and link (PEYVAND_SITE_URL, or `extra["link"]` made absolute).
    `short`: for an SMS, the quoted answer is cut to SMS_REPLY_LIMIT characters."""
    if template not in TEMPLATES:
        raise ValueError(f"Unknown notification template {template!r}")
    language = language if language in LANGUAGES else "fa"
    extra = dict(extra or {})
    # The ticket services pass an answer's text as "body"; the templates call it {reply}.
    if not extra.get("reply") and extra.get("body"):
        extra["reply"] = extra["body"]
    reply = str(extra.get("reply") or "").strip()
    if short and len(reply) > SMS_REPLY_LIMIT:
        # An SMS is paid by the part: a long answer is cut, and the link leads to the whole of it.
        extra["reply"] = reply[: SMS_REPLY_LIMIT - 1].rstrip() + "…"
    assignee = ticket.assignee if ticket.assignee_id else None
    agent = (assignee.get_full_name() or assignee.username) if assignee is not None else OUR_TEAM[language]
    values: dict[str, Any] = {
        **extra,
        "name": name,
        "number": to_persian_digits(ticket.number) if language == "fa" else ticket.number,
        "subject": ticket.subject,
        "status": STATUS_NAMES[language].get(ticket.status, ticket.status),
        "agent": agent,
        "link": _absolute(str(extra.get("link") or "")),
    }
    return render_text(template, language, values)


def notify_customer(
    *, ticket: Ticket, template: str, extra: dict[str, Any] | None = None, language: str | None = None
) -> CustomerNotification | None:
    """Send the customer (or the contact of a ticket without one) the message `template` about `ticket`;
    returns the record of it, or None when there is nobody to tell.

    `language`: "fa" (the default: customers have no language of their own yet) or "en". `extra`: more values
    for the template ({"reply": …} for ticket_answered, {"link": …} for the satisfaction question). Call it
    after the ticket's transaction commits (notify_customer_later does that): a message cannot be unsent.
    """
    recipient = _recipient(ticket)
    if recipient is None:
        return None
    if not recipient.skip and suppressed_addresses(recipient.channel, [recipient.to], transactional=True):
        recipient = replace(recipient, skip=Reason.SUPPRESSED)
    if not recipient.skip and template == "ticket_answered" and _answered_in_chat(ticket):
        recipient = replace(recipient, skip=Reason.ANSWERED_IN_CHAT)
    rendered = render_notification(
        ticket=ticket,
        template=template,
        language=language or "fa",
        extra=extra,
        name=recipient.name,
        short=recipient.channel == "sms",
    )
    record = CustomerNotification(
        ticket=ticket,
        customer=recipient.customer,
        template=template,
        channel=recipient.channel,
        to=recipient.to[:255],
        subject=rendered.subject[:255],
        body=rendered.body,
    )
    account = None if recipient.skip else default_account(recipient.channel)
    if recipient.skip:
        record.status, record.error = NotificationStatus.SKIPPED, recipient.skip
        record.save()
    elif account is not None:
        _enqueue(record, account=account)
    else:
        _send(record)
        record.save()
    ticket_event(
        ticket,
        "notified",
        data={
            "template": template,
            "channel": record.channel,
            "status": record.status,
            "notification": record.pk,
            **({"reason": record.error} if record.error else {}),
            **({"message": record.message_id} if record.message_id else {}),
        },
    )
    return record


def _enqueue(record: CustomerNotification, *, account: ChannelAccount) -> None:
    """Hand the notice to the outbox (the record saved first: its number makes the message's idempotency key,
    so a notice is one message however often this runs). The outbox writes the customer's timeline line when
    the message is sent, so none is written here."""
    record.status = NotificationStatus.QUEUED
    record.save()
    try:
        message = enqueue_message(
            channel=record.channel,
            to=record.to,
            subject=record.subject if record.channel == "email" else "",
            body=record.body,
            customer=record.customer,
            account=account,
            idempotency_key=f"ticket-{record.ticket_id}-{record.template}-{record.pk}",
            template=record.template,
            related=record.ticket,
        )
    except Exception as exc:
        # An address the outbox refuses, a database hiccup: the ticket's work stands, the record says why.
        logger.warning("Notification %s to %s not queued: %s", record.template, record.to, exc)
        record.status = NotificationStatus.FAILED
        record.error = f"{Reason.SEND_FAILED}: {exc}"[:255]
        record.save(update_fields=["status", "error", "updated_at"])
        return
    record.message = message
    if message.status == MessageStatus.SKIPPED:
        # The outbox's own checks (consent given since, an address it cannot send to) said no.
        record.status, record.error = NotificationStatus.SKIPPED, message.error[:255]
    record.save(update_fields=["message", "status", "error", "updated_at"])


def _send(record: CustomerNotification) -> None:
    """Send by the record's channel and set its status; a failure of any kind is kept in the record."""
    try:
        if record.channel == "email":
            message = EmailMessage(
                subject=record.subject,
                body=record.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[record.to],
                # A notice is written by the desk, not a person: autoresponders must not answer it (RFC 3834).
                headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
            )
            message.send(fail_silently=False)
        else:
            backend = sms_backend()
            # An SMS is the text alone: the body holds the number and what happened.
            backend.send(to=record.to, text=record.body)
            record.channel = backend.channel
    except Exception as exc:
        # The mail server or gateway refused, timed out or is misconfigured: the caller's work (a ticket saved,
        # a rule run) must not be undone by it, and the record tells staff the customer was not told.
        logger.warning("Notification %s to %s failed: %s", record.template, record.to, exc)
        record.status = NotificationStatus.FAILED
        record.error = f"{Reason.SEND_FAILED}: {exc}"[:255]
        return
    record.status = NotificationStatus.SENT
    record.sent_at = timezone.now()


def notify_customer_later(*, ticket: Ticket, template: str, extra: dict[str, Any] | None = None) -> None:
    """notify_customer once the current transaction commits (at once outside one): a ticket whose saving is
    rolled back sends nothing."""
    transaction.on_commit(lambda: notify_customer(ticket=ticket, template=template, extra=extra))
