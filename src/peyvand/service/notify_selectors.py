"""Reads of what customers were told: a ticket's notifications, for its page and the tickets API, each with
its status now (a notice handed to the outbox is read through its message, not a copy that could drift)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from peyvand.comms.models import MessageStatus
from peyvand.service.models import CustomerNotification, NotificationStatus, Ticket

__all__ = ["NoticeStatus", "notice_status", "notifications_of"]


def notifications_of(ticket: Ticket) -> QuerySet[CustomerNotification]:
    """The ticket's notifications, newest first, each with its outbox message (one query for all: see
    notice_status). The caller has checked that the user may see the ticket."""
    return CustomerNotification.objects.filter(ticket=ticket).select_related("message").order_by("-id")


@dataclass(frozen=True)
class NoticeStatus:
    # queued, sending, sent, delivered, failed, skipped or cancelled (the outbox's words for a notice it
    # carries; a notice sent directly is sent, failed or skipped).
    status: str
    label: str
    error: str
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    attempts: int


def notice_status(record: CustomerNotification) -> NoticeStatus:
    """What became of a notice so far. A notice carried by the outbox is "queued" on its own record for good:
    its message says where it is now (sent, delivered, failed after retries, skipped because the address was
    suppressed after it was queued). Read `record.message` through notifications_of() to spare a query."""
    message = record.message if record.message_id else None
    if message is None:
        return NoticeStatus(
            status=record.status,
            label=str(NotificationStatus(record.status).label) if record.status in NotificationStatus.values else "",
            error=record.error,
            sent_at=record.sent_at,
            delivered_at=None,
            attempts=0,
        )
    return NoticeStatus(
        status=message.status,
        label=str(MessageStatus(message.status).label) if message.status in MessageStatus.values else "",
        error=message.error,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
        attempts=message.attempts,
    )
