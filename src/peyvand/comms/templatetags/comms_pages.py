"""Template helpers for the channel pages: which menu entry a page belongs to."""

from __future__ import annotations

from django import template
from django.urls import ResolverMatch

register = template.Library()

# (namespace, start of the URL name) → menu entry; the first match wins, "" matches any name.
_MENU_AREAS = (
    ("comms:chat", "widget", "chat_widgets"),
    ("comms:chat", "canned", "canned_replies"),
    ("comms:chat", "", "chat"),
    ("comms:mail", "mailbox", "mailboxes"),
    ("comms:mail", "poll", "mailboxes"),
    ("comms:mail", "", "mail"),
    ("comms:telephony", "extension", "extensions"),
    ("comms:telephony", "", "calls"),
    ("comms:bots", "webhook", "channel_settings"),
    ("comms:bots", "", "bots"),
    ("comms:sms", "", "sms"),
    ("comms:webforms", "", "webforms"),
    ("comms", "outbox", "outbox"),
    ("comms", "suppression", "suppressions"),
    ("comms", "", "channel_settings"),
)


@register.filter
def comms_menu_area(match: ResolverMatch | None) -> str:
    """The channels menu entry to mark as current for the page being shown ("" outside the channels)."""
    if match is None or not match.namespace.startswith("comms"):
        return ""
    name = match.url_name or ""
    return next(
        (area for space, prefix, area in _MENU_AREAS if match.namespace == space and name.startswith(prefix)), ""
    )
