"""Template helpers for the sales pages."""

from __future__ import annotations

from django import template
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
