"""The outbox's engine: workers claim due messages under a lease and send them through their account's provider
(one by one, or many a request where the provider can) within its rate limit; outbox.outcomes records what
became of each, once. See docs/channels-outbox.md for why a message is sent exactly once."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from peyvand.comms.models import ChannelAccount, MessageStatus, OutboundMessage, SendWindow
from peyvand.comms.outbox.enqueue import SENDABLE, default_account
from peyvand.comms.outbox.outcomes import (
    OutcomeUnknown,
    SendStats,
    _finish,
    _record_sent,
    _release,
    _setting,
    record_delivery,
    record_outcome,
    record_sent_many,
    retry_delay,
)
from peyvand.comms.outbox.policy import held_back, quiet_until
from peyvand.comms.providers import PermanentError, Provider, SendResult, batch_size, provider_class

__all__ = [
    "OutcomeUnknown",
    "SendStats",
    "deliver_now",
    "record_delivery",
    "retry_delay",
    "send_due",
]

logger = logging.getLogger("peyvand.outbox")


def lease_seconds() -> float:
    """PEYVAND_OUTBOX_LEASE_SECONDS (120): how long a worker holds what it claimed."""
    return _setting("PEYVAND_OUTBOX_LEASE_SECONDS", 120)


def provider_timeout() -> float:
    """PEYVAND_OUTBOX_SEND_TIMEOUT (15 s): the longest one provider call may take. A worker starts a send only
    while its lease has at least twice this left, so no lease runs out while its send is in flight."""
    return _setting("PEYVAND_OUTBOX_SEND_TIMEOUT", 15)


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


# --- sending ----------------------------------------------------------------------------------------------------


def _provider(account: ChannelAccount) -> Provider:
    return provider_class(account.channel, account.provider)(account)


def _send_one(provider: Provider, message: OutboundMessage, token: str, stats: SendStats) -> None:
    outcome: SendResult | Exception
    try:
        if message.in_doubt:
            find_sent = getattr(provider, "find_sent", None)
            found = find_sent(message) if callable(find_sent) else None
            if found is not None:
                _record_sent(message, token, found)
                stats.recovered += 1
                return
        outcome = provider.send(message)
    except Exception as exc:
        outcome = exc
    record_outcome(message, token, outcome, stats)


def _send_batch(
    provider: Provider, messages: list[OutboundMessage], token: str, stats: SendStats, margin: dt.timedelta
) -> None:
    """One send_many request for `messages` (none of them in doubt), each outcome recorded as _send_one would.

    The outcomes are written in one transaction (a commit per message would cost more than the request saved):
    a worker killed while writing them leaves the whole chunk "sending", to be looked up in doubt once its
    lease runs out, as if it had been killed during the request."""
    outcomes: list[SendResult | Exception]
    try:
        outcomes = list(provider.send_many(messages))  # type: ignore[attr-defined]
    except PermanentError as exc:
        # Refused as a whole (one bad number can do that at some gateways): nothing went out, so each message
        # is sent on its own and only the one at fault fails.
        logger.info("A batch of %s outbox messages was refused (%s); sending them one by one", len(messages), exc)
        for message in messages:
            if _lease_left(message, token, margin, stats):
                _send_one(provider, message, token, stats)
        return
    except Exception as exc:
        outcomes = [exc] * len(messages)
    if len(outcomes) != len(messages):
        logger.error("Provider %s answered %s entries for %s messages", provider, len(outcomes), len(messages))
        missing = OutcomeUnknown("the provider's answer had no entry for this message")
        outcomes = [*outcomes[: len(messages)], *[missing] * (len(messages) - len(outcomes))]
    sent = [(m, o) for m, o in zip(messages, outcomes, strict=True) if isinstance(o, SendResult)]
    with transaction.atomic():
        record_sent_many(sent, token, stats)
        for message, outcome in zip(messages, outcomes, strict=True):
            if not isinstance(outcome, SendResult):
                record_outcome(message, token, outcome, stats)


def _send_claimed(account: ChannelAccount, token: str, messages: list[OutboundMessage], stats: SendStats) -> None:
    provider = _provider(account)
    held = held_back(account.channel, messages)
    quiet = quiet_until(account)
    margin = dt.timedelta(seconds=2 * provider_timeout())
    size = batch_size(provider)
    pending: list[OutboundMessage] = []

    def flush() -> None:
        # The lease is checked again when a chunk goes: the chunks before it took time.
        ready = [m for m in pending if _lease_left(m, token, margin, stats)]
        pending.clear()
        if len(ready) == 1:
            _send_one(provider, ready[0], token, stats)
        elif ready:
            _send_batch(provider, ready, token, stats, margin)

    for message in messages:
        # Consent may have been withdrawn, or the address suppressed, since the message was queued (a campaign
        # queued yesterday, an address that bounced an hour ago).
        if message.pk in held:
            _finish(message, token, status=MessageStatus.SKIPPED, error=held[message.pk])
            stats.skipped += 1
            continue
        if quiet is not None and not message.transactional:
            _release(message, token, at=quiet)
            stats.released += 1
            continue
        if not size or message.in_doubt:
            # In doubt: asked about first (find_sent), one by one, before it is ever sent again.
            if _lease_left(message, token, margin, stats):
                _send_one(provider, message, token, stats)
            continue
        pending.append(message)
        if len(pending) >= size:
            flush()
    flush()


def _lease_left(message: OutboundMessage, token: str, margin: dt.timedelta, stats: SendStats) -> bool:
    """Whether enough of the lease is left to be sure a send ends before another worker may take the message;
    if not, the message is given back."""
    if message.lease_until is not None and timezone.now() + margin <= message.lease_until:
        return True
    _release(message, token)
    stats.released += 1
    return False


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
        held = held_back(account.channel, [claimed])
        if claimed.pk in held:
            _finish(claimed, token, status=MessageStatus.SKIPPED, error=held[claimed.pk])
        else:
            _send_one(_provider(account), claimed, token, stats)
    message.refresh_from_db()
    return message
