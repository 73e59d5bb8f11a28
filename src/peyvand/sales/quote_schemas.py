"""API shapes for quotes; unknown fields are refused (422). Line rules (quantity above zero, discount up to 100 %,
known products) are the services', which name each problem `lines.<i>.<field>`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import get_language
from ninja import Schema
from pydantic import Field

from peyvand.core.words import number_to_words
from peyvand.customers.schemas import MAX_INT, Clean, Strict
from peyvand.sales.schemas import DateText, Id, Money

QuoteStatusName = Literal["draft", "sent", "accepted", "rejected", "expired", "superseded"]


class QuoteLineIn(Strict):
    product_id: Id | None = Field(None, description="a catalogue item; fills what is not given below")
    description: str | None = Field(None, max_length=255, description="default: the product's name")
    quantity: Decimal | None = Field(None, description="more than zero, up to three decimals; default 1")
    unit: str | None = Field(None, max_length=30, description="default: the product's unit")
    unit_price: Money | None = Field(None, description="whole Rials; default: the product's price")
    discount_percent: Decimal | None = Field(None, description="0 to 100, up to two decimals; default 0")
    vat_applies: bool | None = Field(None, description="default: the product's flag, or true")


class QuoteFields(Strict):
    deal_id: Id | None = Field(None, description="one of the customer's deals")
    title: str | None = Field(None, max_length=200)
    issue_date: DateText | None = Field(None, description="default: today")
    valid_until: DateText | None = None
    notes: str | None = Field(None, max_length=20000, description="notes and technical reasons, printed")
    terms: str | None = Field(None, max_length=20000, description="terms of payment and delivery, printed")
    owner_id: Id | None = Field(None, description="default: you")
    team_id: Id | None = Field(None, description="default: your team")
    lines: list[QuoteLineIn] | None = Field(None, max_length=500, description="replace all the lines")


class QuoteCreate(QuoteFields):
    customer_id: Id
    lines: list[QuoteLineIn] = Field(..., max_length=500)


class QuotePatch(QuoteFields):
    version: int = Field(..., ge=1, le=MAX_INT, description="the version you read; 409 if the quote has moved on")


class QuoteRevise(QuoteFields):
    """What the new revision changes; everything else (the lines too) is taken from the quote revised."""


class QuoteSend(Strict):
    to: str | None = Field(
        None, max_length=254, description="addresses separated by commas; default: the customer's primary e-mail"
    )
    subject: str | None = Field(None, max_length=255)
    message: str | None = Field(None, max_length=20000)


class QuoteReject(Strict):
    reason: str = Field(..., max_length=20000)


class QuoteLineOut(Schema):
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: int
    discount_percent: Decimal
    vat_applies: bool
    gross_amount: int
    discount_amount: int
    net_amount: int
    vat_amount: int


class QuoteBrief(Schema):
    id: int
    number: str
    revision: int
    display_number: str = Field(description="the number, with /revision from the second revision on")
    customer_id: int
    customer_name: str
    deal_id: int | None
    title: str
    status: QuoteStatusName = Field(description="as stored; see is_expired")
    is_expired: bool = Field(description="a draft or sent quote past its validity: it can only be revised")
    issue_date: date
    valid_until: date | None
    currency: str
    net_total: int
    total: int
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)

    @staticmethod
    def resolve_is_expired(obj: Any) -> bool:
        from peyvand.sales.services.quotes import quote_is_expired

        return quote_is_expired(obj)


class QuoteOut(QuoteBrief):
    previous_id: int | None = Field(description="the revision this one replaces")
    next_id: int | None = Field(description="the revision that replaced this one")
    notes: str
    terms: str
    vat_rate_bp: int = Field(description="VAT in hundredths of a percent (1000 = 10 %)")
    gross_total: int
    discount_total: int
    vat_total: int
    total_in_words: str = Field(description="the payable total in words, in the request's language")
    sent_at: datetime | None
    sent_to: str
    decided_at: datetime | None
    rejected_reason: str
    order_id: int | None = Field(description="the order an accepted quote became")
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_next_id(obj: Any) -> int | None:
        from peyvand.sales.models import Quote

        return Quote.objects.filter(previous_id=obj.pk).values_list("pk", flat=True).first()

    @staticmethod
    def resolve_order_id(obj: Any) -> int | None:
        from peyvand.sales.models import Order

        return Order.objects.filter(quote_id=obj.pk).values_list("pk", flat=True).first()

    @staticmethod
    def resolve_total_in_words(obj: Any) -> str:
        return number_to_words(obj.total, get_language() or "fa")

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class QuotePage(Schema):
    items: list[QuoteBrief]
    next_cursor: str | None


class QuoteFilters(Clean):
    customer_id: Id | None = None
    deal_id: Id | None = None
    owner_id: Id | None = None
    status: QuoteStatusName | None = Field(None, description="expired also finds drafts and sent quotes past validity")
    latest: bool = Field(False, description="only the latest revision of each number")
    q: str | None = Field(None, max_length=200, description="part of the number or title")
    order: Literal["newest", "oldest"] = "newest"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)
