"""API shapes for leads, their conversion, imports and the source report; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Clean, Strict
from peyvand.sales.schemas import FilterDay, Id, Money

SourceName = Literal[
    "web_form", "import", "api", "manual", "phone", "referral", "campaign", "exhibition", "social", "other"
]
StatusName = Literal["new", "contacted", "qualified", "disqualified", "converted"]


class LeadFields(Strict):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company_name: str | None = Field(None, max_length=200)
    job_title: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=40, examples=["0912 123 4567"], description="stored as E.164")
    email: str | None = Field(None, max_length=254)
    city: str | None = Field(None, max_length=100)
    source_detail: str | None = Field(None, max_length=200, description="e.g. the form, campaign or referrer")
    estimated_amount: Money | None = None
    interest: str | None = Field(None, max_length=10000)
    notes: str | None = Field(None, max_length=10000)
    owner_id: Id | None = Field(None, description="default: you")
    team_id: Id | None = Field(None, description="default: your team")


class LeadCreate(LeadFields):
    source: SourceName = Field("api", description="where the lead came from; default `api`")


class LeadPatch(LeadFields):
    source: SourceName | None = None


class LeadStatusIn(Strict):
    status: Literal["new", "contacted", "qualified", "disqualified"]
    reason: str = Field("", max_length=10000, description="required when disqualifying")


class LeadConvertIn(Strict):
    customer_id: Id | None = Field(None, description="link this existing customer instead of making a new one")
    create_deal: bool = True
    deal_title: str | None = Field(None, max_length=200, description="default: the lead's interest, or its name")
    deal_amount: Money | None = Field(None, description="default: the lead's estimated amount")
    pipeline_id: Id | None = Field(None, description="default: the default pipeline")


class LeadOut(Schema):
    id: int
    display_name: str
    first_name: str
    last_name: str
    company_name: str
    job_title: str
    phone: str
    email: str
    city: str
    source: str
    source_detail: str
    status: str
    disqualified_reason: str
    estimated_amount: int
    interest: str
    notes: str
    owner_id: int | None
    team_id: int | None
    converted_customer_id: int | None
    converted_deal_id: int | None
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadFilters(Clean):
    status: StatusName | None = None
    source: SourceName | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    q: str | None = Field(None, max_length=200, description="part of the name, company, phone or e-mail")
    created_from: FilterDay | None = Field(None, description="recorded on or after (the site's time zone)")
    created_to: FilterDay | None = Field(None, description="recorded on or before")
    order: Literal["newest", "oldest"] = "newest"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class CustomerMatchOut(Schema):
    id: int
    kind: str
    display_name: str
    organization_id: int | None
    organization_name: str | None

    @staticmethod
    def resolve_organization_name(obj: Any) -> str | None:
        return obj.organization.display_name if obj.organization_id else None


class LeadConversionOut(Schema):
    lead: LeadOut
    customer_id: int
    person_id: int | None = Field(description="the person made beside a new organisation, when there was one")
    deal_id: int | None
    created_customer: bool


class ImportProblemOut(Schema):
    line: int = Field(description="the row's line in the file (the heading is line 1)")
    field: str
    message: str


class LeadImportOut(Schema):
    rows: int = Field(description="rows with a value under the heading")
    imported: int
    refused: int = Field(description="rows not imported (each is in `problems`)")
    lead_ids: list[int]
    columns: dict[str, str] = Field(description="each recognised heading and the lead field it fills")
    ignored_columns: list[str]
    problems: list[ImportProblemOut]


class SourcePeriod(Clean):
    date_from: date | None = Field(None, description="leads recorded on or after (the site's time zone)")
    date_to: date | None = Field(None, description="leads recorded on or before")


class SourceRowOut(Schema):
    source: str
    label: str = Field(description="in the request's language")
    leads: int
    qualified: int = Field(description="qualified or converted")
    disqualified: int
    converted: int
    conversion_rate: float = Field(description="converted / leads, percent to one decimal")
    won_deals: int = Field(description="won deals made from the converted leads")
    won_amount: int = Field(description="their amount, Rials")


class SourceReportOut(Schema):
    date_from: date | None
    date_to: date | None
    rows: list[SourceRowOut]
    total: SourceRowOut
