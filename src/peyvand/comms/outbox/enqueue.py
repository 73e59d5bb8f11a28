"""Putting messages in the outbox: one at a time (enqueue_message, what every module calls) or a campaign's
worth at once (enqueue_bulk)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox.policy import SUPPRESSED, opted_out, quiet_until
from peyvand.comms.outbox.render import MessageTemplate, render_text
from peyvand.comms.sms.segments import sms_segments
from peyvand.comms.suppression.services import suppressed_addresses
from peyvand.core.phone import try_normalize_phone

__all__ = ["BulkRecipient", "BulkResult", "Skip", "default_account", "enqueue_bulk", "enqueue_message"]

SENDABLE = (Channel.EMAIL, Channel.SMS, Channel.MESSENGER, Channel.CHAT)


class Skip:
    """Why a message was not sent, as OutboundMessage.error holds it (stable codes; pages word them)."""

    OPTED_OUT = "opted_out"  # + ":<channel>"
    NO_ADDRESS = "no_address"
    BAD_ADDRESS = "bad_address"
    CUSTOMER_DELETED = "customer_deleted"
    # The address is on the suppression list (comms.suppression): marketing to any entry, a transactional
    # message only to an entry whose reason holds back everything (a bounce, a complaint, STOP, an admin's).
    SUPPRESSED = SUPPRESSED


def default_account(channel: str) -> ChannelAccount | None:
    """The active account a channel's messages go out by when the sender names none."""
    return ChannelAccount.objects.filter(channel=channel, is_active=True).order_by("-is_default", "id").first()


def _address(channel: str, to: str) -> tuple[str, str]:
    """(the address as stored, a Skip code or "")."""
    to = (to or "").strip()
    if not to:
        return "", Skip.NO_ADDRESS
    if channel == Channel.SMS:
        number = try_normalize_phone(to)
        return (number, "") if number else (to[:255], Skip.BAD_ADDRESS)
    return to[:255], ""


def enqueue_message(
    *,
    channel: str,
    to: str,
    body: str,
    subject: str = "",
    html: str = "",
    customer: Any = None,
    account: ChannelAccount | None = None,
    idempotency_key: str,
    template: str = "",
    batch: str = "",
    related: models.Model | None = None,
    by: Any = None,
    values: Mapping[str, Any] | None = None,
    language: str = "fa",
    transactional: bool = True,
) -> OutboundMessage:
    """Put one message in the outbox, or return the one already there under `idempotency_key`.

    `values` (even {}): body, subject and html are templates, filled with the customer's fields, `values`
    and {today} in `language` (see outbox.render); an unknown field is a ValidationError. A customer who
    refused the channel gets a message recorded as skipped ("opted_out:<channel>"), never sent, and so does an
    address on the suppression list ("suppressed", see Skip.SUPPRESSED); a marketing
    message (`transactional=False`) enqueued in quiet hours waits until they end. Call it once the caller's
    transaction is committed when the message must not outlive a rollback (transaction.on_commit).
    """
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if channel not in SENDABLE:
        raise ValidationError({"channel": _("Messages are sent by e-mail, SMS, messenger or chat.")})
    if not idempotency_key or len(idempotency_key) > 100:
        raise ValidationError({"idempotency_key": _("Give each message a key of at most 100 characters.")})
    if values is not None:
        body = render_text(body, customer=customer, values=values, language=language, field="body")
        subject = render_text(subject, customer=customer, values=values, language=language, field="subject")
        html = render_text(html, customer=customer, values=values, language=language, field="html")
    if not body.strip() and not html.strip():
        raise ValidationError({"body": _("A message needs some text.")})
    account = account or default_account(channel)
    address, skip = _address(channel, to)
    if not skip and customer is not None:
        if customer.deleted_at is not None:
            skip = Skip.CUSTOMER_DELETED
        elif opted_out(channel, [customer.pk]):
            skip = f"{Skip.OPTED_OUT}:{channel}"
    if not skip and suppressed_addresses(channel, [address], transactional=transactional):
        skip = Skip.SUPPRESSED
    now = timezone.now()
    wait = None if transactional or skip else quiet_until(account, now)
    try:
        with transaction.atomic():
            return OutboundMessage.objects.create(
                channel=channel,
                to=address,
                body=body,
                subject=subject[:255],
                html=html,
                customer=customer,
                account=account,
                idempotency_key=idempotency_key,
                template=template[:60],
                batch=batch[:60],
                created_by=by,
                transactional=transactional,
                status=MessageStatus.SKIPPED if skip else MessageStatus.QUEUED,
                error=skip,
                next_attempt_at=wait or now,
                segments=sms_segments(body).segments if channel == Channel.SMS else None,
                related_type=ContentType.objects.get_for_model(related) if related is not None else None,
                related_id=str(related.pk) if related is not None else "",
            )
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)


@dataclass(frozen=True)
class BulkRecipient:
    """One recipient of a bulk send: the address, the message's idempotency key, the customer (by id) and the
    template's values for them (outbox.render.customer_values gives a customer's)."""

    to: str
    key: str
    customer_id: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class BulkResult:
    queued: int = 0
    skipped: int = 0
    duplicates: int = 0


def _chunks(items: Iterable[BulkRecipient], size: int) -> Iterator[list[BulkRecipient]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# The columns a bulk insert writes: first those every row of one send shares, then each recipient's own.
_SHARED_COLUMNS = (
    "created_at",
    "updated_at",
    "channel",
    "account_id",
    "template",
    "batch",
    "created_by_id",
    "transactional",
    "next_attempt_at",
    "attempts",
    "lease_token",
    "provider_message_id",
    "html",
    "related_id",
    "in_doubt",
)
_OWN_COLUMNS = ("customer_id", "to", "subject", "body", "idempotency_key", "status", "error", "segments")


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """A chunk's rows straight to the table: building a model object for each of a million rows cost more
    than rendering and writing them. A key another sender wrote meanwhile is left as
    it is (ON CONFLICT DO NOTHING, in SQLite and PostgreSQL alike)."""
    if not rows:
        return
    table = OutboundMessage._meta.db_table
    columns = [*_SHARED_COLUMNS, *_OWN_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks}) ON CONFLICT (idempotency_key) DO NOTHING"  # noqa: S608
    # One prepared statement over the rows: sqlite3 runs it in C, psycopg in a pipeline (no wait per row).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def enqueue_bulk(
    *,
    channel: str,
    recipients: Iterable[BulkRecipient],
    body: str,
    subject: str = "",
    account: ChannelAccount | None = None,
    batch: str,
    by: Any = None,
    language: str = "fa",
    transactional: bool = False,
    template: str = "",
    chunk_size: int = 5000,
) -> BulkResult:
    """A campaign: `body` (a template) rendered for each recipient and written `chunk_size` rows to an insert.
    Recipients whose key is already in the outbox are counted as duplicates and left alone, so a bulk send cut
    short can be run again whole. Consent and the suppression list are read once per chunk (skipped recipients
    are written as skipped, with the reason); marketing waits for quiet hours to end.
    `recipients` may be a generator: a million of them are never all in memory."""
    if channel not in SENDABLE:
        raise ValidationError({"channel": _("Messages are sent by e-mail, SMS, messenger or chat.")})
    try:
        body_template, subject_template = MessageTemplate(body), MessageTemplate(subject)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from None
    result = BulkResult()
    account = account or default_account(channel)
    now = timezone.now()
    due = (None if transactional else quiet_until(account, now)) or now
    base_values = {"today": timezone.localdate()}
    stamp, due_at = connection.ops.adapt_datetimefield_value(now), connection.ops.adapt_datetimefield_value(due)
    # The columns every row of this send shares, in _SHARED_COLUMNS order.
    row_start = (
        stamp,
        stamp,
        channel,
        account.pk if account else None,
        template[:60],
        batch[:60],
        by.pk if by is not None else None,
        transactional,
        due_at,
        0,
        "",
        "",
        "",
        "",
        False,
    )
    checked = False
    for chunk in _chunks(recipients, chunk_size):
        if not checked:
            # The first recipient's values stand for all: a template naming a field nobody has is refused
            # before anything is written.
            for template_ in (body_template, subject_template):
                try:
                    template_.check(chunk[0].values)
                except ValidationError as exc:
                    raise ValidationError({"body": exc.messages}) from None
            checked = True
        keys = [r.key for r in chunk]
        existing = set(
            OutboundMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
        )
        refused = opted_out(channel, {r.customer_id for r in chunk if r.customer_id})
        addresses = [_address(channel, r.to) for r in chunk]
        listed = suppressed_addresses(
            channel, {address for address, skip in addresses if not skip}, transactional=transactional
        )
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for recipient, (address, skip) in zip(chunk, addresses, strict=True):
            if recipient.key in existing or recipient.key in seen:
                result.duplicates += 1
                continue
            seen.add(recipient.key)
            values = {**base_values, **recipient.values}
            text = body_template.render(values, language)
            if not skip and recipient.customer_id in refused:
                skip = f"{Skip.OPTED_OUT}:{channel}"
            elif not skip and address in listed:
                skip = Skip.SUPPRESSED
            if skip:
                result.skipped += 1
            else:
                result.queued += 1
            rows.append(
                (
                    *row_start,
                    recipient.customer_id,
                    address,
                    subject_template.render(values, language)[:255],
                    text,
                    recipient.key[:100],
                    MessageStatus.SKIPPED if skip else MessageStatus.QUEUED,
                    skip,
                    sms_segments(text).segments if channel == Channel.SMS else None,
                )
            )
        _insert(rows)
    return result
