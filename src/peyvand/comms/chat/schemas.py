"""API shapes of live chat: conversations and their transcripts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import MAX_INT, Strict

ChatStatusName = Literal["waiting", "active", "closed"]


class ChatFiltersIn(Strict):
    status: ChatStatusName | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_INT)
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class ChatSessionOut(Schema):
    id: int
    widget_id: int
    status: ChatStatusName
    name: str
    email: str
    phone: str = Field(description="E.164")
    customer_id: int | None = Field(description="the customer the visitor was matched to, if visible to you")
    agent_id: int | None
    team_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    last_message_at: dt.datetime | None
    origin_page: str
    interaction_id: int | None = Field(description="the transcript on the customer's timeline")
    ticket_id: int | None = Field(description="the ticket an offline message became")


class ChatMessageOut(Schema):
    id: int
    author: Literal["visitor", "agent", "system"]
    agent_id: int | None
    text: str
    client_id: str
    created_at: dt.datetime


class ChatSessionDetail(ChatSessionOut):
    messages: list[ChatMessageOut]


class ChatSessionPage(Schema):
    items: list[ChatSessionOut]
    next_cursor: str | None
