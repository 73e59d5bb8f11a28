"""Reads of messenger bots: the chats a user may see, and one chat's conversation in and out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from peyvand.accounts.models import User
from peyvand.comms.bots.models import BotChat
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, OutboundMessage
from peyvand.customers.selectors import customers_visible_to

__all__ = ["ChatEntry", "bot_accounts", "chat_get", "chat_thread", "chats_visible_to"]


def chats_visible_to(user: User | Any) -> QuerySet[BotChat]:
    """Chats linked to a customer the user can see; chats linked to nobody yet only for administrators and
    managers (who sort them out)."""
    scope = Q(customer__in=customers_visible_to(user))
    if getattr(user, "is_admin_role", False) or getattr(user, "is_manager_role", False):
        scope |= Q(customer__isnull=True)
    return BotChat.objects.filter(scope).select_related("account", "customer", "ticket")


def chat_get(*, user: User, pk: int) -> BotChat:
    """One visible chat, or BotChat.DoesNotExist whether it is missing or out of the user's reach."""
    return chats_visible_to(user).get(pk=pk)


@dataclass(frozen=True)
class ChatEntry:
    inbound: bool
    text: str
    at: dt.datetime
    status: str
    status_label: str
    author: str


def chat_thread(chat: BotChat, *, limit: int = 200) -> list[ChatEntry]:
    """The newest `limit` messages of the chat both ways, oldest first."""
    ins = InboundMessage.objects.filter(account=chat.account_id, sender=chat.chat_id).order_by("-received_at")[:limit]
    outs = (
        OutboundMessage.objects.filter(account=chat.account_id, channel=Channel.MESSENGER, to=chat.chat_id)
        .select_related("created_by")
        .order_by("-id")[:limit]
    )
    entries = [ChatEntry(True, m.body, m.received_at, m.status, m.get_status_display(), str(chat)) for m in ins] + [
        ChatEntry(
            False,
            m.body,
            m.sent_at or m.created_at,
            m.status,
            m.get_status_display(),
            (m.created_by.get_full_name() or m.created_by.username) if m.created_by else "",
        )
        for m in outs
    ]
    entries.sort(key=lambda e: e.at)
    return entries[-limit:]


def bot_accounts() -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.filter(channel=Channel.MESSENGER, is_active=True).order_by("-is_default", "name")
