"""HTTP API of e-mail under /api/v1/comms/mail/: the incoming mails (scoped like the customers they came from),
writing a mail to a customer, and polling the mailboxes now (administrators)."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from peyvand.comms.mail import selectors
from peyvand.comms.mail.compose import compose_key, mail_compose_send
from peyvand.comms.mail.schemas import (
    MailDetailOut,
    MailFiltersIn,
    MailPage,
    MailSendIn,
    MailSentOut,
    PollIn,
    PollQueuedOut,
)
from peyvand.comms.mail.services import mailbox_poll_now
from peyvand.comms.models import OutboundMessage
from peyvand.core.downloads import stored_file_download
from peyvand.core.http import AuthedRequest

router = Router(tags=["E-mail"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators poll the mailboxes (`forbidden`).", **_ERROR}}}


@router.get("/messages", response=MailPage, summary="Incoming mails, newest first (those of customers you can see)")
def mail_list(request: AuthedRequest, filters: Query[MailFiltersIn]) -> Any:
    page = selectors.inbound_mail_list(
        user=request.auth,
        status=filters.status or "",
        account_id=filters.account_id,
        customer_id=filters.customer_id,
        q=filters.q or "",
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/messages/{int:message_id}", response=MailDetailOut, summary="One mail: text, HTML, headers, files")
def mail_get(request: AuthedRequest, message_id: int) -> Any:
    return selectors.inbound_mail_get(user=request.auth, pk=message_id)


@router.get(
    "/messages/{int:message_id}/attachments/{int:attachment_id}",
    response={200: None},
    summary="Download a mail's file",
    openapi_extra={"responses": {200: {"description": "The file's bytes, as an attachment."}}},
)
def mail_attachment(request: AuthedRequest, message_id: int, attachment_id: int) -> HttpResponseBase:
    row = selectors.mail_attachment_get(user=request.auth, message_id=message_id, attachment_id=attachment_id)
    # What a stranger mailed is served as a download of unknown type: never shown inline by the browser.
    return stored_file_download(request, row.file, filename=row.name, content_type="application/octet-stream")


@router.get(
    "/outgoing/{int:message_id}/attachments/{int:attachment_id}",
    response={200: None},
    summary="Download a file sent with an outgoing mail (as the outbox message's scope allows)",
    openapi_extra={"responses": {200: {"description": "The file's bytes, as an attachment."}}},
)
def outgoing_attachment(request: AuthedRequest, message_id: int, attachment_id: int) -> HttpResponseBase:
    row = selectors.outgoing_attachment_get(user=request.auth, message_id=message_id, attachment_id=attachment_id)
    return stored_file_download(request, row.file, filename=row.name, content_type="application/octet-stream")


@router.post(
    "/poll",
    response={202: PollQueuedOut},
    summary="Queue a poll of the mailboxes now (administrators)",
    openapi_extra=_ADMINS_ONLY,
)
def mail_poll(request: AuthedRequest, payload: PollIn | None = None) -> Any:
    queued = mailbox_poll_now(by=request.auth, account_id=payload.account_id if payload else None)
    return Status(202, {"task_id": queued.task_id, "account_ids": queued.account_ids})


@router.post(
    "/send",
    response={201: MailSentOut, 200: MailSentOut},
    summary="Write an e-mail to a customer you can see, with files (multipart); queued through the outbox",
    openapi_extra={
        "responses": {
            200: {"description": "This idempotency key was used before: the mail it made."},
            404: {"description": "No such customer, or not one you can see (`not_found`).", **_ERROR},
            422: {"description": "A field is wrong; nothing was queued (`invalid`).", **_ERROR},
        }
    },
)
def mail_send(request: AuthedRequest, payload: Form[MailSendIn], files: File[list[UploadedFile]] = None) -> Any:  # type: ignore[assignment]
    customer = selectors.customer_for_mail(user=request.auth, pk=payload.customer_id)
    existed = OutboundMessage.objects.filter(idempotency_key=compose_key(payload.idempotency_key)).exists()
    message = mail_compose_send(
        by=request.auth,
        customer=customer,
        to=payload.to,
        subject=payload.subject,
        body=payload.body,
        token=payload.idempotency_key,
        files=files or [],
        account_id=payload.account_id,
        fill_fields=payload.fill_fields,
        marketing=payload.marketing,
    )
    return Status(200 if existed else 201, message)
