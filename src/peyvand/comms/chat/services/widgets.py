"""Chat widgets: their settings, who may change them, and which sites may open a chat through them; the
limits every conversation keeps."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.comms.chat.models import (
    ChatWidget,
)
from peyvand.sales.services._common import Errors, clean_line

logger = logging.getLogger(__name__)


def max_message_length() -> int:
    return int(getattr(settings, "PEYVAND_CHAT_MAX_MESSAGE", 2000))


def rate_limit() -> tuple[int, int]:
    """(messages, seconds): how many messages one visitor may send in how long."""
    return int(getattr(settings, "PEYVAND_CHAT_RATE", 10)), int(getattr(settings, "PEYVAND_CHAT_RATE_SECONDS", 10))


def address_rate_limit() -> int:
    """How many messages one address may send in the same window: more than one visitor's, since an office
    or a mobile operator puts many visitors behind one address."""
    return int(getattr(settings, "PEYVAND_CHAT_RATE_PER_ADDRESS", 30))


def require_chat_admin(user: User) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators set up chat widgets."))


# --- widgets -------------------------------------------------------------------------------------------------


def clean_origin(value: str) -> str | None:
    """An origin as browsers send it ("https://shop.example.ir", with a port when not the default), or None."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


WIDGET_FIELDS = {"name", "allowed_origins", "greeting_fa", "greeting_en", "team_id", "offline_form", "is_active"}


def _widget_clean(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in data:
        if key not in WIDGET_FIELDS:
            errors.add(key, _("Unknown field."))
    if "name" in data:
        out["name"] = clean_line(data["name"], model=ChatWidget, field="name", errors=errors)
        if not out["name"]:
            errors.add("name", _("This field is required."))
    for key in ("greeting_fa", "greeting_en"):
        if key in data:
            out[key] = clean_line(data[key] or "", model=ChatWidget, field=key, errors=errors)
    if "allowed_origins" in data:
        raw = data["allowed_origins"]
        items = raw.split() if isinstance(raw, str) else list(raw or [])
        origins: list[str] = []
        for item in items:
            origin = clean_origin(str(item))
            if origin is None:
                errors.add(
                    "allowed_origins",
                    _("“%(value)s” is not an origin such as https://shop.example.ir.") % {"value": item},
                )
            elif origin not in origins:
                origins.append(origin)
        out["allowed_origins"] = origins
    if "team_id" in data:
        team = Team.objects.filter(pk=data["team_id"]).first() if str(data["team_id"] or "").isdigit() else None
        if team is None:
            errors.add("team_id", _("Choose the team that answers this widget's chats."))
        out["team"] = team
    for key in ("offline_form", "is_active"):
        if key in data:
            out[key] = bool(data[key])
    return out


@transaction.atomic
def widget_create(*, by: User, data: Mapping[str, Any]) -> ChatWidget:
    require_chat_admin(by)
    errors = Errors()
    values = _widget_clean({"name": "", "team_id": None, **data}, errors)
    errors.raise_if_any()
    return ChatWidget.objects.create(**values)


@transaction.atomic
def widget_update(*, widget: ChatWidget, by: User, data: Mapping[str, Any]) -> ChatWidget:
    require_chat_admin(by)
    errors = Errors()
    values = _widget_clean(data, errors)
    errors.raise_if_any()
    for key, value in values.items():
        setattr(widget, key, value)
    widget.save(update_fields=[*values, "updated_at"])
    return widget


def origin_allowed(widget: ChatWidget, origin: str | None) -> bool:
    """Whether a page of `origin` may open the widget's chat; a socket without an Origin header is refused
    (every browser sends one)."""
    cleaned = clean_origin(origin or "")
    return cleaned is not None and cleaned in (widget.allowed_origins or [])
