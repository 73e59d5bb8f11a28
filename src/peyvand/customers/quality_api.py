"""HTTP API for data quality: the duplicate review queue, merges and their undo, and the data-health counts.

Mounted at /api/v1/data-quality; the health counts are GET /api/v1/customers/health (declared in
customers.api, which imports `health_report` and `HealthOut` from here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from peyvand.accounts.models import User
from peyvand.core.http import AuthedRequest
from peyvand.core.pagination import paginate
from peyvand.customers import duplicates, health, selectors, services
from peyvand.customers.models import CONSENT_CHANNELS, CustomerMerge, DuplicateCandidate
from peyvand.customers.schemas import MAX_ID, Clean, Strict
from peyvand.customers.services.merge import CONSENT_KEY, MERGE_FIELDS

router = Router(tags=["data quality"])


class HealthItem(Schema):
    count: int
    label: str
    list_url: str = Field(description="the customer list page filtered to exactly these customers")
    api_filter: str = Field(description="the same filter for GET /api/v1/customers")


class HealthOut(Schema):
    total: int
    inactive_months: int
    problems: dict[str, HealthItem]


def health_report(*, user: User, inactive_months: int) -> dict[str, Any]:
    counts = health.data_health(user, inactive_months)
    problems = {}
    for key, label in health.PROBLEMS.items():
        api_filter = f"health={key}" + (f"&inactive_months={inactive_months}" if key == "inactive" else "")
        problems[key] = {
            "count": counts[key],
            "label": str(label),
            "list_url": health.health_list_url(key, inactive_months=inactive_months),
            "api_filter": api_filter,
        }
    return {"total": counts["total"], "inactive_months": inactive_months, "problems": problems}


class CustomerSide(Schema):
    id: int
    display_name: str


class DuplicateOut(Schema):
    id: int
    first: CustomerSide
    second: CustomerSide
    kind: str
    reasons: list[str]
    score: float
    status: str
    found_by: str
    created_at: datetime


class DuplicatePage(Schema):
    items: list[DuplicateOut]
    next_cursor: str | None


class DuplicateFilters(Clean):
    kind: Literal["certain", "probable"] | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class MergeIn(Strict):
    survivor_id: int = Field(ge=1, le=MAX_ID)
    merged_id: int = Field(ge=1, le=MAX_ID)
    chosen: dict[str, Literal["survivor", "merged"]] = Field(
        default_factory=dict,
        description=(
            f"field → side to keep; fields: {', '.join(MERGE_FIELDS)}. Where both customers have a consent "
            f"record for a channel and they differ, {', '.join(CONSENT_KEY + c for c in CONSENT_CHANNELS)} "
            "choose which record stands; a channel left out keeps the latest decision (an opt-out recorded at "
            "the same moment as an opt-in wins). The merge's `chosen` lists every such channel as decided."
        ),
    )
    candidate_id: int | None = Field(None, ge=1, le=MAX_ID)


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    candidate_id: int | None
    chosen: dict[str, str]
    moved: dict[str, list[int]]
    created_at: datetime
    undone_at: datetime | None


def _visible_candidate(request: AuthedRequest, pk: int) -> DuplicateCandidate:
    return duplicates.open_duplicates_visible_to(request.auth).get(pk=pk)


@router.get("/duplicates", response=DuplicatePage, summary="Open suspected duplicates, best first")
def duplicate_list(request: AuthedRequest, filters: Query[DuplicateFilters]) -> Any:
    qs = duplicates.open_duplicates_visible_to(request.auth)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    page = paginate(qs, order=("-score", "-id"), cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/duplicates/{int:candidate_id}/dismiss", response=DuplicateOut, summary="Not a duplicate")
def duplicate_dismiss(request: AuthedRequest, candidate_id: int) -> Any:
    # A pair the user cannot see is 404; one they see but may not review is 403 (from the service).
    return services.duplicate_dismiss(candidate=_visible_candidate(request, candidate_id), by=request.auth)


@router.post("/merges", response={201: MergeOut}, summary="Merge one customer into another")
def merge_create(request: AuthedRequest, payload: MergeIn) -> Any:
    visible = selectors.customers_visible_to(request.auth)
    survivor = visible.get(pk=payload.survivor_id)
    merged = visible.get(pk=payload.merged_id)
    candidate = None
    if payload.candidate_id is not None:
        candidate = _visible_candidate(request, payload.candidate_id)
    merge = services.customer_merge(
        survivor=survivor, merged=merged, by=request.auth, chosen=payload.chosen, candidate=candidate
    )
    return Status(201, merge)


@router.post("/merges/{int:merge_id}/undo", response=MergeOut, summary="Undo a merge")
def merge_undo(request: AuthedRequest, merge_id: int) -> Any:
    merge = get_object_or_404(CustomerMerge, pk=merge_id)
    return services.customer_merge_undo(merge=merge, by=request.auth)
