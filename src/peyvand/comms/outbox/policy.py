"""Whether and when a message may go: the customer's consent for its channel, the suppression list, and quiet
hours for marketing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils import timezone

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.suppression.services import holds_back, suppression_reasons
from peyvand.customers.models import CONSENT_CHANNELS, Consent

__all__ = ["SUPPRESSED", "held_back", "opted_out", "quiet_until", "refused_channel"]

# OutboundMessage.error of a message the suppression list held back (also outbox.Skip.SUPPRESSED).
SUPPRESSED = "suppressed"

# The window in which marketing waits (local time, PEYVAND_TIME_ZONE): "22:00-08:00"; "" turns it off.
DEFAULT_QUIET_HOURS = "22:00-08:00"


def refused_channel(channel: str) -> str | None:
    """The consent channel a message channel is covered by (SMS, e-mail); None for channels without consent
    (a chat or a bot the customer wrote to first)."""
    return channel if channel in {str(c) for c in CONSENT_CHANNELS} else None


def opted_out(channel: str, customer_ids: Iterable[int]) -> set[int]:
    """Of `customer_ids`, those who said no to `channel`: one query for a whole batch."""
    consent_channel = refused_channel(channel)
    ids = [pk for pk in customer_ids if pk is not None]
    if consent_channel is None or not ids:
        return set()
    return set(
        Consent.objects.filter(customer_id__in=ids, channel=consent_channel, granted=False).values_list(
            "customer_id", flat=True
        )
    )


def held_back(channel: str, messages: Sequence[OutboundMessage]) -> dict[int, str]:
    """Of `messages` (all of `channel`), those that may not go now, by id, with the skip code: the customer
    refused the channel ("opted_out:<channel>"), or the address is on the suppression list ("suppressed"; for a
    transactional message only a reason that holds back everything counts). Two queries for a whole batch:
    the worker's last look before sending, since both may have changed after the message was queued."""
    refused = opted_out(channel, {m.customer_id for m in messages if m.customer_id})
    listed = suppression_reasons(channel, {m.to for m in messages if m.to})
    held: dict[int, str] = {}
    for message in messages:
        if message.customer_id is not None and message.customer_id in refused:
            held[message.pk] = f"opted_out:{channel}"
        elif message.to in listed and holds_back(listed[message.to], transactional=message.transactional):
            held[message.pk] = SUPPRESSED
    return held


def _parse_window(text: str) -> tuple[dt.time, dt.time] | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-", 1))
    except ValueError:
        return None
    return (start, end) if start != end else None


def quiet_window(account: ChannelAccount | None) -> tuple[dt.time, dt.time] | None:
    """The account's `quiet_hours` setting if it has one ("off": none), else PEYVAND_QUIET_HOURS ("" there: none)."""
    configured = str((account.config or {}).get("quiet_hours") or "").strip() if account is not None else ""
    if configured.lower() == "off":
        return None
    if not configured:
        # An account left empty on its settings page follows the site.
        configured = str(getattr(settings, "PEYVAND_QUIET_HOURS", DEFAULT_QUIET_HOURS))
    return _parse_window(configured)


def quiet_until(account: ChannelAccount | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None when it is not in them."""
    window = quiet_window(account)
    if window is None:
        return None
    start, end = window
    zone = zoneinfo.ZoneInfo(str(settings.TIME_ZONE))
    local = (now or timezone.now()).astimezone(zone)
    clock = local.time()
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)
