"""API shapes for SLA policies and holidays; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Strict
from peyvand.sales.schemas import DateText, Id
from peyvand.service.sla_services import MAX_TARGET_MINUTES

TargetMinutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES, description="business minutes")]

CONDITIONS_HELP = (
    "keys ANDed, lists ORed: priority, category (ids, with their sub-categories), kind, channel, customer_tier, "
    'customer_stage; e.g. {"priority": ["urgent"], "customer_tier": ["gold"]}; {} matches every ticket'
)


class SlaPolicyFields(Strict):
    name: str | None = Field(None, max_length=120)
    position: int | None = Field(None, ge=0, le=100_000, description="the first matching policy in order applies")
    is_active: bool | None = None
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_HELP)
    first_response_minutes: TargetMinutes | None = None
    resolution_minutes: TargetMinutes | None = None
    warn_percent: int | None = Field(None, ge=1, le=99, description="warn when this share of the time has passed")
    escalate_to_id: Id | None = Field(None, description="on a breach the ticket moves to this team (empty: it stays)")


class SlaPolicyCreate(SlaPolicyFields):
    name: str = Field(..., max_length=120)
    first_response_minutes: TargetMinutes
    resolution_minutes: TargetMinutes


class SlaPolicyPatch(SlaPolicyFields):
    pass


class SlaPolicyOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    conditions: dict[str, list[Any]]
    first_response_minutes: int
    resolution_minutes: int
    warn_percent: int
    escalate_to_id: int | None
    created_at: datetime
    updated_at: datetime


class SlaReorderIn(Strict):
    ids: list[Id] = Field(..., max_length=1000, description="these policies first, in this order")


class HolidayIn(Strict):
    date: DateText
    name: str = Field(..., max_length=200)


class HolidayOut(Schema):
    id: int
    date: date
    jalali_date: str = Field(..., description="1405/01/01")
    name: str


class HolidayFilters(Strict):
    year: int | None = Field(None, ge=1300, le=1500, description="the Jalali year (default: this year)")


class HolidayLoadIn(Strict):
    year: int = Field(..., ge=1300, le=1500, description="a Jalali year, e.g. 1405")


class HolidayLoadOut(Schema):
    year: int
    added: int
    kept: int


class DueTimeIn(Strict):
    start: datetime = Field(..., description="an aware date and time (ISO 8601, with its offset)")
    minutes: int = Field(..., ge=0, le=MAX_TARGET_MINUTES, description="business minutes to add")


class DueTimeOut(Schema):
    start: datetime
    minutes: int
    due_at: datetime
    due_at_jalali: str = Field(..., description="in Tehran time, 1405/01/05 09:00")
