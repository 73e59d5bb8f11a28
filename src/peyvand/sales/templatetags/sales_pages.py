"""Template helpers for the sales pages."""

from __future__ import annotations

from django import template
from django.urls import ResolverMatch
from django.utils import timezone

from peyvand.sales.models import Deal

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
