"""HTTP API for orders, invoices, payments and customers' purchase value: thin endpoints over the services and
billing_selectors; another team's record answers 404, like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.params import functions as params

from peyvand.accounts.models import Role
from peyvand.core.http import AuthedRequest
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import billing_selectors as selectors
from peyvand.sales.billing_schemas import (
    ChequeStatusIn,
    CustomerValueOut,
    InvoiceCancel,
    InvoiceCreate,
    InvoiceFilters,
    InvoiceFromOrder,
    InvoiceOut,
    InvoicePage,
    OrderCancel,
    OrderCreate,
    OrderFilters,
    OrderOut,
    OrderPage,
    PaymentIn,
    PaymentOut,
    RankingPage,
    RankingRecomputed,
    line_payloads,
)
from peyvand.sales.services import ConflictError
from peyvand.sales.services import customer_value as value_services
from peyvand.sales.services import invoices as invoice_services
from peyvand.sales.services import orders as order_services

orders_router = Router(tags=["orders"])
invoices_router = Router(tags=["invoices"])
customer_values_router = Router(tags=["customer-values"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CONFLICT = {
    "responses": {
        409: {
            "description": "Another payment of the invoice was recorded at the same moment (`conflict`): nothing "
            "was written; read the invoice's balance again.",
            **_ERROR,
        }
    }
}
_MANAGERS_ONLY = {
    "responses": {
        403: {"description": "Only managers and administrators recompute the ranking (`forbidden`).", **_ERROR}
    }
}


def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    from peyvand.core.api import error_response  # not at the top: core.api imports this module's routers

    message = _("The invoice is now at version %(version)s.") % {"version": exc.current_version}
    return error_response(request, status=409, code="conflict", message=exc.message, fields={"version": [message]})


# --- orders -----------------------------------------------------------------------------------------------


@orders_router.get("", response=OrderPage, summary="List orders")
def order_list(request: AuthedRequest, filters: Query[OrderFilters]) -> Any:
    where = selectors.order_filter(
        customer_id=filters.customer_id,
        status=filters.status,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        ordered_from=filters.ordered_from,
        ordered_to=filters.ordered_to,
    )
    page = selectors.order_list(
        user=request.auth, where=where, order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@orders_router.post("", response={201: OrderOut}, summary="Place an order (lines priced at today's VAT rate)")
def order_create(request: AuthedRequest, payload: OrderCreate) -> Any:
    data = payload.model_dump(exclude={"lines"})
    order = order_services.order_create(by=request.auth, lines=line_payloads(payload.lines), **data)
    return Status(201, selectors.order_get(user=request.auth, pk=order.pk))


@orders_router.get("/{int:order_id}", response=OrderOut)
def order_get(request: AuthedRequest, order_id: int) -> Any:
    return selectors.order_get(user=request.auth, pk=order_id)


@orders_router.post("/{int:order_id}/cancel", response=OrderOut, summary="Cancel an order (refused once paid)")
def order_cancel(request: AuthedRequest, order_id: int, payload: OrderCancel) -> Any:
    order = selectors.order_get(user=request.auth, pk=order_id)
    order_services.order_cancel(order=order, by=request.auth, reason=payload.reason)
    return selectors.order_get(user=request.auth, pk=order_id)


@orders_router.post("/{int:order_id}/fulfil", response=OrderOut, summary="Mark an order delivered")
def order_fulfil(request: AuthedRequest, order_id: int) -> Any:
    order = selectors.order_get(user=request.auth, pk=order_id)
    order_services.order_mark_fulfilled(order=order, by=request.auth)
    return selectors.order_get(user=request.auth, pk=order_id)


@orders_router.post("/{int:order_id}/invoice", response={201: InvoiceOut}, summary="Invoice a whole order")
def order_invoice(request: AuthedRequest, order_id: int, payload: InvoiceFromOrder) -> Any:
    order = selectors.order_get(user=request.auth, pk=order_id)
    invoice = invoice_services.invoice_create_from_order(order=order, by=request.auth, **payload.model_dump())
    return Status(201, selectors.invoice_get(user=request.auth, pk=invoice.pk))


# --- invoices ---------------------------------------------------------------------------------------------


@invoices_router.get("", response=InvoicePage, summary="List invoices (overdue=true: the overdue list)")
def invoice_list(request: AuthedRequest, filters: Query[InvoiceFilters]) -> Any:
    where = selectors.invoice_filter(
        customer_id=filters.customer_id,
        order_id=filters.order_id,
        status=filters.status,
        overdue=filters.overdue,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        issued_from=filters.issued_from,
        issued_to=filters.issued_to,
    )
    page = selectors.invoice_list(
        user=request.auth, where=where, order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@invoices_router.post("", response={201: InvoiceOut}, summary="Issue an invoice with its own lines")
def invoice_create(request: AuthedRequest, payload: InvoiceCreate) -> Any:
    data = payload.model_dump(exclude={"lines"})
    data["lines"] = line_payloads(payload.lines)
    invoice = invoice_services.invoice_create(by=request.auth, data=data)
    return Status(201, selectors.invoice_get(user=request.auth, pk=invoice.pk))


@invoices_router.get("/{int:invoice_id}", response=InvoiceOut)
def invoice_get(request: AuthedRequest, invoice_id: int) -> Any:
    return selectors.invoice_get(user=request.auth, pk=invoice_id)


@invoices_router.get(
    "/{int:invoice_id}/pdf",
    response={200: None},
    summary="The invoice as a printable PDF (Persian or English, by the request's language)",
    openapi_extra={"responses": {200: {"description": "the PDF", "content": {"application/pdf": {}}}}},
)
def invoice_pdf(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    from peyvand.sales.pdf import invoice_pdf as render
    from peyvand.sales.pdf import invoice_pdf_filename

    invoice = selectors.invoice_get(user=request.auth, pk=invoice_id)
    response = HttpResponse(render(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_pdf_filename(invoice)}"'
    return response


@invoices_router.post(
    "/{int:invoice_id}/cancel",
    response=InvoiceOut,
    summary="Cancel an invoice without payments",
    openapi_extra=_CONFLICT,
)
def invoice_cancel(request: AuthedRequest, invoice_id: int, payload: InvoiceCancel) -> Any:
    invoice = selectors.invoice_get(user=request.auth, pk=invoice_id)
    try:
        invoice_services.invoice_cancel(invoice=invoice, by=request.auth, reason=payload.reason)
    except ConflictError as exc:
        return _conflict(request, exc)
    return selectors.invoice_get(user=request.auth, pk=invoice_id)


@invoices_router.get("/{int:invoice_id}/payments", response=list[PaymentOut], summary="An invoice's payments")
def payment_list(request: AuthedRequest, invoice_id: int) -> Any:
    invoice = selectors.invoice_get(user=request.auth, pk=invoice_id)
    return list(invoice.payments.all())


@invoices_router.post(
    "/{int:invoice_id}/payments",
    response={201: PaymentOut},
    summary="Record a payment (never more than the balance)",
    openapi_extra=_CONFLICT,
)
def payment_record(request: AuthedRequest, invoice_id: int, payload: PaymentIn) -> Any:
    invoice = selectors.invoice_get(user=request.auth, pk=invoice_id)
    try:
        payment = invoice_services.payment_record(invoice=invoice, by=request.auth, **payload.model_dump())
    except ConflictError as exc:
        return _conflict(request, exc)
    return Status(201, payment)


@invoices_router.post(
    "/payments/{int:payment_id}/cheque-status",
    response=PaymentOut,
    summary="A cheque cleared or bounced (bounced reopens the invoice)",
    openapi_extra=_CONFLICT,
)
def cheque_status(request: AuthedRequest, payment_id: int, payload: ChequeStatusIn) -> Any:
    payment = selectors.payment_get(user=request.auth, pk=payment_id)
    try:
        return invoice_services.cheque_set_status(payment=payment, by=request.auth, status=payload.status)
    except ConflictError as exc:
        return _conflict(request, exc)


# --- customer value ---------------------------------------------------------------------------------------


@customer_values_router.get("", response=RankingPage, summary="Customers ranked by revenue (last recomputation)")
def ranking(
    request: AuthedRequest,
    cursor: str | None = params.Query(None, max_length=500),
    limit: int = params.Query(50, ge=1, le=200),
) -> Any:
    page = selectors.customer_ranking(user=request.auth, cursor=cursor or None, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@customer_values_router.post(
    "/recompute",
    response=RankingRecomputed,
    summary="Recompute every customer's value and rank (managers, admins)",
    openapi_extra=_MANAGERS_ONLY,
)
def ranking_recompute(request: AuthedRequest) -> Any:
    user = request.auth
    if not (user.is_admin_role or user.role == Role.MANAGER):
        raise PermissionDenied(_("Only a manager or an administrator can recompute the ranking."))
    return {"ranked": value_services.ranking_recompute()}


@customer_values_router.get("/{int:customer_id}", response=CustomerValueOut, summary="One customer's value, live")
def customer_value(request: AuthedRequest, customer_id: int) -> Any:
    customers_visible_to(request.auth).get(pk=customer_id)
    figures = value_services.customer_value(customer_id=customer_id)
    stored = selectors.customer_rank(customer_id=customer_id)
    return {
        "customer_id": customer_id,
        "revenue": figures.revenue,
        "cost": figures.cost,
        "margin": figures.margin,
        "margin_percent": figures.margin_percent,
        "order_count": figures.order_count,
        "average_order_value": figures.average_order_value,
        "first_purchase_at": figures.first_purchase_at,
        "last_purchase_at": figures.last_purchase_at,
        "days_since_last_purchase": figures.days_since_last_purchase,
        "rank": stored.rank if stored is not None else None,
    }
