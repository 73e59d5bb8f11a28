"""API shapes of the channel accounts and the outbox. Secrets go in and never come out: an account says only
which of its secrets are set."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Clean, Strict
from peyvand.sales.schemas import FilterDay, Id

ChannelName = Literal["email", "sms", "messenger", "chat", "call", "web"]
StatusName = Literal["queued", "sending", "sent", "delivered", "failed", "skipped", "cancelled"]
Setting = str | int | float


class AccountFields(Strict):
    name: str | None = Field(None, max_length=100)
    is_active: bool | None = None
    is_default: bool | None = Field(None, description="the account its channel's messages go out by")
    rate_per_minute: int | None = Field(None, ge=1, le=1_000_000, description="empty: no limit of ours")
    config: dict[str, Setting] | None = Field(None, description="the provider's settings, by name")
    secrets: dict[str, Setting | None] | None = Field(
        None, description="the provider's secret settings: text sets one, empty text keeps it, null removes it"
    )


class AccountCreate(AccountFields):
    channel: ChannelName
    provider: str = Field(..., max_length=32, description="a provider of the channel, e.g. kavenegar, smtp")
    name: str = Field(..., max_length=100)


class AccountPatch(AccountFields):
    pass


class ConfigFieldOut(Schema):
    name: str
    label: str
    secret: bool
    required: bool
    choices: list[str]


class AccountOut(Schema):
    id: int
    channel: str
    provider: str
    name: str
    config: dict[str, Any]
    secrets_set: dict[str, bool] = Field(description="each secret setting of the provider: whether it is stored")
    is_active: bool
    is_default: bool
    rate_per_minute: int | None
    inbound_urls: list[dict[str, str]] = Field(
        description="where the provider posts to us ({label, url}); they carry the account's inbound token"
    )
    provider_error: str = Field(description="why the provider's code cannot be loaded now; empty when it can")
    created_at: dt.datetime
    updated_at: dt.datetime


class RotatedOut(Schema):
    id: int
    inbound_urls: list[dict[str, str]]


class SendTestIn(Strict):
    to: str = Field(..., max_length=255, description="a mobile number, an e-mail address or a chat id")
    text: str = Field("", max_length=1000, description="empty: a standard test text")


class MessageOut(Schema):
    id: int
    channel: str
    account_id: int | None
    customer_id: int | None
    to: str
    subject: str
    body: str
    template: str
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    provider_message_id: str
    segments: int | None
    error: str
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    batch: str
    created_by_id: int | None
    related: str | None = Field(description="what it is about, as app.model:id (e.g. service.ticket:42)")
    created_at: dt.datetime

    @staticmethod
    def resolve_related(obj: Any) -> str | None:
        kind = obj.related_type
        return f"{kind.app_label}.{kind.model}:{obj.related_id}" if kind is not None else None


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None
    counts: dict[str, int] = Field(description="per status, for the filters without the status")


class MessageFiltersIn(Clean):
    channel: ChannelName | None = None
    status: StatusName | None = None
    batch: str | None = Field(None, max_length=60)
    customer_id: Id | None = None
    to: str | None = Field(None, max_length=255, description="part of the address")
    created_from: FilterDay | None = Field(None, description="a day in Tehran, ISO (2024-04-03)")
    created_to: FilterDay | None = Field(None, description="a day in Tehran, included")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)
