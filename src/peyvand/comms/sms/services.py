"""SMS writes: inbound messages onto the customer's timeline, opt-out and opt-in keywords, delivery reports,
and sending to customers from the compose page and the API."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.models import (
    Channel,
    ChannelAccount,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    SuppressionReason,
)
from peyvand.comms.outbox import enqueue_message, record_delivery
from peyvand.comms.outbox.render import MessageTemplate
from peyvand.comms.sms.gateway import DeliveryReport, InboundSms
from peyvand.comms.sms.segments import SegmentCount, sms_segments
from peyvand.comms.suppression.services import lift_opt_out, suppress_address
from peyvand.core.phone import try_normalize_phone
from peyvand.core.text import normalize_digits
from peyvand.customers.models import ConsentMethod, Customer, PhoneKind

__all__ = [
    "OPT_IN_WORDS",
    "OPT_OUT_WORDS",
    "SmsQuote",
    "is_opt_in",
    "is_opt_out",
    "sms_deliveries_record",
    "sms_inbound_record",
    "sms_quote",
    "sms_send",
]

logger = logging.getLogger("peyvand.sms")

# Words that stop SMS when they are the whole reply: Persian «لغو» (cancel) with or without the number some
# panels append to it («لغو۱۱»), Arabic-keyboard spellings, and the English ones.
OPT_OUT_WORDS = ("لغو", "لغو11", "stop", "cancel", "unsubscribe", "end", "quit")
# Words that undo it, the same way: «عضویت» (membership), «شروع» (start), and the English ones.
OPT_IN_WORDS = ("عضویت", "شروع", "start", "unstop", "subscribe")
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})
_NOT_WORD = re.compile(r"[\s\u200c\u200d\u200f\u200e.!،,؛;:\-_]+")
# The most recipients one send from the page or the API takes (a campaign goes through marketing).
MAX_RECIPIENTS = 100


def _folded(text: str) -> str:
    return _NOT_WORD.sub("", normalize_digits(text or "").translate(_ARABIC_LETTERS)).casefold()


def is_opt_out(text: str) -> bool:
    """Whether a reply is an opt-out keyword: case, spaces, joiners, punctuation, and Persian or Arabic digits
    do not matter; the keyword must be the whole message (a sentence containing «لغو» is a message)."""
    folded = _folded(text)
    return folded in OPT_OUT_WORDS or (folded.startswith("لغو") and folded[3:].isdigit())


def is_opt_in(text: str) -> bool:
    """Whether a reply is an opt-in keyword («عضویت», START), read the way is_opt_out reads."""
    return _folded(text) in OPT_IN_WORDS


def customer_by_phone(number: str) -> Customer | None:
    """The (oldest live) customer owning `number`, whoever's customer it is: inbound messages are the
    system's, not a user's."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    return Customer.objects.filter(phones__number=e164, deleted_at__isnull=True).order_by("id").first()


def sms_inbound_record(
    *, account: ChannelAccount, sms: InboundSms, raw: Mapping[str, Any]
) -> tuple[InboundMessage, bool]:
    """Record an inbound SMS once (by the gateway's id): (the record, whether it is new). A known sender's
    message goes on their timeline. An opt-out keyword from any number puts it on the suppression list (a
    number that is no customer's is not written to by the next campaign either) and withdraws a known
    sender's SMS consent; no confirmation is sent: they have just said no to SMS. An opt-in keyword lifts
    their own opt-out (not a bounce or an administrator's entry) and gives a known sender's consent back."""
    from peyvand.customers.models import Direction, InteractionChannel
    from peyvand.customers.services.timeline import consent_set, interaction_create

    existing = InboundMessage.objects.filter(account=account, external_id=sms.external_id[:255]).first()
    if existing is not None:
        return existing, False
    customer = customer_by_phone(sms.sender)
    try:
        with transaction.atomic():
            record = InboundMessage.objects.create(
                channel=Channel.SMS,
                account=account,
                external_id=sms.external_id[:255],
                sender=(try_normalize_phone(sms.sender) or sms.sender)[:255],
                recipient=sms.recipient[:255],
                body=sms.text,
                received_at=sms.received_at or timezone.now(),
                customer=customer,
                status=InboundStatus.PROCESSED if customer else InboundStatus.UNMATCHED,
                raw=dict(raw),
            )
            if customer is not None:
                record.interaction = interaction_create(
                    customer=customer,
                    by=None,
                    channel=InteractionChannel.SMS,
                    direction=Direction.INBOUND,
                    subject=_("SMS received"),
                    body=sms.text or "-",
                    occurred_at=record.received_at,
                    related=record,
                    check_visible=False,
                )
                if is_opt_out(sms.text):
                    consent_set(
                        customer=customer,
                        by=None,
                        channel="sms",
                        granted=False,
                        method=ConsentMethod.KEYWORD,
                        note=sms.text.strip()[:200],
                    )
                elif is_opt_in(sms.text) and _sms_refused(customer):
                    consent_set(
                        customer=customer,
                        by=None,
                        channel="sms",
                        granted=True,
                        method=ConsentMethod.KEYWORD,
                        note=sms.text.strip()[:200],
                    )
                record.save(update_fields=["interaction", "updated_at"])
            _apply_keyword(record)
    except IntegrityError:
        # The same message posted twice at once: the other request recorded it.
        return InboundMessage.objects.get(account=account, external_id=sms.external_id[:255]), False
    return record, True


def _sms_refused(customer: Customer) -> bool:
    return customer.consents.filter(channel="sms", granted=False).exists()


def _apply_keyword(record: InboundMessage) -> None:
    """An opt-out or opt-in word from the record's sender, whoever they are, on the suppression list."""
    text = record.body
    if not (is_opt_out(text) or is_opt_in(text)):
        return
    if try_normalize_phone(record.sender) is None:
        # A sender that is no phone number (an alphanumeric line) cannot be written to anyway.
        logger.info("SMS keyword %r from %r, which is no phone number: nothing suppressed", text, record.sender)
        return
    if is_opt_out(text):
        suppress_address(
            channel=Channel.SMS,
            address=record.sender,
            reason=SuppressionReason.OPT_OUT_SMS,
            source=(_("SMS reply “%(text)s”") % {"text": text.strip()})[:255],
        )
    elif lift_opt_out(channel=Channel.SMS, address=record.sender):
        logger.info("SMS opt-out of %s lifted by its reply %r (inbound %s)", record.sender, text, record.pk)


def sms_deliveries_record(*, account: ChannelAccount, reports: Sequence[DeliveryReport]) -> int:
    """Apply delivery reports; returns how many named a message of ours."""
    known = 0
    for report in reports:
        if report.delivered is None:
            known += OutboundMessage.objects.filter(
                account=account, provider_message_id=report.provider_message_id
            ).count()
            continue
        applied = record_delivery(
            account=account,
            provider_message_id=report.provider_message_id,
            delivered=report.delivered,
            error=report.status,
        )
        known += 1 if applied else 0
    return known


@dataclass(frozen=True)
class SmsQuote:
    count: SegmentCount
    recipients: int
    price_per_segment: int | None
    cost: int | None  # Rial, when the account has a price


def sms_quote(*, text: str, recipients: int = 1, account: ChannelAccount | None = None) -> SmsQuote:
    """Parts and cost of sending `text` to `recipients` people (the account's price_per_segment, Rial)."""
    count = sms_segments(text)
    raw_price = str((account.config or {}).get("price_per_segment") or "") if account is not None else ""
    price = int(normalize_digits(raw_price)) if normalize_digits(raw_price).isdigit() else None
    cost = price * count.segments * recipients if price is not None else None
    return SmsQuote(count=count, recipients=recipients, price_per_segment=price, cost=cost)


def _mobile_of(customer: Customer) -> str:
    phones = customer.phones.order_by("-is_primary", "id")
    return str(
        phones.filter(kind=PhoneKind.MOBILE).values_list("number", flat=True).first()
        or phones.values_list("number", flat=True).first()
        or ""
    )


def sms_send(
    *,
    by: User,
    text: str,
    customers: Sequence[Customer] = (),
    numbers: Sequence[str] = (),
    account: ChannelAccount | None = None,
    request_key: str = "",
) -> list[OutboundMessage]:
    """Queue `text` (a template: {name} and the other customer fields) to each customer (their mobile) and
    to each raw number. The customers must be visible to `by` (the caller has checked); raw numbers are for
    managers and administrators only. `request_key` makes a repeated request queue nothing new."""
    from peyvand.accounts.models import Role

    errors: dict[str, list[str]] = {}
    if not text.strip():
        errors["text"] = [_("Write the message.")]
    elif "\x00" in text:
        errors["text"] = [_("The message holds a character that cannot be sent.")]
    else:
        try:
            MessageTemplate(text).check(())
        except ValidationError as exc:
            errors["text"] = exc.messages
    if numbers and not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only managers and administrators send SMS to numbers that are not customers."))
    bad = [n for n in numbers if try_normalize_phone(n) is None]
    if bad:
        errors["numbers"] = [_("Not a phone number: %(number)s") % {"number": bad[0]}]
    if not customers and not numbers:
        errors["customers"] = [_("Choose at least one recipient.")]
    if len(customers) + len(numbers) > MAX_RECIPIENTS:
        errors["customers"] = [_("At most %(count)s recipients at a time.") % {"count": MAX_RECIPIENTS}]
    if account is not None and (account.channel != Channel.SMS or not account.is_active):
        errors["account"] = [_("Choose an active SMS account.")]
    if errors:
        raise ValidationError(errors)
    key = request_key or uuid.uuid4().hex
    batch = f"sms:{key}"[:60]
    messages: list[OutboundMessage] = []
    with transaction.atomic():
        for customer in customers:
            messages.append(
                enqueue_message(
                    channel=Channel.SMS,
                    to=_mobile_of(customer),
                    body=text,
                    customer=customer,
                    account=account,
                    idempotency_key=f"sms:{by.pk}:{key}:c{customer.pk}"[:100],
                    batch=batch,
                    by=by,
                    values={},
                    template="sms_compose",
                )
            )
        for number in numbers:
            e164 = try_normalize_phone(number) or number
            messages.append(
                enqueue_message(
                    channel=Channel.SMS,
                    to=e164,
                    body=text,
                    customer=customer_by_phone(e164),
                    account=account,
                    idempotency_key=f"sms:{by.pk}:{key}:n{e164}"[:100],
                    batch=batch,
                    by=by,
                    values={},
                    template="sms_compose",
                )
            )
    return messages
