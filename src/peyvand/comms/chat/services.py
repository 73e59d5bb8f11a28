"""Writes of live chat: widgets, a visitor's conversation (opened, identified, written to), agents taking and
closing chats, the transcript on the customer's timeline and offline messages as tickets."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.comms.chat.models import (
    ChatAgentPresence,
    ChatAuthor,
    ChatMessage,
    ChatSession,
    ChatStatus,
    ChatWidget,
)
from peyvand.comms.chat.selectors import chat_sessions_visible_to, chat_transcript
from peyvand.core.counting import window_hit
from peyvand.core.phone import try_normalize_phone
from peyvand.customers.models import Customer, CustomerEmail, CustomerPhone, Direction, InteractionChannel
from peyvand.customers.services.timeline import interaction_create
from peyvand.sales.services._common import Errors, clean_line
from peyvand.service.models import TicketChannel
from peyvand.service.services.tickets import ticket_create

logger = logging.getLogger(__name__)

# A console that has not been heard from for this long is taken for gone (its socket died without closing).
PRESENCE_TIMEOUT = timedelta(seconds=90)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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


def _clean_identity(data: Mapping[str, Any], errors: Errors) -> dict[str, str]:
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
    values = _clean_identity(identity or {}, errors)
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
    values = _clean_identity(identity, errors)
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


# --- agents --------------------------------------------------------------------------------------------------


def _locked_visible(session: ChatSession, by: User) -> ChatSession:
    # Invisible answers the same as missing.
    return chat_sessions_visible_to(by).select_for_update().get(pk=session.pk)


@transaction.atomic
def session_take(*, session: ChatSession, by: User) -> ChatSession:
    """An agent answers a conversation; one already held by another agent can be taken over by a manager or
    an administrator only."""
    locked = _locked_visible(session, by)
    if locked.status == ChatStatus.CLOSED:
        raise ValidationError({"session": [_("This chat is closed.")]})
    if locked.agent_id not in (None, by.pk) and not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Another agent is answering this chat."))
    if locked.agent_id == by.pk and locked.status == ChatStatus.ACTIVE:
        return locked
    locked.agent = by
    locked.status = ChatStatus.ACTIVE
    locked.save(update_fields=["agent", "status", "updated_at"])
    with translation.override(locked.language):
        text = _("%(name)s joined the chat.") % {"name": by.get_full_name() or by.username}
    message_post(session=locked, author=ChatAuthor.SYSTEM, text=text)
    return locked


def require_answering(session: ChatSession, by: User) -> None:
    """Only the agent holding a conversation writes in it (a manager or administrator takes it over first)."""
    if session.agent_id != by.pk:
        raise PermissionDenied(_("Take this chat before answering it."))


@transaction.atomic
def session_close(*, session: ChatSession, by: User | None) -> ChatSession:
    """End a conversation (an agent, or None: the visitor or the system). An identified visitor's transcript
    goes to their timeline; an anonymous one stays with the conversation."""
    locked = (
        _locked_visible(session, by) if by is not None else ChatSession.objects.select_for_update().get(pk=session.pk)
    )
    if locked.status == ChatStatus.CLOSED:
        return locked
    if by is not None and locked.agent_id not in (None, by.pk) and not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Another agent is answering this chat."))
    now = timezone.now()
    locked.status = ChatStatus.CLOSED
    locked.ended_at = now
    fields = ["status", "ended_at", "updated_at"]
    if locked.customer_id is not None and locked.interaction_id is None:
        locked.interaction = write_transcript(locked, ended_at=now)
        fields.append("interaction")
    locked.save(update_fields=fields)
    return locked


def transcript_text(session: ChatSession) -> str:
    tz = timezone.get_default_timezone()
    lines = []
    for message in chat_transcript(session):
        if message.author == ChatAuthor.VISITOR:
            who = session.name or _("Visitor")
        elif message.author == ChatAuthor.AGENT:
            who = (message.agent.get_full_name() or message.agent.username) if message.agent else _("Agent")
        else:
            who = "—"
        stamp = message.created_at.astimezone(tz).strftime("%H:%M")
        lines.append(f"[{stamp}] {who}: {message.text}")
    return "\n".join(lines)


def write_transcript(session: ChatSession, *, ended_at: Any) -> Any:
    body = transcript_text(session)
    if not body:
        return None
    assert session.customer is not None
    duration = int((ended_at - session.started_at).total_seconds())
    return interaction_create(
        customer=session.customer,
        by=session.agent,
        channel=InteractionChannel.CHAT,
        direction=Direction.INBOUND,
        subject=_("Live chat on %(widget)s") % {"widget": session.widget.name},
        body=body,
        occurred_at=session.started_at,
        duration_seconds=max(duration, 0),
        related=session,
        check_visible=False,
    )


# --- presence and offline messages ---------------------------------------------------------------------------


def presence_join(*, user: User, channel_name: str) -> None:
    ChatAgentPresence.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "seen_at": timezone.now()}
    )


def presence_touch(*, channel_name: str) -> None:
    ChatAgentPresence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, channel_name: str) -> None:
    ChatAgentPresence.objects.filter(channel_name=channel_name).delete()


def agents_online(widget: ChatWidget) -> bool:
    """Whether someone who sees this widget's chats has the console open: a member of its team, a manager of
    a team above it, or an administrator."""
    since = timezone.now() - PRESENCE_TIMEOUT
    users = (
        ChatAgentPresence.objects.filter(seen_at__gte=since, user__is_active=True)
        .select_related("user__team")
        .values_list("user__role", "user__is_superuser", "user__team_id", "user__team__path")
    )
    team = widget.team
    for role, superuser, team_id, path in users:
        if superuser or role == Role.ADMIN or team_id == team.pk:
            return True
        if role == Role.MANAGER and path and team.path.startswith(path):
            return True
    return False


@transaction.atomic
def offline_message(
    *,
    widget: ChatWidget,
    visitor_id: str,
    data: Mapping[str, Any],
    origin_page: str = "",
    ip_address: str | None = None,
    language: str = "fa",
) -> ChatSession:
    """No agent is there: the visitor's message becomes a ticket (channel: live chat) kept with a closed
    conversation. The visitor must leave an e-mail or a phone to be answered."""
    if not widget.offline_form:
        raise ValidationError({"text": [_("This chat takes no messages while nobody is online.")]})
    errors = Errors()
    identity = _clean_identity(data, errors)
    if not identity["email"] and not identity["phone"] and not {"email", "phone"} & set(errors.fields):
        errors.add("email", _("Leave an e-mail address or a phone number so that we can answer you."))
    try:
        text = clean_message_text(data.get("text"))
    except ValidationError as exc:
        text = ""
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.add(field, message)
    if not valid_visitor_id(visitor_id):
        errors.add("visitor", _("The visitor id is not valid."))
    errors.raise_if_any()
    now = timezone.now()
    customer = match_customer(email=identity["email"], phone=identity["phone"])
    session = ChatSession.objects.create(
        widget=widget,
        visitor_id=visitor_id,
        team=widget.team,
        started_at=now,
        ended_at=now,
        status=ChatStatus.CLOSED,
        origin_page=str(origin_page or "")[:500],
        ip_address=ip_address,
        language=language if language in ("fa", "en") else "fa",
        customer=customer,
        **identity,
    )
    ChatMessage.objects.create(session=session, author=ChatAuthor.VISITOR, text=text)
    with translation.override(session.language):
        subject = _("Chat message from %(name)s") % {"name": identity["name"] or identity["email"] or identity["phone"]}
    ticket_data: dict[str, Any] = {
        "subject": subject[:200],
        "description": text,
        "contact_name": identity["name"],
        "contact_email": identity["email"],
        "contact_phone": identity["phone"],
    }
    if customer is not None:
        ticket_data["customer_id"] = customer.pk
    session.ticket = ticket_create(by=None, data=ticket_data, channel=TicketChannel.CHAT)
    session.save(update_fields=["ticket", "updated_at"])
    return session


def stale_presence_clear() -> int:
    """Forget consoles not heard from in a long while (a server that was killed leaves its rows behind)."""
    deleted, _details = ChatAgentPresence.objects.filter(Q(seen_at__lt=timezone.now() - PRESENCE_TIMEOUT * 10)).delete()
    return deleted
