"""Template helpers for the quote pages and the customer's 360° page section."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from peyvand.core.http import current_user
from peyvand.sales.quote_selectors import customer_latest_quotes
from peyvand.sales.services.quotes import quote_is_expired

register = template.Library()

# How many of the customer's quotes their 360° page lists; the rest are a link away.
CUSTOMER_QUOTES_SHOWN = 5


@register.simple_tag(takes_context=True)
def customer_quotes(context: template.Context, customer: Any) -> list[Any]:
    """The customer's newest quotes (latest revisions) that the page's user may see."""
    request = context.get("request")
    if request is None or customer is None or not getattr(request.user, "is_authenticated", False):
        return []
    return customer_latest_quotes(user=current_user(request), customer_id=customer.pk, limit=CUSTOMER_QUOTES_SHOWN)


@register.filter
def decimal_text(value: Any) -> str:
    """A quantity or a percentage without trailing zeros: 2.000 → 2, 1.500 → 1.5."""
    if value is None or value == "":
        return ""
    try:
        text = format(Decimal(str(value)), "f")
    except (InvalidOperation, ValueError):
        return str(value)
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


@register.filter
def quote_expired(quote: Any) -> bool:
    return quote_is_expired(quote)


@register.filter
def quote_status_class(quote: Any) -> str:
    """Bootstrap colour for a quote's status badge (a lapsed one shows as expired)."""
    if quote_is_expired(quote):
        return "warning"
    return {
        "draft": "secondary",
        "sent": "primary",
        "accepted": "success",
        "rejected": "danger",
        "superseded": "light",
    }.get(str(quote.status), "secondary")
