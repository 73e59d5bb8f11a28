"""HTTP API of telephony under /api/v1/comms/telephony/: the call log, one call, click-to-call."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from peyvand.comms.telephony import selectors, services
from peyvand.core.http import AuthedRequest
from peyvand.customers.models import Customer
from peyvand.customers.schemas import Clean, Strict
from peyvand.sales.schemas import Id

router = Router(tags=["Telephony"])


class CallOut(Schema):
    id: int
    direction: str
    status: str
    from_number: str
    from_raw: str
    to_number: str
    to_raw: str
    extension: str
    customer_id: int | None
    agent_id: int | None
    team_id: int | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int | None
    recording_url: str
    interaction_id: int | None


class CallPage(Schema):
    items: list[CallOut]
    next_cursor: str | None


class CallFiltersIn(Clean):
    direction: Literal["in", "out", "internal"] | None = None
    status: Literal["ringing", "answered", "missed", "busy", "failed"] | None = None
    agent_id: Id | None = None
    customer_id: Id | None = None
    number: str | None = Field(None, max_length=40, description="a phone number in any form, or an extension")
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # PostgreSQL takes offsets up to ±15:59 and the years a call log can hold; anything else is the
        # caller's mistake (422), not a database error.
        if value is None:
            return None
        if not 1900 <= value.year <= 2200:
            raise ValueError("a date between the years 1900 and 2200")
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


class ClickToCallIn(Strict):
    number: str = Field(..., max_length=40, description="the number to dial, in any form")
    customer_id: Id | None = Field(None, description="the customer called (must be one you may see)")


class ClickToCallOut(Schema):
    extension: str
    number: str
    reference: str


@router.get("/calls", response=CallPage, summary="The call log (yours, your team's, your customers'), newest first")
def call_list(request: AuthedRequest, filters: Query[CallFiltersIn]) -> Any:
    page = selectors.call_list(
        user=request.auth,
        filters=selectors.CallFilters(
            direction=filters.direction or "",
            status=filters.status or "",
            agent_id=filters.agent_id,
            customer_id=filters.customer_id,
            number=filters.number or "",
            since=filters.since,
            until=filters.until,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/calls/{int:call_id}", response=CallOut, summary="One call")
def call_get(request: AuthedRequest, call_id: int) -> Any:
    return selectors.call_get(user=request.auth, pk=call_id)


@router.post(
    "/click-to-call",
    response=ClickToCallOut,
    summary="Ring your own extension, then dial the number (the PBX places it)",
)
def click_to_call(request: AuthedRequest, payload: ClickToCallIn) -> Any:
    customer = None
    if payload.customer_id is not None:
        customer = Customer.objects.filter(pk=payload.customer_id).first()
        if customer is None:
            raise Customer.DoesNotExist
    return services.click_to_call(by=request.auth, number=payload.number, customer=customer)
