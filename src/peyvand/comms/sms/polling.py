"""Delivery status by asking: for gateway accounts whose delivery webhook is not set up, the sent messages'
statuses are read from the gateway now and then and recorded like a webhook's reports."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox.engine import record_delivery
from peyvand.comms.providers import PermanentError, TemporaryError, provider_class
from peyvand.comms.sms.models import StatusPollCursor

__all__ = ["PollResult", "accounts_to_poll", "poll_account", "poll_all", "polling_enabled"]

logger = logging.getLogger("peyvand.sms.polling")


def status_hours() -> float:
    """PEYVAND_SMS_STATUS_HOURS (72): a message sent longer ago is no longer asked about (the gateways keep
    statuses for a few days; one not final by then stays "sent")."""
    return float(getattr(settings, "PEYVAND_SMS_STATUS_HOURS", 72))


def status_minutes() -> float:
    """PEYVAND_SMS_STATUS_MINUTES (15): the least time between two questions about the same message."""
    return float(getattr(settings, "PEYVAND_SMS_STATUS_MINUTES", 15))


def per_run() -> int:
    """PEYVAND_SMS_STATUS_PER_RUN (2000): the most messages of one account asked about in one run; a longer
    pass goes on in the next run."""
    return int(getattr(settings, "PEYVAND_SMS_STATUS_PER_RUN", 2000))


# A message is first asked about this long after it was sent: before that the answer is always "in the queue".
FIRST_ASK_AFTER = dt.timedelta(minutes=1)


@dataclass
class PollResult:
    account_id: int
    asked: int = 0
    delivered: int = 0
    undelivered: int = 0
    finished_pass: bool = False
    error: str = ""


def polling_enabled(account: ChannelAccount) -> bool:
    return str((account.config or {}).get("poll_status") or "on") != "off"


def accounts_to_poll() -> list[ChannelAccount]:
    accounts = []
    for account in ChannelAccount.objects.filter(channel=Channel.SMS, is_active=True).order_by("id"):
        try:
            cls = provider_class(account.channel, account.provider)
        except (LookupError, ImportError):
            continue
        if callable(getattr(cls, "poll_delivery", None)) and polling_enabled(account):
            accounts.append(account)
    return accounts


def poll_account(account: ChannelAccount, *, now: dt.datetime | None = None, limit: int | None = None) -> PollResult:
    """One run for one account: ask about up to `limit` of its sent messages, from where the last run stopped,
    in the provider's own batch size; each final status goes through record_delivery (so a status the webhook
    already brought changes nothing). A gateway error ends the run where it is; the next run asks again."""
    now = now or timezone.now()
    limit = per_run() if limit is None else limit
    result = PollResult(account_id=account.pk)
    provider = provider_class(account.channel, account.provider)(account)
    poll = getattr(provider, "poll_delivery", None)
    if not callable(poll) or not polling_enabled(account):
        return result
    cursor, _created = StatusPollCursor.objects.get_or_create(account=account)
    previous_start = cursor.pass_started_at
    if cursor.after_id == 0:
        every = dt.timedelta(minutes=status_minutes())
        if cursor.pass_started_at is not None and now - cursor.pass_started_at < every:
            return result
        cursor.pass_started_at = now
    since = now - dt.timedelta(hours=status_hours())
    rows = list(
        OutboundMessage.objects.filter(
            account=account,
            status=MessageStatus.SENT,
            sent_at__gte=since,
            sent_at__lte=now - FIRST_ASK_AFTER,
            id__gt=cursor.after_id,
        )
        .exclude(provider_message_id="")
        .order_by("id")
        .values_list("id", "provider_message_id")[:limit]
    )
    size = max(1, int(getattr(provider, "poll_batch", 1) or 1))
    cursor.last_error = ""
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        try:
            reports = poll([provider_id for _pk, provider_id in chunk])
        except (TemporaryError, PermanentError) as exc:
            # Not asked this time (a gateway down, a key revoked): the next run starts from this chunk.
            logger.warning("Delivery status of account %s could not be read: %s", account.pk, exc)
            result.error = cursor.last_error = str(exc)[:500]
            if cursor.after_id == 0:
                # Nothing of this pass was asked: it has not started, and the next run need not wait for it.
                cursor.pass_started_at = previous_start
            break
        result.asked += len(chunk)
        for report in reports:
            if report.delivered is None:
                continue
            record_delivery(
                account=account,
                provider_message_id=report.provider_message_id,
                delivered=report.delivered,
                error=report.status,
            )
            if report.delivered:
                result.delivered += 1
            else:
                result.undelivered += 1
        cursor.after_id = chunk[-1][0]
    else:
        if len(rows) < limit:
            # The end of the pass: the next starts from the beginning, once status_minutes() has passed.
            cursor.after_id = 0
            result.finished_pass = True
    cursor.last_run_at = now
    cursor.save()
    return result


def poll_all(*, now: dt.datetime | None = None) -> list[PollResult]:
    results = []
    for account in accounts_to_poll():
        try:
            results.append(poll_account(account, now=now))
        except Exception:
            # One account's broken provider must not keep the others' statuses from being read.
            logger.exception("Delivery status polling failed for account %s", account.pk)
            results.append(PollResult(account_id=account.pk, error="internal error"))
    return results
