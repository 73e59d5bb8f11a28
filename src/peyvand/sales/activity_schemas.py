"""API shapes for activities and staff notifications; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import MAX_ID, Clean, Moment, Strict

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Kind = Literal["task", "call", "meeting"]
Status = Literal["planned", "done", "cancelled"]
# The services check the ranges and answer with a translated message naming the field; these bounds only keep
# a value from overflowing the database's integer column.
Minutes = Annotated[int, Field(ge=0, le=2_147_483_647)]


class ActivityFields(Strict):
    notes: str | None = Field(None, max_length=20000)
    duration_minutes: Minutes | None = Field(None, description="how long it takes, in minutes")
    location: str | None = Field(None, max_length=200, description="where (a meeting's address, a room)")
    customer_id: Id | None = Field(None, description="the customer it is for")
    deal_id: Id | None = Field(None, description="the deal it is for; its customer comes with it")
    lead_id: Id | None = Field(None, description="the lead it is for")
    assigned_to_id: Id | None = Field(None, description="who is to do it; default: you")
    team_id: Id | None = Field(None, description="default: the assignee's team")
    remind_minutes_before: Minutes | None = Field(
        None, description="remind the assignee this many minutes before it is due; null: no reminder"
    )


class ActivityCreate(ActivityFields):
    kind: Kind = "task"
    subject: str = Field(..., max_length=200)
    due_at: Moment


class ActivityPatch(ActivityFields):
    kind: Kind | None = None
    subject: str | None = Field(None, max_length=200)
    due_at: Moment | None = None


class ActivityComplete(Strict):
    outcome: str = Field("", max_length=20000, description="what came of it; the timeline entry's details")
    completed_at: Moment | None = Field(None, description="when it was done; default: now")


class ActivityCancel(Strict):
    reason: str = Field("", max_length=20000)


class ActivityOut(Schema):
    id: int
    kind: Kind
    subject: str
    notes: str
    due_at: datetime
    duration_minutes: int | None
    location: str
    status: Status
    customer_id: int | None
    customer_name: str | None
    deal_id: int | None
    deal_title: str | None
    lead_id: int | None
    assigned_to_id: int
    assigned_to_name: str
    team_id: int | None
    remind_minutes_before: int | None
    remind_at: datetime | None
    reminded_at: datetime | None
    completed_at: datetime | None
    outcome: str
    interaction_id: int | None = Field(description="the timeline entry written when it was done")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str | None:
        return str(obj.customer.display_name) if obj.customer_id else None

    @staticmethod
    def resolve_deal_title(obj: Any) -> str | None:
        return str(obj.deal.title) if obj.deal_id else None

    @staticmethod
    def resolve_assigned_to_name(obj: Any) -> str:
        return str(obj.assigned_to)


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityFilters(Clean):
    from_: Moment | None = Field(None, alias="from", description="due at or after")
    to: Moment | None = Field(None, description="due before")
    assigned_to: Id | None = None
    team_id: Id | None = None
    customer: Id | None = None
    deal: Id | None = None
    lead: Id | None = None
    status: Status | None = None
    kind: Kind | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    read_at: datetime | None
    emailed_at: datetime | None
    created_at: datetime


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int = Field(description="how many of your notifications are unread")
    next_cursor: str | None


class NotificationFilters(Clean):
    unread: bool = Field(False, description="only the unread ones")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class ReadAllOut(Schema):
    marked: int = Field(description="how many were marked read")
    unread: int
