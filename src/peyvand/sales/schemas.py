"""API shapes for products, pipelines, deals and competitors; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.core.money import MAX_RIAL
from peyvand.customers.schemas import MAX_ID, MAX_INT, Clean, Moment, Strict

# Amounts are whole Rials as JSON integers (never strings or fractions). Negative ones get through to the
# services, which refuse them with a translated message naming the field; the bounds only keep a value
# from overflowing the database's 64-bit column.
Money = Annotated[int, Field(strict=True, ge=-MAX_RIAL, le=MAX_RIAL, description="whole Rials")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
DateText = Annotated[str, Field(max_length=20, description="Jalali (1403/01/15) or ISO (2024-04-03)")]
# A day a list is filtered from or to: far-off years are refused (422) rather than turned into times that do not
# fit the calendar (midnight of 9999-12-31 in Tehran, plus the day a range's end adds, is past what Python holds).
FilterDay = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2199, 12, 31))]


# --- products ---------------------------------------------------------------------------------------------


class ProductFields(Strict):
    sku: str | None = Field(None, max_length=64, description="optional; unique, stored upper-cased")
    kind: Literal["product", "service"] | None = None
    unit: str | None = Field(None, max_length=30, examples=["عدد", "ساعت"])
    unit_price: Money | None = None
    unit_cost: Money | None = None
    vat_applies: bool | None = None
    is_active: bool | None = None
    description: str | None = Field(None, max_length=20000)


class ProductCreate(ProductFields):
    name: str = Field(..., max_length=200)


class ProductPatch(ProductFields):
    name: str | None = Field(None, max_length=200)


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    kind: str
    unit: str
    unit_price: int
    unit_cost: int
    currency: str
    vat_applies: bool
    is_active: bool
    description: str
    created_at: datetime
    updated_at: datetime


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductFilters(Clean):
    q: str | None = Field(None, max_length=200, description="part of the name or SKU")
    kind: Literal["product", "service"] | None = None
    is_active: bool | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


# --- pipelines --------------------------------------------------------------------------------------------


class StageOut(Schema):
    id: int
    code: str = Field(description="stable name of a built-in stage; empty for stages added later")
    name: str = Field(description="in the request's language")
    name_fa: str
    name_en: str
    position: int
    probability: int = Field(description="percent, 0 to 100")
    outcome: Literal["open", "won", "lost"]

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.label)

    @staticmethod
    def resolve_name_fa(obj: Any) -> str:
        return str(obj.name)


class PipelineOut(Schema):
    id: int
    name: str = Field(description="in the request's language")
    name_fa: str
    name_en: str
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.label)

    @staticmethod
    def resolve_name_fa(obj: Any) -> str:
        return str(obj.name)

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return list(obj.stages.all())


# --- competitors ------------------------------------------------------------------------------------------


class CompetitorIn(Strict):
    name: str = Field(..., max_length=200)


class CompetitorOut(Schema):
    id: int
    name: str


# --- deals ------------------------------------------------------------------------------------------------


class DealCreate(Strict):
    title: str = Field(..., max_length=200)
    customer_id: Id
    pipeline_id: Id | None = Field(None, description="default: the default pipeline")
    stage_id: Id | None = Field(None, description="an open stage of the pipeline; default: its first")
    amount: Money = 0
    expected_close_date: DateText | None = None
    owner_id: Id | None = Field(None, description="default: you")
    team_id: Id | None = Field(None, description="default: your team")
    next_step: str = Field("", max_length=255)
    next_step_due_at: Moment | None = None


class DealPatch(Strict):
    version: int = Field(..., ge=1, le=MAX_INT, description="the version you read; 409 if the deal has moved on")
    title: str | None = Field(None, max_length=200)
    amount: Money | None = None
    expected_close_date: DateText | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    next_step: str | None = Field(None, max_length=255)
    next_step_due_at: Moment | None = None


class DealMove(Strict):
    stage_id: Id
    version: int = Field(..., ge=1, le=MAX_INT, description="the version you read; 409 if the deal has moved on")
    lost_reason: str = Field("", max_length=2000, description="required when the stage is a lost one")
    lost_to_id: Id | None = Field(None, description="the competitor who won it, when lost")


class DealContactIn(Strict):
    role: Literal["decision_maker", "influencer", "technical_evaluator", "user", "financial_approver"]


class DealContactOut(Schema):
    contact_id: int
    display_name: str
    role: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.contact.display_name)


class DealBrief(Schema):
    id: int
    title: str
    customer_id: int
    customer_name: str
    pipeline_id: int
    stage_id: int
    status: Literal["open", "won", "lost"] = Field(description="the outcome of the deal's stage")
    amount: int
    currency: str
    expected_close_date: date | None
    owner_id: int | None
    team_id: int | None
    next_step: str
    next_step_due_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.stage.outcome)


class DealOut(DealBrief):
    lost_reason: str
    lost_to_id: int | None
    contacts: list[DealContactOut]

    @staticmethod
    def resolve_contacts(obj: Any) -> list[Any]:
        return list(obj.contacts.all())


class DealPage(Schema):
    items: list[DealBrief]
    next_cursor: str | None


class DealFilters(Clean):
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    customer_id: Id | None = None
    status: Literal["open", "won", "lost"] | None = None
    expected_close_from: date | None = Field(None, description="expected to close on or after")
    expected_close_to: date | None = Field(None, description="expected to close on or before")
    order: Literal["newest", "oldest", "amount", "-amount"] = "newest"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class BoardDeal(Schema):
    id: int
    title: str
    customer_id: int
    customer_name: str
    amount: int
    expected_close_date: date | None
    owner_id: int | None
    next_step: str
    next_step_due_at: datetime | None
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)


class BoardColumnOut(Schema):
    stage: StageOut
    count: int = Field(description="visible deals in the stage")
    total: int = Field(description="the sum of their amounts, Rials")
    weighted: int = Field(description="the sum weighted by the stage's probability, Rials")
    deals: list[BoardDeal] = Field(description="the first of them, in the column's order")


class BoardOut(Schema):
    pipeline_id: int
    pipeline_name: str
    columns: list[BoardColumnOut]
