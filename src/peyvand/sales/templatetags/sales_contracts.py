"""Template helpers for the contract and target pages: status colours, days to the end, progress widths."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from peyvand.sales.models import Contract

register = template.Library()

STATUS_CLASSES = {
    "draft": "secondary",
    "active": "success",
    "expired": "warning",
    "terminated": "danger",
    "renewed": "info",
}


@register.filter
def contract_status_class(status: str) -> str:
    """Bootstrap colour for a contract's status."""
    return STATUS_CLASSES.get(str(status), "secondary")


@register.filter
def days_left(end: dt.date | None) -> int | None:
    """Days from today (in the site's zone) to `end`; negative once it has passed."""
    if end is None:
        return None
    return (end - timezone.localdate()).days


@register.filter
def ending_soon(contract: object) -> bool:
    """An active contract whose end is within its renewal notice: time to talk renewal."""
    end = getattr(contract, "end_date", None)
    if getattr(contract, "status", "") != "active" or end is None:
        return False
    days = int((end - timezone.localdate()).days)
    notice = int(getattr(contract, "renewal_notice_days", 0) or 0)
    return 0 <= days <= notice


@register.filter
def bar_width(percent: object) -> int:
    """A percentage as a progress bar's width: 0 to 100, however far past the target."""
    try:
        value = int(str(percent))
    except (TypeError, ValueError):
        return 0
    return max(0, min(value, 100))


@register.filter
def pace_class(progress: object) -> str:
    """Green when ahead of a steady pace, amber when behind it."""
    achieved = int(getattr(progress, "achieved", 0) or 0)
    expected = int(getattr(progress, "expected_by_now", 0) or 0)
    return "success" if achieved >= expected else "warning"


@register.simple_tag(takes_context=True)
def customer_contracts(context: template.Context, customer: object) -> list[Contract]:
    """The contracts of the customer on the 360° page, in the user's scope."""
    from peyvand.sales.contract_selectors import customer_contracts as read

    request = context.get("request")
    user = getattr(request, "user", None)
    pk = getattr(customer, "pk", None)
    if user is None or not getattr(user, "is_authenticated", False) or pk is None:
        return []
    return read(user=user, customer_id=int(pk))


@register.filter
def money_input(rial: object) -> str:
    """An amount in Rials as typed in a form, in the site's unit (ASCII digits, as the date inputs)."""
    from peyvand.sales.forms import _money_text

    if rial is None or rial == "":
        return ""
    return _money_text(int(str(rial)))
