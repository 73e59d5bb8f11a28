"""How the outbox records what became of a send: the outcome written once, only by the worker holding the
message's lease, with the one timeline line of a message sent; retries with back-off; a whole chunk of a batch
request written at once; delivery reports. The engine (outbox.engine) decides what to send."""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.providers import PermanentError, SendResult, TemporaryError

__all__ = [
    "OutcomeUnknown",
    "SendStats",
    "max_attempts",
    "record_delivery",
    "record_outcome",
    "record_sent_many",
    "retry_delay",
]

logger = logging.getLogger("peyvand.outbox")


class OutcomeUnknown(TemporaryError):
    """The request may have reached the provider (a timeout after it was sent, a reset connection): retried
    later, and before that the provider is asked whether it has the message (Provider.find_sent)."""


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Exponential back-off with jitter: PEYVAND_OUTBOX_RETRY_SECONDS (30) doubled per attempt up to
    PEYVAND_OUTBOX_RETRY_MAX_SECONDS (3600), a random half to whole of it (workers retrying together would
    otherwise hit a recovering gateway at the same moment); the provider's own Retry-After when longer."""
    base = _setting("PEYVAND_OUTBOX_RETRY_SECONDS", 30)
    cap = _setting("PEYVAND_OUTBOX_RETRY_MAX_SECONDS", 3600)
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(delay / 2, delay)
    return max(delay, retry_after or 0.0)


def max_attempts() -> int:
    return int(_setting("PEYVAND_OUTBOX_MAX_ATTEMPTS", 8))


_TIMELINE_CHANNEL = {
    Channel.EMAIL: "email",
    Channel.SMS: "sms",
    Channel.MESSENGER: "messenger",
    Channel.CHAT: "chat",
}


def _write_timeline(message: OutboundMessage, when: dt.datetime) -> None:
    from peyvand.customers.models import Direction
    from peyvand.customers.services.timeline import interaction_create

    customer = message.customer
    if customer is None:
        return
    interaction_create(
        customer=customer,
        by=message.created_by,
        channel=_TIMELINE_CHANNEL.get(Channel(message.channel), "system"),
        direction=Direction.OUTBOUND,
        subject=message.subject,
        body=message.body or message.subject or "-",
        occurred_at=when,
        related=message,
        check_visible=False,
    )


def _finish(message: OutboundMessage, token: str, **changes: Any) -> bool:
    """Write the outcome only while this worker still holds the message (its lease token); True if written.
    A success writes the one timeline line of the message in the same transaction."""
    changes.setdefault("updated_at", timezone.now())
    with transaction.atomic():
        written = OutboundMessage.objects.filter(pk=message.pk, lease_token=token).update(
            lease_token="", lease_until=None, **changes
        )
        if written and changes.get("status") in (MessageStatus.SENT, MessageStatus.DELIVERED):
            for name, value in changes.items():
                setattr(message, name, value)
            _write_timeline(message, changes.get("sent_at") or timezone.now())
    if not written:
        logger.warning("Outbox message %s was taken by another worker before its outcome was written", message.pk)
    return bool(written)


def _record_sent(message: OutboundMessage, token: str, result: SendResult) -> bool:
    now = timezone.now()
    return _finish(
        message,
        token,
        status=MessageStatus.DELIVERED if result.delivered else MessageStatus.SENT,
        provider_message_id=(result.provider_message_id or "")[:100],
        segments=result.segments or message.segments,
        sent_at=now,
        delivered_at=now if result.delivered else None,
        error="",
        in_doubt=False,
    )


def _record_temporary(message: OutboundMessage, token: str, exc: TemporaryError) -> str:
    in_doubt = message.in_doubt or isinstance(exc, OutcomeUnknown)
    if message.attempts >= max_attempts():
        _finish(message, token, status=MessageStatus.FAILED, error=f"gave_up: {exc}"[:500], in_doubt=in_doubt)
        return "failed"
    delay = retry_delay(message.attempts, exc.retry_after)
    _finish(
        message,
        token,
        status=MessageStatus.QUEUED,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
        error=f"retry: {exc}"[:500],
        in_doubt=in_doubt,
    )
    return "retried"


def _release(message: OutboundMessage, token: str, *, at: dt.datetime | None = None, error: str = "") -> None:
    """Give a claimed message back unsent (its attempt not counted): quiet hours, a lease too short to send."""
    _finish(
        message,
        token,
        status=MessageStatus.QUEUED,
        attempts=F("attempts") - 1,
        next_attempt_at=at or timezone.now(),
        error=error,
    )


@dataclass
class SendStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    recovered: int = 0  # in doubt, and found at the provider: not sent again

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped + self.recovered


def record_outcome(message: OutboundMessage, token: str, outcome: SendResult | Exception, stats: SendStats) -> None:
    """Write what one send (alone or as an entry of a batch) came to."""
    if isinstance(outcome, SendResult):
        _record_sent(message, token, outcome)
        stats.sent += 1
    elif isinstance(outcome, PermanentError):
        _finish(message, token, status=MessageStatus.FAILED, error=str(outcome)[:500], in_doubt=False)
        stats.failed += 1
    else:
        if not isinstance(outcome, TemporaryError):
            # A provider's own bug must not stop the worker: the message is retried like a temporary failure,
            # and in doubt (we cannot tell how far it got).
            logger.error("Provider %s failed on outbox message %s", message.account, message.pk, exc_info=outcome)
            outcome = OutcomeUnknown(f"{type(outcome).__name__}: {outcome}")
        result = _record_temporary(message, token, outcome)
        stats.failed += result == "failed"
        stats.retried += result == "retried"


def record_sent_many(sent: list[tuple[OutboundMessage, SendResult]], token: str, stats: SendStats) -> None:
    """_record_sent for a chunk in three statements instead of one per message (the ORM's cost per UPDATE was
    most of a worker's time once a request carried 200 messages): the rows this worker still holds are marked
    with a token of their own, read back, and written; then each one's timeline line."""
    if not sent:
        return
    now = timezone.now()
    done = uuid.uuid4().hex
    by_id = {message.pk: (message, result) for message, result in sent}
    OutboundMessage.objects.filter(pk__in=list(by_id), lease_token=token).update(lease_token=done)
    written = list(OutboundMessage.objects.filter(pk__in=list(by_id), lease_token=done).values_list("pk", flat=True))
    if len(written) < len(by_id):
        logger.warning(
            "%s outbox messages were taken by another worker before their outcome was written",
            len(by_id) - len(written),
        )
    if not written:
        return
    fields = {
        pk: {
            "status": MessageStatus.DELIVERED if by_id[pk][1].delivered else MessageStatus.SENT,
            "provider_message_id": (by_id[pk][1].provider_message_id or "")[:100],
            "segments": by_id[pk][1].segments or by_id[pk][0].segments,
            "delivered_at": now if by_id[pk][1].delivered else None,
            "sent_at": now,
            "error": "",
            "in_doubt": False,
            "lease_token": "",
            "lease_until": None,
            "updated_at": now,
        }
        for pk in written
    }
    _update_each(written, fields, lease_token=done)
    for pk in written:
        message = by_id[pk][0]
        if message.customer_id is not None:
            for name, value in fields[pk].items():
                setattr(message, name, value)
            _write_timeline(message, now)
    stats.sent += len(written)


def _update_each(pks: list[int], fields: dict[int, dict[str, Any]], *, lease_token: str) -> None:
    """One UPDATE giving each row of `pks` its own values (CASE id WHEN … for a column whose values differ),
    only where the row still has `lease_token`. Written in SQL: the ORM's Case/When costs ~1 ms a row to build."""
    meta = OutboundMessage._meta
    quote = connection.ops.quote_name
    id_column = quote("id")
    sets: list[str] = []
    params: list[Any] = []
    for name in fields[pks[0]]:
        field = meta.get_field(name)
        assert isinstance(field, Field)
        prepared: dict[Any, Any] = {}  # each distinct value converted once (a datetime's conversion is not cheap)
        for pk in pks:
            value = fields[pk][name]
            if value not in prepared:
                prepared[value] = field.get_db_prep_value(value, connection)
        values = [prepared[fields[pk][name]] for pk in pks]
        column = quote(field.column or name)
        if all(value == values[0] for value in values):
            sets.append(f"{column} = %s")
            params.append(values[0])
            continue
        sets.append(f"{column} = CASE {id_column} {' '.join(['WHEN %s THEN %s'] * len(pks))} END")
        for pk, value in zip(pks, values, strict=True):
            params.extend([pk, value])
    placeholders = ", ".join(["%s"] * len(pks))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608 (names from the model, values bound)
        f"WHERE {id_column} IN ({placeholders}) AND {quote('lease_token')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *pks, lease_token])


def record_delivery(*, account: ChannelAccount, provider_message_id: str, delivered: bool, error: str = "") -> int:
    """A provider's delivery report: the message it names becomes delivered (or failed: not delivered).
    Returns how many messages it named (0: unknown id). Reports repeated or out of order change nothing once
    a message is delivered."""
    if not provider_message_id:
        return 0
    messages = OutboundMessage.objects.filter(account=account, provider_message_id=provider_message_id)
    now = timezone.now()
    if delivered:
        messages.filter(status__in=[MessageStatus.SENT, MessageStatus.FAILED]).update(
            status=MessageStatus.DELIVERED, delivered_at=now, error="", updated_at=now
        )
    else:
        messages.filter(status=MessageStatus.SENT).update(
            status=MessageStatus.FAILED, error=f"undelivered: {error}"[:500], updated_at=now
        )
    return messages.count()
