"""Template helpers for the service desk's pages: which menu entry a page belongs to."""

from __future__ import annotations

from django import template
from django.urls import ResolverMatch

register = template.Library()

# Which entry of the service menu a page belongs to, by the start of its URL name (the first match wins).
_MENU_AREAS = (
    ("ticket_categor", "categories"),
    ("ticket", "tickets"),
    ("queue", "tickets"),
    ("kb", "kb"),
    ("dashboard", "dashboard"),
    ("staffing", "staffing"),
    ("satisfaction", "satisfaction"),
    ("routing", "routing"),
    ("sla", "sla"),
    ("service_calendar", "calendar"),
    ("service_settings", "calendar"),
    ("holiday", "calendar"),
    ("automation", "automation"),
    ("notification_preview", "automation"),
)


@register.filter
def service_menu_area(match: ResolverMatch | None) -> str:
    """The service menu entry to mark as current for the page being shown ("" outside the service desk)."""
    if match is None or match.namespace != "service":
        return ""
    name = match.url_name or ""
    return next((area for prefix, area in _MENU_AREAS if name.startswith(prefix)), "")
