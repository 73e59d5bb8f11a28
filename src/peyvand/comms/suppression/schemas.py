"""Request and response shapes of the suppression list API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Clean, Strict

SuppressibleChannel = Literal["email", "sms"]
ReasonName = Literal["opt_out_sms", "unsubscribed", "hard_bounce", "complaint", "manual"]


class SuppressionOut(Schema):
    id: int
    channel: str
    address: str = Field(description="E.164 for a phone, lower-case for an e-mail address")
    reason: str = Field(
        description="opt_out_sms, unsubscribed (holds back marketing only), hard_bounce, complaint, manual"
    )
    source: str
    created_by_id: int | None
    created_at: dt.datetime


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionFiltersIn(Clean):
    q: str | None = Field(None, max_length=255, description="part of the address or the source")
    channel: SuppressibleChannel | None = None
    reason: ReasonName | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class SuppressionsIn(Strict):
    channel: SuppressibleChannel
    addresses: list[Annotated[str, Field(max_length=255)]] = Field(min_length=1, max_length=10_000)
    reason: ReasonName = "manual"
    source: str = Field("", max_length=255)


class SuppressionsAdded(Schema):
    added: list[SuppressionOut]
    already: int = Field(description="how many of the addresses were on the list before (left as they were)")
