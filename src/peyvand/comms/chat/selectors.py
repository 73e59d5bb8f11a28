"""Reads of live chat: the conversations a member of staff may see (their team's, or their teams' for a manager,
every one for an administrator, and any they hold), the console's queue and a widget by its public key."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from peyvand.accounts.models import Team, User
from peyvand.accounts.selectors import teams_visible_to
from peyvand.comms.chat.models import ChatMessage, ChatSession, ChatStatus, ChatWidget
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "chat_queue",
    "chat_scope",
    "chat_session_get",
    "chat_sessions_visible_to",
    "chat_transcript",
    "customer_visible",
    "widget_by_key",
    "widget_list",
]


def chat_scope(user: User | Any) -> Q | None:
    """The conversations `user` may see as one condition; None: none at all."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_admin_role:
        return Q()
    return Q(team__in=teams_visible_to(user)) | Q(agent_id=user.pk)


def chat_sessions_visible_to(user: User | Any) -> QuerySet[ChatSession]:
    scope = chat_scope(user)
    if scope is None:
        return ChatSession.objects.none()
    return ChatSession.objects.filter(scope)


def chat_session_get(*, user: User, pk: int) -> ChatSession:
    """One visible conversation, or ChatSession.DoesNotExist whether it is missing or another team's."""
    return chat_sessions_visible_to(user).select_related("widget", "team", "agent", "customer", "ticket").get(pk=pk)


def chat_queue(*, user: User) -> list[ChatSession]:
    """What the console lists: the open conversations the user may see, the longest waiting first."""
    return list(
        chat_sessions_visible_to(user)
        .filter(status__in=[ChatStatus.WAITING, ChatStatus.ACTIVE])
        .select_related("agent", "customer", "widget", "team")
        .order_by("started_at", "id")[:200]
    )


def chat_recent_closed(*, user: User, limit: int = 20) -> list[ChatSession]:
    """The chats that ended last, for the console's history."""
    return list(
        chat_sessions_visible_to(user)
        .filter(status=ChatStatus.CLOSED)
        .select_related("agent", "widget", "ticket")
        .order_by("-id")[:limit]
    )


def chat_transcript(session: ChatSession, *, limit: int | None = None) -> list[ChatMessage]:
    messages = session.messages.select_related("agent")
    if limit is not None:
        # The newest `limit`, still oldest first.
        return list(messages.order_by("-created_at", "-id")[:limit])[::-1]
    return list(messages.order_by("created_at", "id"))


def customer_visible(*, user: User, customer_id: int | None) -> bool:
    return customer_id is not None and customers_visible_to(user).filter(pk=customer_id).exists()


def widget_by_key(key: str) -> ChatWidget | None:
    """The active widget a script tag or a visitor's socket names, or None."""
    if not key or len(key) > 40:
        return None
    return ChatWidget.objects.select_related("team").filter(public_key=key, is_active=True).first()


def widget_list() -> QuerySet[ChatWidget]:
    return ChatWidget.objects.select_related("team").order_by("name", "id")


def team_ids_visible_to(user: User) -> set[int] | None:
    """The teams whose conversations reach the user's console; None: every team (an administrator)."""
    if user.is_admin_role:
        return None
    return set(teams_visible_to(user).values_list("pk", flat=True))


def teams_for_widget_form() -> QuerySet[Team]:
    return Team.objects.order_by("path")
