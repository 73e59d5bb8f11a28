"""HTTP API of tickets (/api/v1/tickets) and their categories (/api/v1/ticket-categories): thin endpoints over
the ticket services and selectors."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from peyvand.core.downloads import stored_file_download
from peyvand.core.http import AuthedRequest
from peyvand.service import ticket_selectors as selectors
from peyvand.service.automation_schemas import CustomerNotificationOut
from peyvand.service.models import Ticket, TicketCategory
from peyvand.service.notify_selectors import notifications_of
from peyvand.service.services import tickets as services
from peyvand.service.ticket_schemas import (
    AttachmentOut,
    CategoryCreate,
    CategoryOut,
    CategoryPatch,
    CustomerMessageIn,
    EventOut,
    MessageOut,
    NoteIn,
    ReplyIn,
    TicketAssignIn,
    TicketCountsOut,
    TicketCreate,
    TicketFiltersIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketStatusIn,
)

tickets_router = Router(tags=["service"])
categories_router = Router(tags=["service"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CONFLICT = {
    "responses": {
        409: {
            "description": "The ticket changed since you read it (`conflict`): nothing was written; read it again.",
            **_ERROR,
        }
    }
}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators keep the categories (`forbidden`).", **_ERROR}}}


def _ticket(request: AuthedRequest, ticket_id: int) -> Ticket:
    # Missing and invisible answer the same 404.
    return selectors.ticket_get(user=request.auth, pk=ticket_id)


def _filters(filters: TicketFiltersIn) -> selectors.TicketFilters:
    return selectors.TicketFilters(
        status=filters.status or "",
        team_id=filters.team_id,
        assignee=filters.assignee or "",
        category_id=filters.category_id,
        priority=filters.priority or "",
        kind=filters.kind or "",
        customer_id=filters.customer_id,
        q=filters.q or "",
    )


@tickets_router.get("", response=TicketPage, summary="The ticket queue (filters, most urgent first by default)")
def ticket_list(request: AuthedRequest, filters: Query[TicketFiltersIn]) -> Any:
    page = selectors.ticket_list(
        user=request.auth, filters=_filters(filters), order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@tickets_router.get("/counts", response=TicketCountsOut, summary="How many tickets per status (the queue's tabs)")
def ticket_counts(request: AuthedRequest, filters: Query[TicketFiltersIn]) -> Any:
    return {"counts": selectors.ticket_counts(user=request.auth, filters=_filters(filters))}


@tickets_router.post("", response={201: TicketOut}, summary="Open a ticket (routed, with SLA due times)")
def ticket_create(request: AuthedRequest, payload: TicketCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    channel = data.pop("channel", "api")
    return Status(201, services.ticket_create(by=request.auth, data=data, channel=channel))


@tickets_router.get("/{int:ticket_id}", response=TicketOut)
def ticket_get(request: AuthedRequest, ticket_id: int) -> Any:
    return _ticket(request, ticket_id)


@tickets_router.patch(
    "/{int:ticket_id}", response=TicketOut, summary="Change what a ticket is about", openapi_extra=_CONFLICT
)
def ticket_update(request: AuthedRequest, ticket_id: int, payload: TicketPatch) -> Any:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.ticket_update(ticket=_ticket(request, ticket_id), by=request.auth, version=version, data=data)


@tickets_router.post(
    "/{int:ticket_id}/assign", response=TicketOut, summary="Give a ticket to a team and person", openapi_extra=_CONFLICT
)
def ticket_assign(request: AuthedRequest, ticket_id: int, payload: TicketAssignIn) -> Any:
    return services.ticket_assign(
        ticket=_ticket(request, ticket_id),
        by=request.auth,
        version=payload.version,
        team=payload.team_id,
        assignee=payload.assignee_id,
    )


@tickets_router.post(
    "/{int:ticket_id}/status", response=TicketOut, summary="Move a ticket to another status", openapi_extra=_CONFLICT
)
def ticket_status(request: AuthedRequest, ticket_id: int, payload: TicketStatusIn) -> Any:
    return services.ticket_set_status(
        ticket=_ticket(request, ticket_id),
        by=request.auth,
        status=payload.status,
        version=payload.version,
        resolution=payload.resolution,
    )


@tickets_router.get("/{int:ticket_id}/messages", response=list[MessageOut], summary="The conversation, notes too")
def ticket_messages(request: AuthedRequest, ticket_id: int) -> Any:
    return selectors.ticket_thread(_ticket(request, ticket_id))


@tickets_router.post(
    "/{int:ticket_id}/replies", response={201: MessageOut}, summary="Answer the customer", openapi_extra=_CONFLICT
)
def ticket_reply(request: AuthedRequest, ticket_id: int, payload: ReplyIn) -> Any:
    message = services.ticket_reply(
        ticket=_ticket(request, ticket_id),
        by=request.auth,
        body=payload.body,
        kb_article=payload.kb_article,
        set_status=payload.set_status,
        version=payload.version,
    )
    return Status(201, message)


@tickets_router.post("/{int:ticket_id}/notes", response={201: MessageOut}, summary="An internal note (never sent)")
def ticket_note(request: AuthedRequest, ticket_id: int, payload: NoteIn) -> Any:
    return Status(201, services.ticket_note(ticket=_ticket(request, ticket_id), by=request.auth, body=payload.body))


@tickets_router.post(
    "/{int:ticket_id}/customer-messages",
    response={201: MessageOut},
    summary="Record what the customer wrote or said (a closed ticket is reopened or followed by a new one)",
)
def ticket_customer_message(request: AuthedRequest, ticket_id: int, payload: CustomerMessageIn) -> Any:
    message = services.ticket_customer_message(
        ticket=_ticket(request, ticket_id),
        by=request.auth,
        body=payload.body,
        channel=payload.channel,
        external_id=payload.external_id,
    )
    return Status(201, message)


@tickets_router.get("/{int:ticket_id}/attachments", response=list[AttachmentOut], summary="The ticket's files")
def ticket_attachments(request: AuthedRequest, ticket_id: int) -> Any:
    return selectors.ticket_attachments(_ticket(request, ticket_id))


@tickets_router.post(
    "/{int:ticket_id}/attachments",
    response={201: AttachmentOut},
    summary="Attach a file (PDF, JPG, PNG, DOCX, XLSX, ODT; size limit PEYVAND_TICKET_ATTACHMENT_MB, 20 MB)",
)
def ticket_attachment_add(request: AuthedRequest, ticket_id: int, file: File[UploadedFile]) -> Any:
    ticket = _ticket(request, ticket_id)
    return Status(201, services.ticket_attachment_add(ticket=ticket, by=request.auth, upload=file))


@tickets_router.get(
    "/{int:ticket_id}/attachments/{int:attachment_id}",
    response={200: None},
    summary="Download a file",
    openapi_extra={"responses": {200: {"description": "The file's bytes, as an attachment."}}},
)
def ticket_attachment_download(request: AuthedRequest, ticket_id: int, attachment_id: int) -> HttpResponseBase:
    row = selectors.attachment_get(user=request.auth, ticket_id=ticket_id, attachment_id=attachment_id)
    return stored_file_download(request, row.file, filename=row.name, content_type=row.content_type)


@tickets_router.get("/{int:ticket_id}/history", response=list[EventOut], summary="Everything that happened to it")
def ticket_history(request: AuthedRequest, ticket_id: int) -> Any:
    return selectors.ticket_history(_ticket(request, ticket_id))


@tickets_router.get(
    "/{int:ticket_id}/notifications",
    response=list[CustomerNotificationOut],
    summary="What the customer was told about it (sent, failed or skipped, with the reason), newest first",
)
def ticket_notifications(request: AuthedRequest, ticket_id: int) -> Any:
    return list(notifications_of(_ticket(request, ticket_id)))


# --- categories -------------------------------------------------------------------------------------------


@categories_router.get("", response=list[CategoryOut], summary="The category tree, each parent before its children")
def category_list(request: AuthedRequest, active: bool = False) -> Any:
    return selectors.category_tree(active_only=active)


@categories_router.get("/{int:category_id}", response=CategoryOut)
def category_get(request: AuthedRequest, category_id: int) -> Any:
    return TicketCategory.objects.get(pk=category_id)


@categories_router.post(
    "", response={201: CategoryOut}, summary="Add a category (administrators)", openapi_extra=_ADMINS_ONLY
)
def category_create(request: AuthedRequest, payload: CategoryCreate) -> Any:
    return Status(201, services.category_create(by=request.auth, data=payload.model_dump(exclude_unset=True)))


@categories_router.patch(
    "/{int:category_id}",
    response=CategoryOut,
    summary="Change, move or retire a category (administrators)",
    openapi_extra=_ADMINS_ONLY,
)
def category_update(request: AuthedRequest, category_id: int, payload: CategoryPatch) -> Any:
    category = TicketCategory.objects.get(pk=category_id)
    return services.category_update(category=category, by=request.auth, data=payload.model_dump(exclude_unset=True))
