"""API shapes for contracts, their files and sales targets; unknown fields are refused (422)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import MAX_ID, Clean, Strict
from peyvand.sales.schemas import DateText, Id, Money

ContractStatusName = Literal["draft", "active", "expired", "terminated", "renewed"]
PeriodName = Literal["month", "quarter", "year"]
MetricName = Literal["revenue", "won_deals"]

# --- contracts --------------------------------------------------------------------------------------------


class ContractFields(Strict):
    deal_id: Id | None = Field(None, description="a deal of the same customer")
    value: Money | None = None
    auto_renew: bool | None = None
    renewal_notice_days: int | None = Field(None, ge=-32768, le=32767, description="days before the end; 0 to 366")
    terms: str | None = Field(None, max_length=50000)
    signed_at: DateText | None = None
    owner_id: Id | None = None
    team_id: Id | None = None


class ContractCreate(ContractFields):
    customer_id: Id
    title: str = Field(..., max_length=200)
    start_date: DateText
    end_date: DateText = Field(..., description="on or after the start")


class ContractPatch(ContractFields):
    title: str | None = Field(None, max_length=200)
    start_date: DateText | None = None
    end_date: DateText | None = None


class ContractTerminate(Strict):
    reason: str = Field(..., max_length=2000)


class ContractRenew(Strict):
    start_date: DateText | None = Field(None, description="default: the day after the contract ends")
    end_date: DateText | None = Field(None, description="default: a term as long as the contract's")
    value: Money | None = Field(None, description="default: the contract's value")


class ContractFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_by_id: int | None
    created_at: dt.datetime
    url: str = Field(description="where to download it (needs the same access as the contract)")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/api/v1/contracts/{obj.contract_id}/files/{obj.pk}"


class ContractBrief(Schema):
    id: int
    number: str
    title: str
    customer_id: int
    customer_name: str
    deal_id: int | None
    status: ContractStatusName
    start_date: dt.date
    end_date: dt.date
    days_to_end: int = Field(description="days from today to the end date; negative once it has passed")
    value: int
    currency: str
    auto_renew: bool
    renewal_notice_days: int
    renewal_reminded_at: dt.datetime | None
    renewed_from_id: int | None
    signed_at: dt.date | None
    owner_id: int | None
    team_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)

    @staticmethod
    def resolve_days_to_end(obj: Any) -> int:
        return int((obj.end_date - timezone.localdate()).days)


class ContractOut(ContractBrief):
    terms: str
    terminated_at: dt.datetime | None
    termination_reason: str
    renewal_id: int | None = Field(description="the contract that renewed this one, if any")
    files: list[ContractFileOut]

    @staticmethod
    def resolve_renewal_id(obj: Any) -> int | None:
        from peyvand.sales.models import Contract

        try:
            return int(obj.renewal.pk)
        except Contract.DoesNotExist:  # a reverse one-to-one with no row raises
            return None

    @staticmethod
    def resolve_files(obj: Any) -> list[Any]:
        return list(obj.files.all())


class ContractPage(Schema):
    items: list[ContractBrief]
    next_cursor: str | None


class ContractFilters(Clean):
    status: ContractStatusName | None = None
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    ending_within_days: int | None = Field(
        None, ge=0, le=3660, description="active contracts that end between today and this many days from now"
    )
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


# --- targets ----------------------------------------------------------------------------------------------


class TargetIn(Strict):
    user_id: Id | None = Field(None, description="the person; or give team_id")
    team_id: Id | None = Field(None, description="the team (its sub-teams count towards it); or give user_id")
    metric: MetricName = "revenue"
    period: PeriodName
    jalali_year: int = Field(..., ge=1, le=9999, examples=[1404])
    period_number: int = Field(0, ge=0, le=12, description="month 1–12, quarter 1–4, or 0 for a year")
    amount: Money = Field(..., description="the target in whole Rials, more than zero")


class TargetOut(Schema):
    id: int
    user_id: int | None
    user_name: str | None
    team_id: int | None
    team_name: str | None
    metric: MetricName
    period: PeriodName
    jalali_year: int
    period_number: int
    amount: int
    achieved: int = Field(description="Rials: net order totals (revenue) or won deal amounts in the period")
    percent: int = Field(description="whole percent of the target achieved; may pass 100")
    expected_by_now: int = Field(description="Rials a steady pace through the period would have reached by now")
    created_at: dt.datetime
    updated_at: dt.datetime


class TargetFilters(Clean):
    period: PeriodName = "month"
    jalali_year: int | None = Field(None, ge=1, le=9999, description="default: this Jalali year")
    period_number: int | None = Field(None, ge=0, le=12, description="default: the current month or quarter")
    metric: MetricName | None = None
