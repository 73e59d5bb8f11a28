"""Sending a quote by e-mail with its PDF, and recording the customer's answer: accepted (it becomes an order)
or rejected."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.sales.models import Quote, QuoteStatus
from peyvand.sales.services._common import Errors
from peyvand.sales.services.quotes.common import (
    DECIDABLE,
    MAX_TEXT,
    SENDABLE,
    move_status,
    quote_is_expired,
    require_visible,
    summary,
    write_timeline,
)


def _addresses(to: Any, errors: Errors) -> list[str]:
    """One or more addresses, separated by commas or semicolons."""
    text = str(to or "").replace(";", ",")
    addresses = [part.strip() for part in text.split(",") if part.strip()]
    if not addresses:
        errors.add("to", _("Give the address to send the quote to."))
        return []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            errors.add("to", _("“%(address)s” is not an e-mail address.") % {"address": address})
    if len(", ".join(addresses)) > 254:
        errors.add("to", _("Too many addresses: at most 254 characters in all."))
    return addresses


def quote_default_subject(quote: Quote) -> str:
    return _("Quote %(number)s from %(company)s") % {
        "number": quote.display_number,
        "company": settings.PEYVAND_COMPANY_NAME,
    }


def quote_default_message(quote: Quote) -> str:
    return _(
        "Dear %(customer)s,\n\nPlease find attached our quote %(number)s. We look forward to hearing from you.\n\n"
        "%(company)s"
    ) % {
        "customer": quote.customer.display_name,
        "number": quote.display_number,
        "company": settings.PEYVAND_COMPANY_NAME,
    }


def quote_send(*, quote: Quote, by: User, to: str, subject: str | None = None, message: str | None = None) -> Quote:
    """E-mail the quote with its PDF attached (in the language active now), then mark it sent and write the
    e-mail to the customer's timeline. Nothing is marked when the mail server refuses the message."""
    from peyvand.sales.pdf import quote_pdf, quote_pdf_filename  # the PDF code is heavy; only sending needs it

    require_visible(quote, by)
    errors = Errors()
    addresses = _addresses(to, errors)
    subject = " ".join(str(subject or "").split()) or quote_default_subject(quote)
    if len(subject) > 255:
        errors.add("subject", _("This is too long: at most %(limit)d characters.") % {"limit": 255})
    body = str(message).strip() if message and str(message).strip() else quote_default_message(quote)
    if len(body) > MAX_TEXT:
        errors.add("message", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT})
    current = Quote.objects.select_related("customer").get(pk=quote.pk)
    if current.status not in SENDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be sent."))
    elif quote_is_expired(current):
        errors.add("status", _("This quote has expired; revise it to send a new proposal."))
    errors.raise_if_any()

    pdf = quote_pdf(current)
    email = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=addresses)
    email.attach(quote_pdf_filename(current), pdf, "application/pdf")
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationError(
            {"to": [_("The mail server did not take the message (%(error)s); nothing was sent.") % {"error": exc}]}
        ) from None

    with transaction.atomic():
        sent_to = ", ".join(addresses)
        current = move_status(
            current,
            allowed=SENDABLE,
            values={"status": QuoteStatus.SENT, "sent_at": timezone.now(), "sent_to": sent_to},
            message=_("This quote was revised or decided meanwhile; open it again."),
        )
        write_timeline(
            current,
            by=by,
            channel=InteractionChannel.EMAIL,
            direction=Direction.OUTBOUND,
            subject=subject,
            body=_("Quote %(number)s sent to %(to)s.") % {"number": current.display_number, "to": sent_to}
            + "\n\n"
            + body,
        )
    return current


@transaction.atomic
def quote_accept(*, quote: Quote, by: User) -> Quote:
    """The customer said yes: the quote is accepted and becomes an order with its lines as they were offered.
    An expired quote cannot be accepted (revise it first), nor a superseded revision."""
    from peyvand.sales.services.orders import order_create  # orders import the quote model's module, not us

    require_visible(quote, by)
    current = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    errors = Errors()
    if current.status not in DECIDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be accepted."))
    elif quote_is_expired(current):
        errors.add("status", _("This quote has expired; revise it, then accept the new revision."))
    errors.raise_if_any()
    current = move_status(
        current,
        allowed=DECIDABLE,
        values={"status": QuoteStatus.ACCEPTED, "decided_at": timezone.now()},
        message=_("This quote was revised or decided meanwhile; open it again."),
    )
    write_timeline(
        current,
        by=by,
        subject=_("Quote accepted: %(number)s") % {"number": current.display_number},
        body=summary(current),
    )
    order_create(by=by, customer_id=current.customer_id, quote=current)
    return current


@transaction.atomic
def quote_reject(*, quote: Quote, by: User, reason: str) -> Quote:
    """The customer said no; the reason goes on the customer's timeline with the quote."""
    require_visible(quote, by)
    errors = Errors()
    text = str(reason or "").strip()
    if not text:
        errors.add("reason", _("Say why the quote was rejected."))
    elif len(text) > MAX_TEXT:
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT})
    current = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    if current.status not in DECIDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be rejected."))
    errors.raise_if_any()
    current = move_status(
        current,
        allowed=DECIDABLE,
        values={"status": QuoteStatus.REJECTED, "decided_at": timezone.now(), "rejected_reason": text},
        message=_("This quote was revised or decided meanwhile; open it again."),
    )
    write_timeline(
        current,
        by=by,
        subject=_("Quote rejected: %(number)s") % {"number": current.display_number},
        body=_("Reason: %(reason)s") % {"reason": text},
    )
    return current


def quote_default_recipient(quote: Quote) -> str:
    """The customer's primary e-mail address (or their first one), or "" when they have none."""
    address = quote.customer.emails.order_by("-is_primary", "id").values_list("email", flat=True).first()
    return address or ""
