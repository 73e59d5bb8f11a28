"""API shapes of e-mail: incoming mails (what they became, their files), a queued poll, and a mail written to a
customer."""

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


class PollQueuedOut(Schema):
    task_id: str = Field(description="the queued poll's task; empty when no mailbox has an IMAP server")
    account_ids: list[int] = Field(description="the mailboxes it polls; each one's outcome shows on its page")


class MailSendIn(Strict):
    customer_id: Id
    to: str = Field(max_length=254, description="one of the customer's e-mail addresses")
    subject: str = Field(max_length=255)
    body: str = Field(max_length=100_000, description="plain text; the HTML version is made from it")
    idempotency_key: str = Field(
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="yours, one per mail: the same key again returns the first mail, never a second",
    )
    account_id: Id | None = Field(None, description="the mailbox it goes out by; default: the default mailbox")
    fill_fields: bool = Field(False, description="fill {first_name}, {name}, {today} … from the customer")
    marketing: bool = Field(False, description="marketing: needs the customer's consent, waits for quiet hours")


class OutgoingAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str = Field(description="where to download it (needs the same access as the outbox message)")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/api/v1/comms/mail/outgoing/{obj.message_id}/attachments/{obj.pk}"


class MailSentOut(Schema):
    id: int = Field(description="the outbox message (GET /api/v1/comms/outbox/{id})")
    status: str
    to: str
    subject: str
    idempotency_key: str
    error: str
    attachments: list[OutgoingAttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.mail_attachments.order_by("id"))
