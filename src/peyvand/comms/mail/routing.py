"""What an incoming mail becomes: a customer's message on the ticket it answers, an entry on a known customer's
timeline (and a ticket, if the mailbox says so), a lead or a ticket for an unknown sender, or nothing but the
record itself for mail written by machines (auto-replies and bounces never open tickets: no mail loops)."""

from __future__ import annotations

import logging
import re
from email.utils import parseaddr
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.comms.mail.config import KnownSender, MailboxConfig, UnknownSender
from peyvand.comms.mail.parsing import ParsedMail
from peyvand.comms.mail.sending import outbound_for_message_ids
from peyvand.comms.models import Channel, InboundMessage, InboundStatus, MessageStatus, OutboundMessage
from peyvand.core.text import normalize_digits
from peyvand.customers.models import Customer, CustomerEmail, Direction, InteractionChannel
from peyvand.customers.services.timeline import interaction_create
from peyvand.service.models import Ticket, TicketChannel

__all__ = ["route_mail", "ticket_in_subject"]

logger = logging.getLogger("peyvand.mail")

TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])T-(\d{4})-(\d{5})(?!\d)", re.IGNORECASE)
# What goes on a ticket or a timeline: the record keeps the whole text.
TICKET_TEXT_LIMIT = 50_000
TIMELINE_TEXT_LIMIT = 10_000


def ticket_in_subject(subject: str) -> str:
    """The ticket number a subject mentions ("Re: [T-1405-00042] …", in Persian digits too), or ""."""
    found = TICKET_NUMBER.search(normalize_digits(subject or ""))
    return f"T-{found.group(1)}-{found.group(2)}" if found else ""


def _customer_by_address(address: str) -> Customer | None:
    if not address:
        return None
    row = (
        CustomerEmail.objects.filter(email=address.lower(), customer__deleted_at__isnull=True)
        .select_related("customer")
        .order_by("-is_primary", "id")
        .first()
    )
    return row.customer if row is not None else None


def _sender_matches(ticket: Ticket, address: str) -> bool:
    if not address:
        return False
    if ticket.contact_email and ticket.contact_email.lower() == address:
        return True
    return (
        ticket.customer_id is not None
        and CustomerEmail.objects.filter(customer_id=ticket.customer_id, email=address.lower()).exists()
    )


def _related_ticket(outbound: OutboundMessage) -> Ticket | None:
    related = outbound.related
    if isinstance(related, Ticket):
        return related
    # A notice record about a ticket (service.CustomerNotification) points at it.
    ticket = getattr(related, "ticket", None)
    return ticket if isinstance(ticket, Ticket) else None


def _ticket_answered(parsed: ParsedMail, raw: dict[str, Any]) -> Ticket | None:
    """The ticket a mail answers: the one our mail it replies to was about (In-Reply-To / References carry our
    signed Message-ID), else the one whose number is in the subject, when the sender is that ticket's customer
    or contact (a number alone is easy to guess)."""
    outbound = outbound_for_message_ids([*parsed.in_reply_to, *parsed.references])
    if outbound is not None:
        raw["in_reply_to_outbound"] = outbound.pk
        ticket = _related_ticket(outbound)
        if ticket is not None:
            return ticket
    number = ticket_in_subject(parsed.subject)
    if not number:
        return None
    ticket = Ticket.objects.filter(number=number).first()
    if ticket is None:
        raw["ticket_not_found"] = number
        return None
    if not _sender_matches(ticket, parsed.sender):
        raw["ticket_sender_mismatch"] = number
        return None
    return ticket


def _text(parsed: ParsedMail, limit: int) -> str:
    text = parsed.text.strip() or parsed.subject.strip() or _("(An e-mail without text.)")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subject(parsed: ParsedMail) -> str:
    return parsed.subject.strip()[:200] or _("E-mail without a subject")


def _files(inbound: InboundMessage) -> list[ContentFile[bytes]]:
    """The mail's stored files as uploads for a ticket: those a ticket accepts (checked one by one, so one
    file of a kind tickets refuse does not keep the others off the ticket); all stay on the mail's record."""
    from peyvand.service.services.tickets import check_attachment

    uploads: list[ContentFile[bytes]] = []
    for attachment in inbound.attachments.all()[:10]:
        with attachment.file.open("rb") as handle:
            upload = ContentFile(handle.read(), name=attachment.name)
        try:
            check_attachment(upload)
        except ValidationError:
            # A kind or size tickets refuse: it stays on the mail's record, linked from the ticket's mail.
            logger.info("Mail %s: %s is not attached to the ticket", inbound.pk, attachment.name)
            continue
        upload.seek(0)
        uploads.append(upload)
    return uploads


def _timeline(inbound: InboundMessage, customer: Customer, parsed: ParsedMail, related: Any) -> None:
    inbound.interaction = interaction_create(
        customer=customer,
        by=None,
        channel=InteractionChannel.EMAIL,
        direction=Direction.INBOUND,
        subject=_subject(parsed),
        body=_text(parsed, TIMELINE_TEXT_LIMIT),
        occurred_at=inbound.received_at,
        related=related,
        check_visible=False,
    )


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first() if username else None


def _team(pk: int | None, inbound: InboundMessage, what: str) -> Team | None:
    """The team the mailbox names, or None (logged) when it names one that is gone: the mail matters more."""
    if pk is None:
        return None
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        logger.warning("Mailbox %s names team %s for its %s, which does not exist", inbound.account_id, pk, what)
    return team


def _new_ticket(
    parsed: ParsedMail, config: MailboxConfig, inbound: InboundMessage, customer: Customer | None
) -> Ticket:
    from peyvand.service.services.tickets import ticket_create, ticket_customer_message

    data: dict[str, Any] = {"subject": _subject(parsed), "description": _text(parsed, TICKET_TEXT_LIMIT)}
    if customer is not None:
        data["customer_id"] = customer.pk
    else:
        data["contact_email"] = parsed.sender
        data["contact_name"] = parsed.sender_name[:100] or parsed.sender
    if config.ticket_category:
        data["category_id"] = config.ticket_category
    team = _team(config.ticket_team, inbound, "tickets")
    try:
        ticket = ticket_create(by=None, data=data, channel=TicketChannel.EMAIL, channel_team=team)
    except Exception as exc:
        if "category_id" not in data:
            raise
        # The mailbox names a category that is gone or asks for details a mail cannot give: the mail matters more.
        logger.warning("Mailbox %s: opening the ticket in category %s failed: %s", inbound.account_id, data, exc)
        data.pop("category_id")
        ticket = ticket_create(by=None, data=data, channel=TicketChannel.EMAIL, channel_team=team)
    files = _files(inbound)
    if files:
        ticket_customer_message(
            ticket=ticket,
            body=_("Files sent with the e-mail."),
            channel=TicketChannel.EMAIL,
            external_id=inbound.external_id,
            attachments=files,
        )
    return ticket


def _new_lead(parsed: ParsedMail, config: MailboxConfig, inbound: InboundMessage) -> Any:
    """A lead nobody made: the mailbox's settings give its team and owner (an owner without a team given brings
    their own team); with neither it waits, unowned, for a manager to hand it out."""
    from peyvand.sales.models import LeadSource
    from peyvand.sales.services.leads import lead_create_from_channel

    owner = _user(config.lead_owner)
    if config.lead_owner and owner is None:
        logger.warning(
            "Mailbox %s names lead owner %r, who is not an active user", inbound.account_id, config.lead_owner
        )
    team = _team(config.lead_team, inbound, "leads")
    if team is None and owner is not None:
        team = owner.team
    first, _space, last = parsed.sender_name.partition(" ")
    data = {
        "first_name": first[:100],
        "last_name": last[:100],
        "email": parsed.sender,
        "source_detail": _("E-mail: %(subject)s") % {"subject": _subject(parsed)},
        "interest": _text(parsed, 10_000),
    }
    return lead_create_from_channel(data=data, source=LeadSource.EMAIL, team=team, owner=owner)


def _bounce(parsed: ParsedMail, raw: dict[str, Any]) -> None:
    """A delivery report about a mail we sent marks it failed, with the report's subject as the reason; a
    permanent failure (status 5.x.x: no such address) also puts the address on the suppression list, so that
    nothing more is sent to an address that does not exist."""
    outbound = outbound_for_message_ids([*parsed.in_reply_to, *parsed.references])
    if outbound is None or parsed.auto not in ("delivery_report", "mailer_daemon"):
        return
    raw["bounce_of"] = outbound.pk
    if parsed.delivery_action in ("delayed", "delivered", "relayed", "expanded"):
        # "Still trying" or "delivered": the mail has not failed.
        return
    OutboundMessage.objects.filter(pk=outbound.pk, status__in=[MessageStatus.SENT, MessageStatus.DELIVERED]).update(
        status=MessageStatus.FAILED, error=f"bounced: {parsed.subject}"[:500]
    )
    if parsed.delivery_action == "failed" and parsed.delivery_status.startswith("5."):
        from peyvand.comms.models import SuppressionReason
        from peyvand.comms.suppression import suppress_address

        address = parseaddr(outbound.to)[1]
        if address:
            suppress_address(
                channel=Channel.EMAIL,
                address=address,
                reason=SuppressionReason.HARD_BOUNCE,
                source=f"bounce {parsed.delivery_status} of outbox message {outbound.pk}"[:200],
            )
            raw["suppressed"] = address


def route_mail(*, inbound: InboundMessage, parsed: ParsedMail, config: MailboxConfig) -> None:
    """Decide what `inbound` (stored, its files too) becomes and make it so, inside the caller's transaction;
    sets its customer, interaction, related object and status (the caller saves it)."""
    from peyvand.service.services.tickets import ticket_customer_message

    raw = inbound.raw
    customer = _customer_by_address(parsed.sender)
    inbound.customer = customer
    if parsed.auto:
        _bounce(parsed, raw)
        inbound.status = InboundStatus.IGNORED
        inbound.error = f"automatic: {parsed.auto}"
        return
    ticket = _ticket_answered(parsed, raw)
    if ticket is not None:
        message = ticket_customer_message(
            ticket=ticket,
            body=_text(parsed, TICKET_TEXT_LIMIT),
            channel=TicketChannel.EMAIL,
            external_id=inbound.external_id,
            attachments=_files(inbound),
        )
        target = message.ticket
        inbound.related = message
        raw["ticket"] = target.number
        customer = customer if customer is not None else target.customer
        if customer is not None and customer.deleted_at is None:
            inbound.customer = customer
            _timeline(inbound, customer, parsed, target)
        inbound.status = InboundStatus.PROCESSED
        return
    if customer is not None:
        related: Any = inbound
        if config.known_sender == KnownSender.TICKET:
            related = _new_ticket(parsed, config, inbound, customer)
            inbound.related = related
            raw["ticket"] = related.number
        _timeline(inbound, customer, parsed, related)
        inbound.status = InboundStatus.PROCESSED
        return
    if config.unknown_sender == UnknownSender.TICKET and parsed.sender:
        ticket = _new_ticket(parsed, config, inbound, None)
        inbound.related = ticket
        raw["ticket"] = ticket.number
        inbound.status = InboundStatus.PROCESSED
    elif config.unknown_sender == UnknownSender.LEAD and parsed.sender:
        lead = _new_lead(parsed, config, inbound)
        inbound.related = lead
        raw["lead"] = lead.pk
        inbound.status = InboundStatus.PROCESSED
    else:
        inbound.status = InboundStatus.UNMATCHED
