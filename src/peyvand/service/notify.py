"""Telling customers about their tickets: one notify_customer() service that renders a template and sends it by
the customer's preferred channel (e-mail, SMS, console), recording what was sent. OWNED BY THE AUTOMATION WORK:
the interface below is fixed, the body is to be completed."""

from __future__ import annotations

from typing import Any

from peyvand.service.models import CustomerNotification, Ticket

# The templates the service desk sends: received (with its number), assigned, answered, waiting for the
# customer, resolved, and the satisfaction question.
TEMPLATES = (
    "ticket_received",
    "ticket_assigned",
    "ticket_answered",
    "ticket_waiting",
    "ticket_resolved",
    "ticket_satisfaction",
)


def notify_customer(
    *, ticket: Ticket, template: str, extra: dict[str, Any] | None = None
) -> CustomerNotification | None:
    """Send the customer (or the contact of a ticket without one) the message `template` about `ticket`;
    returns the record of it, or None when there is nobody to tell."""
    return None
