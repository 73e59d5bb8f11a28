"""Reads of what customers were told: a ticket's notifications, for its page and the tickets API."""

from __future__ import annotations

from django.db.models import QuerySet

from peyvand.service.models import CustomerNotification, Ticket

__all__ = ["notifications_of"]


def notifications_of(ticket: Ticket) -> QuerySet[CustomerNotification]:
    """The ticket's notifications, newest first. The caller has checked that the user may see the ticket."""
    return CustomerNotification.objects.filter(ticket=ticket).order_by("-id")
