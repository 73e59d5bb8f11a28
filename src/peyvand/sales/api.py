"""HTTP API for sales: products, pipelines, deals and competitors; thin endpoints over services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Query, Router, Status
from ninja.params import functions as params

from peyvand.core.http import AuthedRequest
from peyvand.customers.schemas import MAX_ID
from peyvand.sales import selectors, services
from peyvand.sales.models import Pipeline, Product
from peyvand.sales.schemas import (
    BoardOut,
    CompetitorIn,
    CompetitorOut,
    DealContactIn,
    DealContactOut,
    DealCreate,
    DealFilters,
    DealMove,
    DealOut,
    DealPage,
    DealPatch,
    PipelineOut,
    ProductCreate,
    ProductFilters,
    ProductOut,
    ProductPage,
    ProductPatch,
)

products_router = Router(tags=["sales"])
pipelines_router = Router(tags=["sales"])
deals_router = Router(tags=["sales"])
competitors_router = Router(tags=["sales"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CONFLICT = {
    "responses": {
        409: {
            "description": "The deal changed since you read it (`conflict`): nothing was written; read it again.",
            **_ERROR,
        }
    }
}
_MANAGERS_ONLY = {
    "responses": {403: {"description": "Only managers and administrators keep the catalogue (`forbidden`).", **_ERROR}}
}


# --- products ---------------------------------------------------------------------------------------------


@products_router.get("", response=ProductPage, summary="List the catalogue of products and services")
def product_list(request: AuthedRequest, filters: Query[ProductFilters]) -> Any:
    page = selectors.product_list(
        text=filters.q or "", kind=filters.kind, is_active=filters.is_active, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@products_router.post(
    "",
    response={201: ProductOut},
    summary="Add a product or service (managers, admins)",
    openapi_extra=_MANAGERS_ONLY,
)
def product_create(request: AuthedRequest, payload: ProductCreate) -> Any:
    return Status(201, services.product_create(by=request.auth, data=payload.model_dump(exclude_unset=True)))


@products_router.get("/{int:product_id}", response=ProductOut)
def product_get(request: AuthedRequest, product_id: int) -> Any:
    return Product.objects.get(pk=product_id)


@products_router.patch(
    "/{int:product_id}",
    response=ProductOut,
    summary="Change a product (managers, admins)",
    openapi_extra=_MANAGERS_ONLY,
)
def product_update(request: AuthedRequest, product_id: int, payload: ProductPatch) -> Any:
    product = Product.objects.get(pk=product_id)
    return services.product_update(product=product, by=request.auth, data=payload.model_dump(exclude_unset=True))


# --- pipelines --------------------------------------------------------------------------------------------


@pipelines_router.get("", response=list[PipelineOut], summary="Pipelines with their stages, the default first")
def pipeline_list(request: AuthedRequest) -> Any:
    return list(selectors.pipeline_list())


# --- competitors ------------------------------------------------------------------------------------------


@competitors_router.get("", response=list[CompetitorOut])
def competitor_list(request: AuthedRequest, q: str = params.Query("", max_length=200)) -> Any:
    return list(selectors.competitor_list(text=q)[:500])


@competitors_router.post("", response={201: CompetitorOut}, summary="Add a competitor")
def competitor_create(request: AuthedRequest, payload: CompetitorIn) -> Any:
    return Status(201, services.competitor_create(by=request.auth, name=payload.name))


# --- deals ------------------------------------------------------------------------------------------------


@deals_router.get("", response=DealPage, summary="List deals")
def deal_list(request: AuthedRequest, filters: Query[DealFilters]) -> Any:
    where = selectors.deal_filter(
        pipeline_id=filters.pipeline_id,
        stage_id=filters.stage_id,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        customer_id=filters.customer_id,
        status=filters.status,
        expected_close_from=filters.expected_close_from,
        expected_close_to=filters.expected_close_to,
    )
    page = selectors.deal_list(
        user=request.auth, where=where, order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@deals_router.post("", response={201: DealOut}, summary="Create a deal")
def deal_create(request: AuthedRequest, payload: DealCreate) -> Any:
    deal = services.deal_create(by=request.auth, **payload.model_dump())
    return Status(201, selectors.deal_get(user=request.auth, pk=deal.pk))


@deals_router.get("/board", response=BoardOut, summary="The pipeline as a board: per stage, counts, sums, deals")
def deal_board(
    request: AuthedRequest,
    pipeline: int | None = params.Query(None, ge=1, le=MAX_ID, description="default: the default pipeline"),
    limit: int = params.Query(selectors.BOARD_COLUMN_LIMIT, ge=1, le=200, description="deals shown per column"),
) -> Any:
    chosen = Pipeline.objects.filter(pk=pipeline).first() if pipeline else selectors.default_pipeline()
    if chosen is None:
        raise Http404
    columns = selectors.deal_board(user=request.auth, pipeline=chosen, limit=limit)
    return {
        "pipeline_id": chosen.pk,
        "pipeline_name": chosen.label,
        "columns": [
            {"stage": c.stage, "count": c.count, "total": c.total, "weighted": c.weighted, "deals": c.deals}
            for c in columns
        ],
    }


@deals_router.get("/{int:deal_id}", response=DealOut)
def deal_get(request: AuthedRequest, deal_id: int) -> Any:
    return selectors.deal_get(user=request.auth, pk=deal_id)


@deals_router.patch("/{int:deal_id}", response=DealOut, summary="Change some fields of a deal", openapi_extra=_CONFLICT)
def deal_update(request: AuthedRequest, deal_id: int, payload: DealPatch) -> Any:
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.deal_update(deal=deal, by=request.auth, version=version, data=data)
    return selectors.deal_get(user=request.auth, pk=deal_id)


@deals_router.post(
    "/{int:deal_id}/move",
    response=DealOut,
    summary="Move a deal to another stage of its pipeline (won, lost, reopened)",
    openapi_extra=_CONFLICT,
)
def deal_move(request: AuthedRequest, deal_id: int, payload: DealMove) -> Any:
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_move(deal=deal, by=request.auth, **payload.model_dump())
    return selectors.deal_get(user=request.auth, pk=deal_id)


@deals_router.put(
    "/{int:deal_id}/contacts/{int:contact_id}", response=DealContactOut, summary="Name a person's role in a deal"
)
def deal_contact_set(request: AuthedRequest, deal_id: int, contact_id: int, payload: DealContactIn) -> Any:
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    return services.deal_contact_set(deal=deal, by=request.auth, contact_id=contact_id, role=payload.role)


@deals_router.delete("/{int:deal_id}/contacts/{int:contact_id}", response={204: None})
def deal_contact_remove(request: AuthedRequest, deal_id: int, contact_id: int) -> Any:
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_contact_remove(deal=deal, by=request.auth, contact_id=contact_id)
    return Status(204, None)
