"""HTTP API for quotes (پیش‌فاکتور): lines, revisions, PDF, sending by e-mail, acceptance."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from peyvand.core.http import AuthedRequest
from peyvand.sales import quote_selectors as selectors
from peyvand.sales.quote_schemas import (
    QuoteCreate,
    QuoteFilters,
    QuoteOut,
    QuotePage,
    QuotePatch,
    QuoteReject,
    QuoteRevise,
    QuoteSend,
)
from peyvand.sales.services import ConflictError
from peyvand.sales.services import quotes as services

quotes_router = Router(tags=["quotes"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CONFLICT = {
    "responses": {
        409: {
            "description": "The quote changed since you read it (`conflict`): nothing was written; read it again.",
            **_ERROR,
        }
    }
}


def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    from peyvand.core.api import error_response  # not at the top: core.api imports the routers

    message = _("The quote is now at version %(version)s.") % {"version": exc.current_version}
    return error_response(request, status=409, code="conflict", message=exc.message, fields={"version": [message]})


def _service_data(payload: Any, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """What was sent, as the services take it; a line's null means "not given" (the product fills it in)."""
    data: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude=exclude or set())
    if data.get("lines") is not None:
        data["lines"] = [{k: v for k, v in line.items() if v is not None} for line in data["lines"]]
    elif "lines" in data:
        del data["lines"]
    return data


@quotes_router.get("", response=QuotePage, summary="List quotes")
def quote_list(request: AuthedRequest, filters: Query[QuoteFilters]) -> Any:
    where = selectors.quote_filter(
        customer_id=filters.customer_id,
        deal_id=filters.deal_id,
        status=filters.status,
        owner_id=filters.owner_id,
        latest_only=filters.latest,
        text=filters.q or "",
    )
    page = selectors.quote_list(
        user=request.auth, where=where, order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@quotes_router.post("", response={201: QuoteOut}, summary="Create a draft quote")
def quote_create(request: AuthedRequest, payload: QuoteCreate) -> Any:
    quote = services.quote_create(by=request.auth, data=_service_data(payload))
    return Status(201, selectors.quote_get(user=request.auth, pk=quote.pk))


@quotes_router.get("/{int:quote_id}", response=QuoteOut, summary="Read a quote with its lines")
def quote_get(request: AuthedRequest, quote_id: int) -> Any:
    return selectors.quote_get(user=request.auth, pk=quote_id)


@quotes_router.patch(
    "/{int:quote_id}", response=QuoteOut, summary="Change a draft quote (lines replace all)", openapi_extra=_CONFLICT
)
def quote_update(request: AuthedRequest, quote_id: int, payload: QuotePatch) -> Any:
    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    data = _service_data(payload)
    version = data.pop("version")
    try:
        services.quote_update(quote=quote, by=request.auth, version=version, data=data)
    except ConflictError as exc:
        return _conflict(request, exc)
    return selectors.quote_get(user=request.auth, pk=quote_id)


@quotes_router.post(
    "/{int:quote_id}/revise", response={201: QuoteOut}, summary="Revise: a new draft revision; this one is superseded"
)
def quote_revise(request: AuthedRequest, quote_id: int, payload: QuoteRevise) -> Any:
    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    new = services.quote_revise(quote=quote, by=request.auth, data=_service_data(payload))
    return Status(201, selectors.quote_get(user=request.auth, pk=new.pk))


@quotes_router.post("/{int:quote_id}/send", response=QuoteOut, summary="E-mail the quote with its PDF attached")
def quote_send(request: AuthedRequest, quote_id: int, payload: QuoteSend) -> Any:
    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    to = payload.to if payload.to is not None else services.quote_default_recipient(quote)
    services.quote_send(quote=quote, by=request.auth, to=to, subject=payload.subject, message=payload.message)
    return selectors.quote_get(user=request.auth, pk=quote_id)


@quotes_router.post("/{int:quote_id}/accept", response=QuoteOut, summary="Accept: the quote becomes an order")
def quote_accept(request: AuthedRequest, quote_id: int) -> Any:
    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    services.quote_accept(quote=quote, by=request.auth)
    return selectors.quote_get(user=request.auth, pk=quote_id)


@quotes_router.post("/{int:quote_id}/reject", response=QuoteOut, summary="Reject, with the customer's reason")
def quote_reject(request: AuthedRequest, quote_id: int, payload: QuoteReject) -> Any:
    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    services.quote_reject(quote=quote, by=request.auth, reason=payload.reason)
    return selectors.quote_get(user=request.auth, pk=quote_id)


@quotes_router.get(
    "/{int:quote_id}/pdf",
    response={200: None},
    summary="The quote as a printable PDF (Persian or English, by the request's language)",
    openapi_extra={"responses": {200: {"description": "the PDF", "content": {"application/pdf": {}}}}},
)
def quote_pdf(request: AuthedRequest, quote_id: int) -> HttpResponse:
    from peyvand.sales.pdf import quote_pdf as render
    from peyvand.sales.pdf import quote_pdf_filename

    quote = selectors.quote_get(user=request.auth, pk=quote_id)
    response = HttpResponse(render(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote_pdf_filename(quote)}"'
    return response
