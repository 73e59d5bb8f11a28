"""HTTP API of messenger bots under /api/v1/comms/bots/: the chats, one chat's conversation (with its files),
answering into a chat (with a file or without), and a customer's link to a bot. Thin: the bots' selectors and
services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from peyvand.comms.bots import selectors
from peyvand.comms.bots.linking import bot_link_make
from peyvand.comms.bots.replies import bot_conversation_reply
from peyvand.comms.bots.telegram import MAX_TEXT
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.core.http import AuthedRequest
from peyvand.customers.schemas import Strict
from peyvand.customers.selectors import customer_get
from peyvand.sales.schemas import Id

router = Router(tags=["Messenger bots"])


class ChatOut(Schema):
    id: int
    account_id: int
    account_name: str = Field(..., alias="account.name")
    provider: str = Field(..., alias="account.provider")
    chat_id: str
    username: str
    display_name: str
    phone: str
    customer_id: int | None
    linked_at: dt.datetime | None
    ticket_id: int | None
    last_message_at: dt.datetime | None


class ChatFilters(Schema):
    show: Literal["all", "linked", "unlinked"] = "all"
    customer_id: Id | None = None
    limit: int = Field(50, ge=1, le=200)


class ChatFileOut(Schema):
    name: str
    size: int
    status: str = Field(..., description="incoming files: pending, fetched, too_large, skipped or failed")
    error: str
    url: str = Field(..., description="where to read it (the page's download address); empty until fetched")


class ChatEntryOut(Schema):
    inbound: bool
    text: str
    at: dt.datetime
    status: str
    author: str
    edited: bool
    error: str = Field(..., description="why an incoming message was not handled (group_chat), or what failed")
    files: list[ChatFileOut]


class ChatDetailOut(ChatOut):
    messages: list[ChatEntryOut]


class ChatMessageIn(Strict):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT)


class OutboundOut(Schema):
    id: int
    to: str
    body: str
    status: str
    idempotency_key: str
    created_at: dt.datetime


class LinkIn(Strict):
    account_id: Id | None = Field(None, description="the bot; default: the default messenger bot")


class LinkOut(Schema):
    url: str


@router.get("/chats", response=list[ChatOut], summary="Messenger chats you can see, the most recent first")
def chat_list(request: AuthedRequest, filters: Query[ChatFilters]) -> Any:
    chats = selectors.chats_visible_to(request.auth)
    if filters.show == "linked":
        chats = chats.filter(customer__isnull=False)
    elif filters.show == "unlinked":
        chats = chats.filter(customer__isnull=True)
    if filters.customer_id is not None:
        chats = chats.filter(customer_id=filters.customer_id)
    return list(chats[: filters.limit])


@router.get("/chats/{int:chat_id}", response=ChatDetailOut, summary="One chat and its messages both ways")
def chat_get(request: AuthedRequest, chat_id: int) -> Any:
    chat = selectors.chat_get(user=request.auth, pk=chat_id)
    chat.messages = selectors.chat_thread(chat)  # type: ignore[attr-defined]
    return chat


@router.post(
    "/chats/{int:chat_id}/messages",
    response={201: OutboundOut},
    summary="Answer into a chat (on its ticket when you can see it); sent by the outbox",
)
def chat_message(request: AuthedRequest, chat_id: int, payload: ChatMessageIn) -> Any:
    chat = selectors.chat_get(user=request.auth, pk=chat_id)
    return Status(201, bot_conversation_reply(chat=chat, text=payload.text, by=request.auth))


@router.post(
    "/chats/{int:chat_id}/files",
    response={201: OutboundOut},
    summary="Answer into a chat with one file (multipart: file, text as its caption); sent by the outbox",
)
def chat_file_message(request: AuthedRequest, chat_id: int, file: File[UploadedFile], text: Form[str] = "") -> Any:
    chat = selectors.chat_get(user=request.auth, pk=chat_id)
    return Status(201, bot_conversation_reply(chat=chat, text=text, by=request.auth, file=file))


@router.post(
    "/customers/{int:customer_id}/link",
    response=LinkOut,
    summary="A link that opens the bot and links the chat to this customer (valid PEYVAND_BOT_LINK_DAYS days)",
)
def customer_link(request: AuthedRequest, customer_id: int, payload: LinkIn) -> Any:
    customer = customer_get(user=request.auth, pk=customer_id)
    accounts = ChannelAccount.objects.filter(channel=Channel.MESSENGER)
    if payload.account_id is not None:
        account = accounts.get(pk=payload.account_id)
    else:
        found = selectors.bot_accounts().first()
        if found is None:
            raise ValidationError({"account_id": [_("No messenger bot is set up.")]})
        account = found
    return {"url": bot_link_make(account=account, customer=customer, by=request.auth)}
