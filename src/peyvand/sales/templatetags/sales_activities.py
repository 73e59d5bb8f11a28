"""Template helpers for activities: the notification bell in the top bar, and how activities are shown."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.accounts.models import User
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.sales.activity_selectors import activities_visible_to, unread_count
from peyvand.sales.models import Activity, ActivityStatus

register = template.Library()

# Bootstrap's colours and icons for each kind, on the agenda and the calendar.
KIND_STYLE = {
    "task": ("primary", "bi-check2-square"),
    "call": ("success", "bi-telephone"),
    "meeting": ("warning", "bi-people"),
}
# More than this shows as "99+": the bell is a nudge, not a counter.
BELL_MAX = 99
# How many planned and how many past activities a customer's or deal's panel shows.
PANEL_PLANNED = 10
PANEL_RECENT = 5


@register.simple_tag(takes_context=True)
def notification_bell(context: template.Context) -> SafeString | str:
    """The bell in the top bar: a link to the notifications page with the unread count on it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return ""
    count = unread_count(user)
    label = (
        ngettext("%(count)d unread notification", "%(count)d unread notifications", count) % {"count": count}
        if count
        else _("Notifications")
    )
    shown = f"{BELL_MAX}+" if count > BELL_MAX else str(count)
    if is_persian():
        shown = to_persian_digits(shown)
    badge = (
        format_html(
            '<span class="pv-bell-count position-absolute top-0 start-100 translate-middle badge rounded-pill '
            'text-bg-danger">{}</span>',
            shown,
        )
        if count
        else ""
    )
    return format_html(
        '<a class="btn btn-light position-relative" id="pv-bell" href="{}" title="{}" aria-label="{}">'
        '<i class="bi bi-bell{}" aria-hidden="true"></i>{}</a>',
        reverse("sales:notifications"),
        label,
        label,
        "-fill" if count else "",
        badge,
    )


@register.filter
def kind_colour(kind: str) -> str:
    return KIND_STYLE.get(str(kind), KIND_STYLE["task"])[0]


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_STYLE.get(str(kind), KIND_STYLE["task"])[1]


@register.filter
def activity_overdue(activity: Activity) -> bool:
    """A planned activity whose due time has passed."""
    due = getattr(activity, "due_at", None)
    return bool(due and getattr(activity, "status", None) == ActivityStatus.PLANNED and due < timezone.now())


@register.filter
def clock(value: Any) -> str:
    """The local time of day, 14:05 (Persian digits in Persian)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    text = f"{local.hour:02d}:{local.minute:02d}"
    return to_persian_digits(text) if is_persian() else text


@register.simple_tag(takes_context=True)
def activities_of(context: template.Context, customer: Any = None, deal: Any = None) -> dict[str, Any]:
    """A customer's or a deal's activities that the reader may see: what is planned (soonest first), and the
    latest done or cancelled; for the 360° page and the deal's page (`{% activities_of customer=c as a %}`)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"planned": [], "recent": []}
    visible = activities_visible_to(user).select_related("assigned_to", "deal")
    if customer is not None:
        visible = visible.filter(customer=customer)
    elif deal is not None:
        visible = visible.filter(deal=deal)
    else:
        visible = visible.none()
    return {
        "planned": list(visible.filter(status=ActivityStatus.PLANNED).order_by("due_at", "id")[:PANEL_PLANNED]),
        "recent": list(visible.exclude(status=ActivityStatus.PLANNED).order_by("-due_at", "-id")[:PANEL_RECENT]),
    }
