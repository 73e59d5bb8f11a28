"""Display-only template filters for the customer pages: channel icons, stage colours, avatar initials."""

from __future__ import annotations

from django import template

register = template.Library()

# Bootstrap Icons names per interaction channel; direction of text does not affect these glyphs.
CHANNEL_ICONS = {
    "call": "telephone",
    "email": "envelope",
    "sms": "chat-left-text",
    "meeting": "people",
    "chat": "chat-dots",
    "messenger": "send",
    "web": "globe",
    "portal": "person-badge",
    "note": "sticky",
    "system": "gear",
    "in_person": "person",
}
STAGE_CLASSES = {
    "prospect": "info",
    "active": "success",
    "key_account": "primary",
    "inactive": "secondary",
    "lost": "danger",
}
STAGE_ICONS = {
    "prospect": "binoculars",
    "active": "person-check",
    "key_account": "star",
    "inactive": "moon",
    "lost": "x-circle",
}


@register.filter
def channel_icon(channel: object) -> str:
    return CHANNEL_ICONS.get(str(channel), "dot")


@register.filter
def stage_class(stage: object) -> str:
    return STAGE_CLASSES.get(str(stage), "secondary")


@register.filter
def stage_icon(stage: object) -> str:
    return STAGE_ICONS.get(str(stage), "circle")


@register.filter
def initials(name: object) -> str:
    """One or two letters for an avatar circle: the first letter of the first two words."""
    words = str(name or "").split()
    # A ZWNJ keeps two Persian letters from joining into what would look like one word.
    return "\u200c".join(w[0] for w in words[:2]) or "?"


@register.filter
def get_item(mapping: object, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def change_labels(changes: object) -> str:
    """The human labels of a revision's changed fields, comma-separated, for the timeline."""
    from peyvand.customers.page_queries import field_label

    if not isinstance(changes, dict):
        return ""
    return "، ".join(field_label(name) for name in changes)
