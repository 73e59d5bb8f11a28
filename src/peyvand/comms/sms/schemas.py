"""Request and response shapes of the SMS API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

# A database id: larger numbers cannot be one (and SQLite cannot even compare them).
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class SegmentsIn(Schema):
    text: str = Field(max_length=5000)
    recipients: int = Field(default=1, ge=1, le=10_000_000)
    account_id: DbId | None = None


class SegmentsOut(Schema):
    encoding: str = Field(description="gsm7 (160/153 characters a part) or ucs2 (70/67: Persian)")
    characters: int
    segments: int
    per_segment: int
    remaining: int
    recipients: int
    price_per_segment: int | None = Field(description="Rial, from the account's settings")
    cost: int | None = Field(description="Rial: parts × recipients × price, when the account has a price")


class SmsSendIn(Schema):
    text: str = Field(max_length=2000, description="May use {name}, {first_name}, {last_name}, {today}, …")
    customer_ids: list[DbId] = Field(default_factory=list, max_length=100)
    numbers: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=100, description="Managers and admins only"
    )
    account_id: DbId | None = None
    idempotency_key: str = Field(
        default="",
        max_length=40,
        pattern=r"^[A-Za-z0-9_.:-]*$",
        description="Repeat a request with the same key and nothing new is queued",
    )


class OutboundSmsOut(Schema):
    id: int
    to: str
    customer_id: int | None
    body: str
    status: str
    error: str
    segments: int | None
    idempotency_key: str
    created_at: datetime
