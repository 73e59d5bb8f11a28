"""API shapes of e-mail: incoming mails (what they became, their files) and a poll's outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Strict
from peyvand.sales.schemas import Id

StatusName = Literal["processed", "unmatched", "ignored", "failed"]


class MailFiltersIn(Strict):
    status: StatusName | None = None
    account_id: Id | None = None
    customer_id: Id | None = None
    q: str | None = Field(None, max_length=100, description="part of the sender's address or the subject")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class MailAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str = Field(description="where to download it (needs the same access as the mail)")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/api/v1/comms/mail/messages/{obj.message_id}/attachments/{obj.pk}"


class MailOut(Schema):
    id: int
    account_id: int | None
    message_id: str = Field(description="the mail's Message-ID (how a mail fetched twice is recognised)")
    sender: str
    recipient: str
    subject: str
    received_at: dt.datetime
    status: StatusName
    error: str
    customer_id: int | None
    interaction_id: int | None
    related_type: str | None = Field(description="what it became: service.ticketmessage, service.ticket, sales.lead")
    related_id: str

    @staticmethod
    def resolve_message_id(obj: Any) -> str:
        return str(obj.external_id)

    @staticmethod
    def resolve_related_type(obj: Any) -> str | None:
        if obj.related_type_id is None:
            return None
        return f"{obj.related_type.app_label}.{obj.related_type.model}"


class MailDetailOut(MailOut):
    body: str
    html: str
    raw: dict[str, Any] = Field(description="the headers that matter, and what was odd about the mail")
    attachments: list[MailAttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.order_by("id"))


class MailPage(Schema):
    items: list[MailOut]
    next_cursor: str | None


class PollIn(Strict):
    account_id: Id | None = Field(None, description="one mailbox; default: every mailbox with an IMAP server")


class PollOut(Schema):
    account_id: int
    fetched: int
    stored: int = Field(description="new records (a mail already stored is fetched but not stored again)")
    error: str
