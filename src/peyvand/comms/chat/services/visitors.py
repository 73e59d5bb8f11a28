"""A visitor's side of a chat: their conversation opened, identified and written to, within the flood limits."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.chat.models import (
    ChatMessage,
    ChatSession,
    ChatStatus,
    ChatWidget,
)
from peyvand.comms.chat.services.widgets import address_rate_limit, max_message_length, rate_limit
from peyvand.core.counting import window_hit
from peyvand.core.phone import try_normalize_phone
from peyvand.customers.models import Customer, CustomerEmail, CustomerPhone
from peyvand.sales.services._common import Errors, clean_line

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# --- visitors ------------------------------------------------------------------------------------------------


def valid_visitor_id(value: object) -> bool:
    return isinstance(value, str) and bool(_VISITOR_ID.match(value))


def match_customer(*, email: str, phone: str) -> Customer | None:
    """The customer a visitor's e-mail or phone belongs to (e-mail first), if exactly one live customer has it."""
    if email:
        ids = set(
            CustomerEmail.objects.filter(email=email, customer__deleted_at__isnull=True).values_list(
                "customer_id", flat=True
            )[:2]
        )
        if len(ids) == 1:
            return Customer.objects.get(pk=ids.pop())
    if phone:
        ids = set(
            CustomerPhone.objects.filter(number=phone, customer__deleted_at__isnull=True).values_list(
                "customer_id", flat=True
            )[:2]
        )
        if len(ids) == 1:
            return Customer.objects.get(pk=ids.pop())
    return None


def clean_identity(data: Mapping[str, Any], errors: Errors) -> dict[str, str]:
    name = clean_line(data.get("name") or "", model=ChatSession, field="name", errors=errors)
    email = str(data.get("email") or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("email", _("Enter a valid e-mail address."))
            email = ""
    raw_phone = str(data.get("phone") or "").strip()
    phone = try_normalize_phone(raw_phone) if raw_phone else ""
    if raw_phone and not phone:
        errors.add("phone", _("Enter a valid phone number."))
    return {"name": name, "email": email, "phone": phone or ""}


def session_find(*, widget: ChatWidget, visitor_id: str) -> ChatSession | None:
    """The visitor's open conversation on this widget, if there is one."""
    return (
        ChatSession.objects.filter(widget=widget, visitor_id=visitor_id)
        .exclude(status=ChatStatus.CLOSED)
        .order_by("-id")
        .first()
    )


@transaction.atomic
def session_open(
    *,
    widget: ChatWidget,
    visitor_id: str,
    identity: Mapping[str, Any] | None = None,
    origin_page: str = "",
    ip_address: str | None = None,
    language: str = "fa",
) -> ChatSession:
    """The visitor's open conversation, or a new one waiting for an agent. Identity (name, e-mail, phone) is
    optional: given, it is checked and matched to a customer; left out, the visitor stays anonymous."""
    if not valid_visitor_id(visitor_id):
        raise ValidationError({"visitor": [_("The visitor id is not valid.")]})
    session = session_find(widget=widget, visitor_id=visitor_id)
    if session is not None:
        if identity:
            session_identify(session=session, identity=identity)
        return session
    errors = Errors()
    values = clean_identity(identity or {}, errors)
    errors.raise_if_any()
    now = timezone.now()
    return ChatSession.objects.create(
        widget=widget,
        visitor_id=visitor_id,
        team=widget.team,
        started_at=now,
        origin_page=str(origin_page or "")[:500],
        ip_address=ip_address,
        language=language if language in ("fa", "en") else "fa",
        customer=match_customer(email=values["email"], phone=values["phone"]),
        **values,
    )


@transaction.atomic
def session_identify(*, session: ChatSession, identity: Mapping[str, Any]) -> ChatSession:
    """The visitor said who they are: kept (what they leave empty stays as it was) and matched to a customer."""
    errors = Errors()
    values = clean_identity(identity, errors)
    errors.raise_if_any()
    changed = [key for key, value in values.items() if value and value != getattr(session, key)]
    for key in changed:
        setattr(session, key, values[key])
    if changed and session.customer_id is None:
        session.customer = match_customer(email=session.email, phone=session.phone)
        changed.append("customer")
    if changed:
        session.save(update_fields=[*changed, "updated_at"])
    return session


def clean_message_text(value: object) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    errors = Errors()
    if not text:
        errors.add("text", _("Write a message."))
    elif len(text) > max_message_length():
        errors.add("text", _("This is too long: at most %(limit)d characters.") % {"limit": max_message_length()})
    errors.raise_if_any()
    return text


def message_post(
    *, session: ChatSession, author: str, text: object, client_id: str = "", agent: User | None = None
) -> tuple[ChatMessage, bool]:
    """Add a line to an open conversation: (the message, whether it is new). A `client_id` already stored for
    this conversation answers the stored message, so a message resent after a reconnect is written once."""
    client_id = str(client_id or "")[:64]
    if client_id:
        existing = ChatMessage.objects.filter(session=session, client_id=client_id).first()
        if existing is not None:
            return existing, False
    cleaned = clean_message_text(text)
    if session.status == ChatStatus.CLOSED:
        raise ValidationError({"session": [_("This chat is closed.")]})
    now = timezone.now()
    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(
                session=session, author=author, agent=agent, text=cleaned, client_id=client_id
            )
            ChatSession.objects.filter(pk=session.pk).update(last_message_at=now)
    except IntegrityError:
        # The same message arrived twice at once (two sockets of one visitor): the first one is the message.
        return ChatMessage.objects.get(session=session, client_id=client_id), False
    session.last_message_at = now
    return message, True


def rate_allowed(*, visitor: str, address: str | None) -> bool:
    """Count one message against the visitor and their address in the current window; False when either is
    over its limit. Fixed windows in the site's cache (counting.window_hit): cheap, close enough for a flood
    guard, and shared by every process when the cache is (Redis), so the limit holds across web servers."""
    limit, seconds = rate_limit()
    window = int(time.time() // max(seconds, 1))
    allowed = True
    keys = [(f"v:{visitor}", limit)]
    if address:
        keys.append((f"ip:{address}", address_rate_limit()))
    for key, limit in keys:
        # Both counters take the hit even when the first is over: a visitor flooding is also their address.
        if window_hit(f"chat-rate:{key}:{window}", timeout=seconds * 2) > limit:
            allowed = False
    return allowed
