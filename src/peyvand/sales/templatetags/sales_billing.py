"""Template helpers for the order and invoice pages and the customer 360° page's value and documents sections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from peyvand.sales import billing_selectors
from peyvand.sales.models import Invoice, InvoiceStatus
from peyvand.sales.services.customer_value import customer_value

register = template.Library()

STATUS_CLASSES = {
    "confirmed": "primary",
    "fulfilled": "success",
    "cancelled": "secondary",
    "issued": "primary",
    "partially_paid": "warning",
    "paid": "success",
    "pending": "warning",
    "cleared": "success",
    "bounced": "danger",
}


@register.filter
def status_class(status: str) -> str:
    """Bootstrap colour of an order's, invoice's or cheque's status."""
    return STATUS_CLASSES.get(str(status), "secondary")


@register.filter
def plain_number(value: Any) -> str:
    """A quantity or a percentage without trailing zeros: 2.000 → 2, 1.500 → 1.5 (never 1E+2)."""
    if value is None or value == "":
        return ""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def invoice_overdue(invoice: Invoice) -> bool:
    """Open (not paid, not cancelled) and past its due date, today in the site's time zone."""
    return invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID) and (
        invoice.due_date < timezone.localdate()
    )


@register.simple_tag(takes_context=True)
def customer_value_figures(context: template.Context, customer: Any) -> dict[str, Any]:
    """The customer's value read live from their orders (one query), and their stored rank. The 360° page only
    shows a customer the user can see, so the figures are the customer's whole purchase record."""
    return {
        "figures": customer_value(customer_id=customer.pk),
        "rank": billing_selectors.customer_rank(customer_id=customer.pk),
    }


@register.simple_tag(takes_context=True)
def customer_documents(context: template.Context, customer: Any) -> dict[str, Any]:
    """The customer's latest orders and invoices that the user can see."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"orders": [], "invoices": []}
    orders, invoices = billing_selectors.customer_documents(user=user, customer_id=customer.pk)
    return {"orders": orders, "invoices": invoices}
