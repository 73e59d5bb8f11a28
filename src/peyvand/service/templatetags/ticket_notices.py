"""The ticket page's list of what the customer was told, each notice with its status now."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.service.notify_selectors import notice_status, notifications_of

register = template.Library()

# Badge colours of the statuses a notice can be in.
STATUS_CSS = {
    "queued": "text-bg-secondary",
    "sending": "text-bg-info",
    "sent": "text-bg-primary",
    "delivered": "text-bg-success",
    "failed": "text-bg-danger",
    "skipped": "text-bg-warning",
    "cancelled": "text-bg-light border",
}


@register.inclusion_tag("service/_ticket_notices.html", takes_context=True)
def ticket_notices(context: Any, ticket: Any) -> dict[str, Any]:
    """`{% load ticket_notices %}{% ticket_notices ticket %}`: the page has checked that the ticket is visible."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = []
    for record in notifications_of(ticket)[:50]:
        state = notice_status(record)
        rows.append(
            {
                "record": record,
                "state": state,
                "css": STATUS_CSS.get(state.status, "text-bg-light"),
                # The outbox page of a message to no customer (a ticket's contact) is the administrators'.
                "link": bool(record.message_id and (record.customer_id or getattr(user, "is_admin_role", False))),
            }
        )
    return {"notices": rows}
