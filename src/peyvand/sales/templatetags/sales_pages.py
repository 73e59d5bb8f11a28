"""Template helpers for the sales pages."""

from __future__ import annotations

from django import template
from django.db.models import Count, F, Sum
from django.urls import ResolverMatch
from django.utils import timezone

from peyvand.sales.models import Deal
from peyvand.sales.selectors import deals_visible_to

register = template.Library()


@register.filter
def is_overdue(deal: Deal) -> bool:
    """An open deal whose next step was due before now."""
    due = getattr(deal, "next_step_due_at", None)
    return bool(due and getattr(deal, "closed_at", None) is None and due < timezone.now())


@register.filter
def outcome_class(outcome: str) -> str:
    """Bootstrap colour for a stage's outcome."""
    return {"won": "success", "lost": "danger"}.get(str(outcome), "primary")


# Which entry of the sales menu a page belongs to, by the start of its URL name.
_MENU_AREAS = (
    ("lead", "leads"),
    ("quote", "quotes"),
    ("order", "orders"),
    ("invoice", "invoices"),
    ("payment", "invoices"),
    ("customer_ranking", "ranking"),
    ("contract", "contracts"),
    ("target", "targets"),
    ("forecast", "forecast"),
    ("product", "products"),
    ("agenda", "agenda"),
    ("activit", "agenda"),
    ("calendar", "calendar"),
    ("notification", "notifications"),
    ("deal", "deals"),
    ("board", "deals"),
)


@register.filter
def sales_menu_area(match: ResolverMatch | None) -> str:
    """The sales menu entry to mark as current for the page being shown ("" outside sales)."""
    if match is None or match.namespace != "sales":
        return ""
    name = match.url_name or ""
    return next((area for prefix, area in _MENU_AREAS if name.startswith(prefix)), "")


CUSTOMER_DEALS_SHOWN = 8


@register.simple_tag(takes_context=True)
def customer_deals(context: template.Context, customer: object) -> dict[str, object]:
    """The customer's deals on the 360° page, in the reader's scope: open ones first (soonest expected close),
    then the latest closed; with the count and sum of the open ones."""
    request = context.get("request")
    user = getattr(request, "user", None)
    pk = getattr(customer, "pk", None)
    if user is None or not getattr(user, "is_authenticated", False) or pk is None:
        return {"deals": [], "open_count": 0, "open_amount": 0}
    deals = deals_visible_to(user).filter(customer_id=pk)
    totals = deals.filter(closed_at__isnull=True).aggregate(count=Count("id"), amount=Sum("amount"))
    shown = list(
        deals.select_related("stage").order_by(
            F("closed_at").desc(nulls_first=True), F("expected_close_date").asc(nulls_last=True), "-id"
        )[:CUSTOMER_DEALS_SHOWN]
    )
    return {"deals": shown, "open_count": totals["count"] or 0, "open_amount": totals["amount"] or 0}
