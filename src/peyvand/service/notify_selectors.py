"""Reads of what customers were told: a ticket's notifications, for its page and the tickets API."""

from __future__ import annotations

from django.db.models import F, QuerySet

from peyvand.service.models import CustomerNotification, Ticket

__all__ = ["notifications_of"]


def notifications_of(ticket: Ticket) -> QuerySet[CustomerNotification]:
    """The ticket's notifications, newest first. The caller has checked that the user may see the ticket.

    A notice sent through the outbox is "queued" on its own record; `delivery_status` is its message's status
    now (sent, delivered, failed …), None for a notice sent directly."""
    return (
        CustomerNotification.objects.filter(ticket=ticket)
        .annotate(delivery_status=F("message__status"))
        .order_by("-id")
    )
