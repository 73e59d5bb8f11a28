"""Agents in a chat: taking and closing it, and its transcript on the customer's timeline."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.comms.chat.models import (
    ChatAuthor,
    ChatSession,
    ChatStatus,
)
from peyvand.comms.chat.selectors import chat_sessions_visible_to, chat_transcript
from peyvand.comms.chat.services.visitors import message_post
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.services.timeline import interaction_create

logger = logging.getLogger(__name__)

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
