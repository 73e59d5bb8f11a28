"""API shapes for tickets, their conversation, files and history, and the category tree; unknown fields are
refused (422)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import MAX_INT, Clean, Strict
from peyvand.sales.schemas import Id

KindName = Literal["request", "complaint", "question", "suggestion"]
PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal["new", "assigned", "in_progress", "waiting", "resolved", "closed", "reopened"]
ChannelName = Literal["staff", "phone", "email", "sms", "chat", "portal", "form", "bot", "api"]
Answers = dict[str, Any]


class TicketFields(Strict):
    kind: KindName | None = None
    category_id: Id | None = None
    subject: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    priority: PriorityName | None = Field(None, description="default: the category's, or normal")
    fields: Answers | None = Field(None, description="answers to the category's fields, by key")
    order_id: Id | None = Field(None, description="an order of the ticket's customer")
    contract_id: Id | None = Field(None, description="a contract of the ticket's customer")


class TicketCreate(TicketFields):
    subject: str = Field(..., max_length=200)
    customer_id: Id | None = Field(None, description="the customer; or give a contact below")
    contact_name: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=40, description="stored as E.164")
    team_id: Id | None = Field(None, description="default: routing decides")
    assignee_id: Id | None = Field(None, description="default: routing decides")
    channel: ChannelName = Field("api", description="how the ticket came in; default `api`")


class TicketPatch(TicketFields):
    version: int = Field(..., ge=1, le=MAX_INT, description="the version you read (409 if it moved on)")


class TicketAssignIn(Strict):
    version: int = Field(..., ge=1, le=MAX_INT)
    team_id: Id | None = Field(None, description="default: keep the ticket's team")
    assignee_id: Id | None = Field(None, description="empty: nobody (back to the team's queue)")


class TicketStatusIn(Strict):
    version: int = Field(..., ge=1, le=MAX_INT)
    status: StatusName
    resolution: str = Field("", max_length=10_000, description="how it was resolved (resolving without a reply)")


class ReplyIn(Strict):
    body: str = Field(..., max_length=50_000)
    kb_article: Id | None = Field(None, description="the knowledge-base article the reply quotes")
    set_status: Literal["waiting", "resolved"] | None = Field(None, description="also set the ticket to this")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="if given, checked (409 if it moved on)")


class NoteIn(Strict):
    body: str = Field(..., max_length=50_000)


class CustomerMessageIn(Strict):
    body: str = Field(..., max_length=50_000)
    channel: ChannelName = "phone"
    external_id: str = Field("", max_length=255, description="the sender's id of the message: stored once")


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    message_id: int | None
    uploaded_by_id: int | None
    created_at: dt.datetime
    url: str = Field(description="where to download it (needs the same access as the ticket)")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/api/v1/tickets/{obj.ticket_id}/attachments/{obj.pk}"


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: str = Field(description="reply (the customer gets it), note (staff only), customer (from the customer)")
    body: str
    author_id: int | None
    channel: str
    kb_article_id: int | None
    external_id: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    by_id: int | None
    data: dict[str, Any]


class TicketOut(Schema):
    id: int
    number: str
    kind: str
    category_id: int | None
    subject: str
    description: str
    fields: Answers
    priority: str
    status: str
    channel: str
    customer_id: int | None
    contact_name: str
    contact_email: str
    contact_phone: str
    order_id: int | None
    contract_id: int | None
    team_id: int | None
    assignee_id: int | None
    sla_policy_id: int | None
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_response_breached: bool
    resolution_breached: bool
    reopen_count: int
    last_customer_message_at: dt.datetime | None
    last_staff_reply_at: dt.datetime | None
    version: int
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketCountsOut(Schema):
    counts: dict[str, int] = Field(
        description="per status, and `open` for every open status; resolved and closed are counted up to 999, "
        "so 1000 means 1000 or more"
    )


class TicketFiltersIn(Clean):
    status: Literal["open", "new", "assigned", "in_progress", "waiting", "resolved", "closed", "reopened"] | None = None
    team_id: Id | None = None
    assignee: str | None = Field(None, max_length=20, pattern=r"^(mine|unassigned|\d{1,18})$")
    category_id: Id | None = Field(None, description="with its sub-categories")
    priority: PriorityName | None = None
    kind: KindName | None = None
    customer_id: Id | None = None
    q: str | None = Field(None, max_length=200, description="part of the number or the subject")
    order: Literal["urgent", "newest", "oldest"] = Field("urgent", description="urgent: soonest due, then priority")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class TemplateFieldIn(Strict):
    key: str = Field(..., max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(..., max_length=120)
    label_en: str = Field("", max_length=120)
    type: Literal["text", "textarea", "number", "date", "choice", "yes_no"] = "text"
    required: bool = False
    choices: list[str] | None = None


class CategoryFields(Strict):
    name_en: str | None = Field(None, max_length=120)
    parent_id: Id | None = None
    position: int | None = Field(None, ge=0, le=MAX_INT)
    is_active: bool | None = None
    description: str | None = Field(None, max_length=5000)
    fields: list[TemplateFieldIn] | None = Field(None, description="the template: fields its tickets ask for")
    default_team_id: Id | None = None
    default_priority: PriorityName | Literal[""] | None = None


class CategoryCreate(CategoryFields):
    name: str = Field(..., max_length=120)


class CategoryPatch(CategoryFields):
    name: str | None = Field(None, max_length=120)


class CategoryOut(Schema):
    id: int
    name: str
    name_en: str
    label: str = Field(description="in the request's language")
    parent_id: int | None
    path: str
    depth: int
    position: int
    is_active: bool
    description: str
    fields: list[dict[str, Any]]
    default_team_id: int | None
    default_priority: str
