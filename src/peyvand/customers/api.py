"""HTTP API for customers, organisations and interactions: thin endpoints over services and selectors."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, prefetch_related_objects
from django.http.response import HttpResponseBase
from ninja import Query, Router, Status
from ninja.params import functions as params
from pydantic import Field

from peyvand.core.downloads import file_download, streaming_download
from peyvand.core.http import AuthedRequest
from peyvand.core.pagination import paginate
from peyvand.customers import export_api, exporting, selectors, services
from peyvand.customers.models import Customer, CustomerKind, CustomerRevision
from peyvand.customers.page_queries import active_language
from peyvand.customers.quality_api import HealthOut, health_report
from peyvand.customers.schemas import (
    MAX_ID,
    Clean,
    ConsentIn,
    ConsentOut,
    CustomerCreate,
    CustomerExport,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    InteractionIn,
    InteractionOut,
    InteractionPage,
    InteractionPatch,
    Moment,
    OrganizationNode,
    RevisionOut,
    TimelineItemOut,
)
from peyvand.customers.schemas import CustomerSelection as CustomerSelection

router = Router(tags=["customers"])
organizations_router = Router(tags=["organizations"])
interactions_router = Router(tags=["interactions"])
# Large exports, under /customers/exports: a router of their own, like imports.
router.add_router("/exports", export_api.router)


class CustomerFilters(CustomerSelection):
    order: Literal["name", "-name", "newest", "oldest"] = "name"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


def _full(qs: Any) -> Any:
    return qs.select_related(None).prefetch_related("phones", "emails", "addresses", "tags", "consents")


@router.get("", response=CustomerPage, summary="List and search customers")
def customer_list(request: AuthedRequest, filters: Query[CustomerFilters]) -> Any:
    where = selectors.customer_filter(
        kind=filters.kind,
        lifecycle_stage=filters.lifecycle_stage,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        tag=filters.tag,
        city=filters.city,
        organization_id=filters.organization_id,
        health=filters.health,
        inactive_months=filters.inactive_months,
    )
    page = selectors.customer_list_page(
        user=request.auth,
        where=where,
        text=filters.q or "",
        order=filters.order,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    prefetch_related_objects(page.items, "phones", "emails")
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/lookup", response=list[CustomerOut], summary="Caller-ID: customers owning a phone number")
def customer_lookup(request: AuthedRequest, phone: str = params.Query(..., max_length=40)) -> Any:
    ids = [match.id for match in selectors.customer_lookup_by_phone(user=request.auth, phone=phone)]
    # The matches were scoped by the lookup; their full records come in one more read, in the same order.
    return list(_full(Customer.objects.filter(pk__in=ids)).order_by("id")) if ids else []


@router.get(
    "/export",
    summary="Export the list, with its filters, to XLSX or CSV",
    description="Every customer you may see that matches the filters (no pages): by id, or best match first "
    "with `q`. Phone numbers and national codes are text; text that a spreadsheet would run as a formula "
    "(starting with =, +, -, @) gets an apostrophe in front. A list of more than PEYVAND_EXPORT_INLINE_ROWS "
    "customers (5,000 by default) is refused with 409 `export_too_large`: export it in the background with "
    "POST /customers/exports.",
    openapi_extra={
        "responses": {
            200: export_api.FILE_RESPONSE,
            409: {"description": "Too many customers for one request (`export_too_large`).", **export_api.ERROR},
        }
    },
)
def customer_export(request: AuthedRequest, filters: Query[CustomerExport]) -> HttpResponseBase:
    language = filters.lang or active_language()
    selection = export_api.selection_filters(filters)
    if not exporting.export_fits_inline(user=request.auth, filters=selection):
        return export_api.too_large(request)
    filename = exporting.export_filename(filters.format, language)
    content_type = exporting.CONTENT_TYPES[filters.format]
    if filters.format == "csv":
        parts = exporting.csv_stream(user=request.auth, filters=selection, language=language)
        return streaming_download(request, parts, filename=filename, content_type=content_type)
    file = exporting.xlsx_file(user=request.auth, filters=selection, language=language)
    return file_download(request, file, filename=filename, content_type=content_type)


@router.post("", response={201: CustomerOut}, summary="Create a customer")
def customer_create(request: AuthedRequest, payload: CustomerCreate) -> Any:
    customer = services.customer_create(by=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, _full(Customer.objects.filter(pk=customer.pk)).get())


@router.get("/health", response=HealthOut, summary="Data health: customers with each fixable problem")
def customer_health(request: AuthedRequest, inactive_months: int = params.Query(12, ge=1, le=999)) -> Any:
    return health_report(user=request.auth, inactive_months=inactive_months)


@router.get("/{int:customer_id}", response=CustomerOut)
def customer_get(request: AuthedRequest, customer_id: int) -> Any:
    return _full(selectors.customers_visible_to(request.auth)).get(pk=customer_id)


@router.patch("/{int:customer_id}", response=CustomerOut, summary="Change some fields of a customer")
def customer_update(request: AuthedRequest, customer_id: int, payload: CustomerPatch) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    services.customer_update(customer=customer, by=request.auth, data=payload.model_dump(exclude_unset=True))
    return _full(Customer.objects.filter(pk=customer.pk)).get()


@router.delete("/{int:customer_id}", response={204: None})
def customer_delete(request: AuthedRequest, customer_id: int) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    services.customer_delete(customer=customer, by=request.auth)
    return Status(204, None)


@router.get("/{int:customer_id}/timeline", response=list[TimelineItemOut])
def customer_timeline(
    request: AuthedRequest,
    customer_id: int,
    before: Moment | None = None,
    limit: int = params.Query(50, ge=1, le=200),
) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    entries = selectors.customer_timeline(customer=customer, limit=limit, before=before)
    return [{"kind": e.kind, "at": e.at, e.kind: e.item} for e in entries]


@router.get("/{int:customer_id}/history", response=list[RevisionOut])
def customer_history(request: AuthedRequest, customer_id: int) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return list(customer.revisions.all()[:500])


@router.post("/{int:customer_id}/history/{int:number}/restore", response=CustomerOut)
def customer_restore(request: AuthedRequest, customer_id: int, number: int) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    revision = CustomerRevision.objects.get(customer=customer, number=number)
    services.customer_restore(customer=customer, revision=revision, by=request.auth)
    return _full(Customer.objects.filter(pk=customer.pk)).get()


@router.put("/{int:customer_id}/consents", response=ConsentOut, summary="Record consent for one channel")
def customer_consent(request: AuthedRequest, customer_id: int, payload: ConsentIn) -> Any:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return services.consent_set(customer=customer, by=request.auth, **payload.model_dump())


# --- organisations ---------------------------------------------------------------------------------------


@organizations_router.get("", response=CustomerPage, summary="List organisations")
def organization_list(request: AuthedRequest, filters: Query[CustomerFilters]) -> Any:
    filters.kind = "organization"
    return customer_list(request, filters)


@organizations_router.post("", response={201: CustomerOut}, summary="Create an organisation")
def organization_create(request: AuthedRequest, payload: CustomerCreate) -> Any:
    if payload.kind != "organization":
        payload.kind = "organization"
    return customer_create(request, payload)


def _organization(request: AuthedRequest, pk: int) -> Customer:
    return selectors.customers_visible_to(request.auth).get(pk=pk, kind=CustomerKind.ORGANIZATION)


@organizations_router.get("/{int:org_id}", response=CustomerOut)
def organization_get(request: AuthedRequest, org_id: int) -> Any:
    return _full(selectors.customers_visible_to(request.auth)).get(pk=org_id, kind=CustomerKind.ORGANIZATION)


@organizations_router.patch("/{int:org_id}", response=CustomerOut)
def organization_update(request: AuthedRequest, org_id: int, payload: CustomerPatch) -> Any:
    _organization(request, org_id)
    return customer_update(request, org_id, payload)


@organizations_router.delete("/{int:org_id}", response={204: None})
def organization_delete(request: AuthedRequest, org_id: int) -> Any:
    _organization(request, org_id)
    return customer_delete(request, org_id)


@organizations_router.get(
    "/{int:org_id}/tree", response=list[OrganizationNode], summary="The organisation and its sub-organisations"
)
def organization_tree(request: AuthedRequest, org_id: int) -> Any:
    root = _organization(request, org_id)
    return [
        {"id": o.pk, "display_name": o.display_name, "parent_id": o.parent_id, "depth": d}
        for o, d in selectors.organization_subtree(user=request.auth, roots=[root])
    ]


@organizations_router.get("/{int:org_id}/contacts", response=CustomerPage)
def organization_contacts(
    request: AuthedRequest, org_id: int, cursor: str | None = None, limit: int = params.Query(50, ge=1, le=200)
) -> Any:
    _organization(request, org_id)
    page = selectors.customer_list_page(user=request.auth, where=Q(organization_id=org_id), cursor=cursor, limit=limit)
    prefetch_related_objects(page.items, "phones", "emails")
    return {"items": page.items, "next_cursor": page.next_cursor}


# --- interactions ----------------------------------------------------------------------------------------


class InteractionFilters(Clean):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: str | None = None
    direction: str | None = None
    since: Moment | None = None
    until: Moment | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


@interactions_router.get("", response=InteractionPage)
def interaction_list(request: AuthedRequest, filters: Query[InteractionFilters]) -> Any:
    qs = selectors.interactions_visible_to(request.auth).select_related("related_type")
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lt=filters.until)
    page = paginate(qs, order=("-occurred_at", "-id"), cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@interactions_router.post("", response={201: InteractionOut})
def interaction_create(request: AuthedRequest, payload: InteractionIn) -> Any:
    data = payload.model_dump()
    customer = selectors.customer_get(user=request.auth, pk=data.pop("customer_id"))
    return Status(201, services.interaction_create(customer=customer, by=request.auth, **data))


@interactions_router.get("/{int:interaction_id}", response=InteractionOut)
def interaction_get(request: AuthedRequest, interaction_id: int) -> Any:
    return selectors.interactions_visible_to(request.auth).get(pk=interaction_id)


@interactions_router.patch("/{int:interaction_id}", response=InteractionOut)
def interaction_update(request: AuthedRequest, interaction_id: int, payload: InteractionPatch) -> Any:
    interaction = selectors.interactions_visible_to(request.auth).select_related("customer").get(pk=interaction_id)
    return services.interaction_update(
        interaction=interaction, by=request.auth, data=payload.model_dump(exclude_unset=True)
    )


@interactions_router.delete("/{int:interaction_id}", response={204: None})
def interaction_delete(request: AuthedRequest, interaction_id: int) -> Any:
    interaction = selectors.interactions_visible_to(request.auth).select_related("customer").get(pk=interaction_id)
    services.interaction_delete(interaction=interaction, by=request.auth)
    return Status(204, None)
