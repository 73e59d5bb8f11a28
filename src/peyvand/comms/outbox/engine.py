"""The outbox's engine: workers claim due messages under a lease, send them through their account's provider
within its rate limit, retry with back-off, and record the outcome once (with one line on the customer's
timeline). See docs/channels-outbox.md for why a message is sent exactly once."""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage, SendWindow
from peyvand.comms.outbox.enqueue import SENDABLE, Skip, default_account
from peyvand.comms.outbox.policy import opted_out, quiet_until
from peyvand.comms.providers import PermanentError, Provider, SendResult, TemporaryError, provider_class

__all__ = [
    "OutcomeUnknown",
    "SendStats",
    "deliver_now",
    "record_delivery",
    "send_due",
]

logger = logging.getLogger("peyvand.outbox")


class OutcomeUnknown(TemporaryError):
    """The request may have reached the provider (a timeout after it was sent, a reset connection): retried
    later, and before that the provider is asked whether it has the message (Provider.find_sent)."""


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease_seconds() -> float:
    """PEYVAND_OUTBOX_LEASE_SECONDS (120): how long a worker holds what it claimed."""
    return _setting("PEYVAND_OUTBOX_LEASE_SECONDS", 120)


def provider_timeout() -> float:
    """PEYVAND_OUTBOX_SEND_TIMEOUT (15 s): the longest one provider call may take. A worker starts a send only
    while its lease has at least twice this left, so no lease runs out while its send is in flight."""
    return _setting("PEYVAND_OUTBOX_SEND_TIMEOUT", 15)


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


# --- the rate limit every worker shares ---------------------------------------------------------------------


def take_permits(account: ChannelAccount, wanted: int, now: dt.datetime | None = None) -> int:
    """Up to `wanted` sends the account's rate_per_minute still allows in its current minute (a fixed window
    kept in SendWindow under a row lock, so every worker draws from the same count)."""
    if not account.rate_per_minute:
        return wanted
    now = now or timezone.now()
    with transaction.atomic():
        window, _created = SendWindow.objects.select_for_update().get_or_create(
            account=account, defaults={"started_at": now, "count": 0}
        )
        if now - window.started_at >= dt.timedelta(minutes=1):
            window.started_at, window.count = now, 0
        granted = max(0, min(wanted, account.rate_per_minute - window.count))
        window.count += granted
        window.save(update_fields=["started_at", "count", "updated_at"])
    return granted


def give_back_permits(account: ChannelAccount, unused: int) -> None:
    if account.rate_per_minute and unused > 0:
        SendWindow.objects.filter(account=account).update(count=Greatest(F("count") - unused, 0))


def window_opens_at(account: ChannelAccount) -> dt.datetime | None:
    window = SendWindow.objects.filter(account=account).first()
    return window.started_at + dt.timedelta(minutes=1) if window is not None else None


# --- claiming ---------------------------------------------------------------------------------------------------


def _due(account: ChannelAccount, now: dt.datetime) -> list[QuerySet[OutboundMessage]]:
    """Where the account's claimable messages are, in the order they are taken: those left "sending" by a
    worker whose lease ran out (they have waited longest), then those queued and due. Each is one walk of the
    outbox_account_due index; the default account also takes what was queued while its channel had none."""
    owners = [Q(account=account)]
    if account == default_account(account.channel):
        owners.append(Q(account__isnull=True, channel=account.channel))
    expired = [
        OutboundMessage.objects.filter(owner, status=MessageStatus.SENDING, lease_until__lt=now) for owner in owners
    ]
    queued = [
        OutboundMessage.objects.filter(owner, status=MessageStatus.QUEUED, next_attempt_at__lte=now) for owner in owners
    ]
    return [*expired, *queued]


def claim(account: ChannelAccount, *, limit: int, now: dt.datetime | None = None) -> tuple[str, list[OutboundMessage]]:
    """Take up to `limit` due messages of `account` for this worker: (lease token, the messages).

    PostgreSQL: the rows are chosen FOR UPDATE SKIP LOCKED, so workers claiming at once take different ones
    without waiting. SQLite has one writer at a time: one UPDATE … WHERE id IN (SELECT … LIMIT n) marks the
    rows with this worker's token, and the token reads them back. Either way the claim is one transaction; a
    message taken from "sending" (its worker died mid-send) is marked in_doubt in the same statement."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    lease_until = now + dt.timedelta(seconds=lease_seconds())
    changes: dict[str, Any] = {
        "status": MessageStatus.SENDING,
        "lease_token": token,
        "lease_until": lease_until,
        "attempts": F("attempts") + 1,
        "account": account,
        "in_doubt": Case(When(status=MessageStatus.SENDING, then=Value(True)), default=F("in_doubt")),
        "updated_at": now,
    }
    claimed = 0
    with transaction.atomic():
        for queryset in _due(account, now):
            wanted = limit - claimed
            if wanted <= 0:
                break
            if connection.vendor == "postgresql":
                ids = list(
                    queryset.select_for_update(skip_locked=True, of=("self",))
                    .order_by("next_attempt_at", "id")
                    .values_list("id", flat=True)[:wanted]
                )
                claimed += OutboundMessage.objects.filter(id__in=ids).update(**changes) if ids else 0
            else:
                ids_query = queryset.order_by("next_attempt_at", "id").values("id")[:wanted]
                claimed += OutboundMessage.objects.filter(id__in=ids_query).update(**changes)
    if not claimed:
        return token, []
    rows = list(
        OutboundMessage.objects.filter(lease_token=token, status=MessageStatus.SENDING)
        .select_related("account")
        .order_by("next_attempt_at", "id")
    )
    return token, rows


# --- recording outcomes ----------------------------------------------------------------------------------------

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


# --- sending ----------------------------------------------------------------------------------------------------


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


def _provider(account: ChannelAccount) -> Provider:
    return provider_class(account.channel, account.provider)(account)


def _send_one(provider: Provider, message: OutboundMessage, token: str, stats: SendStats) -> None:
    try:
        result = None
        if message.in_doubt:
            find_sent = getattr(provider, "find_sent", None)
            result = find_sent(message) if callable(find_sent) else None
            if result is not None:
                _record_sent(message, token, result)
                stats.recovered += 1
                return
        result = provider.send(message)
    except PermanentError as exc:
        _finish(message, token, status=MessageStatus.FAILED, error=str(exc)[:500], in_doubt=False)
        stats.failed += 1
    except TemporaryError as exc:
        outcome = _record_temporary(message, token, exc)
        stats.failed += outcome == "failed"
        stats.retried += outcome == "retried"
    except Exception as exc:
        # A provider's own bug must not stop the worker: the message is retried like a temporary failure, and
        # in doubt (we cannot tell how far it got).
        logger.exception("Provider %s failed on outbox message %s", message.account, message.pk)
        outcome = _record_temporary(message, token, OutcomeUnknown(f"{type(exc).__name__}: {exc}"))
        stats.failed += outcome == "failed"
        stats.retried += outcome == "retried"
    else:
        _record_sent(message, token, result)
        stats.sent += 1


def _send_claimed(account: ChannelAccount, token: str, messages: list[OutboundMessage], stats: SendStats) -> None:
    provider = _provider(account)
    refused = opted_out(account.channel, {m.customer_id for m in messages if m.customer_id})
    quiet = quiet_until(account)
    margin = dt.timedelta(seconds=2 * provider_timeout())
    for message in messages:
        # Consent may have been withdrawn since the message was queued (a campaign queued yesterday).
        if message.customer_id in refused:
            _finish(message, token, status=MessageStatus.SKIPPED, error=f"{Skip.OPTED_OUT}:{message.channel}")
            stats.skipped += 1
            continue
        if quiet is not None and not message.transactional:
            _release(message, token, at=quiet)
            stats.released += 1
            continue
        if message.lease_until is None or timezone.now() + margin > message.lease_until:
            # Not enough lease left to be sure the send ends before another worker may take the message.
            _release(message, token)
            stats.released += 1
            continue
        _send_one(provider, message, token, stats)


def sendable_accounts() -> list[ChannelAccount]:
    return [
        account
        for account in ChannelAccount.objects.filter(is_active=True, channel__in=SENDABLE).order_by("id")
        if _has_provider(account)
    ]


def _has_provider(account: ChannelAccount) -> bool:
    try:
        provider_class(account.channel, account.provider)
    except (LookupError, ImportError):
        return False
    return True


def send_due(*, batch: int = 100, accounts: list[ChannelAccount] | None = None) -> SendStats:
    """One pass of a worker: for each active account, claim up to `batch` due messages (fewer if its rate limit
    says so) and send them. Returns what happened; safe to run in any number of processes at once."""
    stats = SendStats()
    for account in accounts if accounts is not None else sendable_accounts():
        permits = take_permits(account, batch)
        if permits <= 0:
            continue
        token, messages = claim(account, limit=permits)
        give_back_permits(account, permits - len(messages))
        if messages:
            _send_claimed(account, token, messages, stats)
    return stats


def deliver_now(message: OutboundMessage) -> OutboundMessage:
    """Send one message at once in this process (a "send test" button, a test): claimed and sent the same way
    a worker does, its outcome recorded on the message. A message that is not queued (sent, skipped, taken by
    a worker) is returned as it is."""
    account = message.account or default_account(message.channel)
    if account is None:
        OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.FAILED, error="no_account"
        )
        message.refresh_from_db()
        return message
    now = timezone.now()
    token = uuid.uuid4().hex
    taken = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING,
        lease_token=token,
        lease_until=now + dt.timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
        account=account,
        updated_at=now,
    )
    if taken:
        claimed = OutboundMessage.objects.select_related("account").get(pk=message.pk)
        stats = SendStats()
        if claimed.customer_id and claimed.customer_id in opted_out(account.channel, [claimed.customer_id]):
            _finish(claimed, token, status=MessageStatus.SKIPPED, error=f"{Skip.OPTED_OUT}:{claimed.channel}")
        else:
            _send_one(_provider(account), claimed, token, stats)
    message.refresh_from_db()
    return message


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
