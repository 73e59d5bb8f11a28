"""Template tags of tickets for other apps' pages: the customer's latest tickets on the 360° page."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.service.ticket_selectors import customer_tickets as latest_tickets

register = template.Library()


@register.inclusion_tag("service/_customer_tickets.html", takes_context=True)
def customer_tickets(context: Any, customer: Any) -> dict[str, Any]:
    """`{% load ticket_tags %}{% customer_tickets customer %}`: the tickets of `customer` the viewer may see."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "customer": customer,
        "customer_tickets": latest_tickets(user=user, customer_id=customer.pk) if user is not None else [],
    }
