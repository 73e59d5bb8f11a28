"""Reads of messenger bots: the chats a user may see, one chat's conversation in and out (with the files each
message carried), and a bot's messages that were kept without being handled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from peyvand.accounts.models import User
from peyvand.comms.bots.models import BotChat, FileStatus, IncomingFile, OutgoingFile
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus, OutboundMessage
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "ChatEntry",
    "ChatFile",
    "bot_accounts",
    "bot_files_not_fetched",
    "bot_ignored_messages",
    "chat_file_get",
    "chat_get",
    "chat_thread",
    "chats_visible_to",
]


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
class ChatFile:
    """A file of a message in the thread: `url` to read it (empty while it is not fetched, or was left out)."""

    name: str
    size: int
    status: str
    status_label: str
    error: str
    url: str


@dataclass(frozen=True)
class ChatEntry:
    inbound: bool
    text: str
    at: dt.datetime
    status: str
    status_label: str
    author: str
    edited: bool = False
    # Why an incoming message was kept without being handled (`group_chat`), or what went wrong.
    error: str = ""
    files: list[ChatFile] = field(default_factory=list)


def _in_files(chat: BotChat, message: InboundMessage) -> list[ChatFile]:
    out = []
    for row in message.bot_files.all():
        attachment = row.attachment
        url = (
            reverse("comms:bots:chat_file", kwargs={"pk": chat.pk, "direction": "in", "file_id": row.pk})
            if row.status == FileStatus.FETCHED and attachment is not None
            else ""
        )
        size = attachment.size if attachment is not None else row.declared_size
        out.append(ChatFile(row.name, size, row.status, row.get_status_display(), row.error, url))
    return out


def _out_files(chat: BotChat, message: OutboundMessage) -> list[ChatFile]:
    return [
        ChatFile(
            row.name,
            row.size,
            "",
            "",
            "",
            reverse("comms:bots:chat_file", kwargs={"pk": chat.pk, "direction": "out", "file_id": row.pk}),
        )
        for row in message.bot_files.all()
    ]


def chat_thread(chat: BotChat, *, limit: int = 200) -> list[ChatEntry]:
    """The newest `limit` messages of the chat both ways, oldest first."""
    ins = (
        InboundMessage.objects.filter(account=chat.account_id, sender=chat.chat_id)
        .prefetch_related("bot_files__attachment")
        .order_by("-received_at")[:limit]
    )
    outs = (
        OutboundMessage.objects.filter(account=chat.account_id, channel=Channel.MESSENGER, to=chat.chat_id)
        .select_related("created_by")
        .prefetch_related("bot_files")
        .order_by("-id")[:limit]
    )
    entries = [
        ChatEntry(
            True,
            m.body,
            m.received_at,
            m.status,
            m.get_status_display(),
            str(chat),
            edited=bool((m.raw or {}).get("edits")),
            error=m.error if m.status in (InboundStatus.IGNORED, InboundStatus.FAILED) else "",
            files=_in_files(chat, m),
        )
        for m in ins
    ] + [
        ChatEntry(
            False,
            m.body if not m.bot_files.all() or m.bot_files.all()[0].caption else "",
            m.sent_at or m.created_at,
            m.status,
            m.get_status_display(),
            (m.created_by.get_full_name() or m.created_by.username) if m.created_by else "",
            files=_out_files(chat, m),
        )
        for m in outs
    ]
    entries.sort(key=lambda e: e.at)
    return entries[-limit:]


def chat_file_get(*, user: User, pk: int, direction: str, file_id: int) -> tuple[str, str, Any]:
    """(name, content type, stored file) of a file in a chat the user can see; DoesNotExist otherwise (a chat
    out of reach, a file of another chat, one not fetched)."""
    if direction not in ("in", "out"):
        raise OutgoingFile.DoesNotExist
    chat = chat_get(user=user, pk=pk)
    if direction == "in":
        row = IncomingFile.objects.select_related("attachment").get(
            pk=file_id,
            message__account=chat.account_id,
            message__sender=chat.chat_id,
            status=FileStatus.FETCHED,
            attachment__isnull=False,
        )
        assert row.attachment is not None
        return row.name, row.content_type, row.attachment.file
    sent = OutgoingFile.objects.get(pk=file_id, message__account=chat.account_id, message__to=chat.chat_id)
    return sent.name, sent.content_type, sent.file


def bot_ignored_messages(account: ChannelAccount, *, limit: int = 50) -> QuerySet[InboundMessage]:
    """The bot's updates kept without being handled (group talk, updates that are not messages), newest first."""
    return InboundMessage.objects.filter(account=account, status=InboundStatus.IGNORED).order_by("-received_at", "-id")[
        :limit
    ]


def bot_files_not_fetched(account: ChannelAccount, *, limit: int = 50) -> QuerySet[IncomingFile]:
    """The bot's files that are waiting, left out or failed, newest first."""
    return (
        IncomingFile.objects.filter(message__account=account)
        .exclude(status=FileStatus.FETCHED)
        .select_related("message")
        .order_by("-id")[:limit]
    )


def bot_accounts() -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.filter(channel=Channel.MESSENGER, is_active=True).order_by("-is_default", "name")
