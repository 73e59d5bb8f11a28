"""HTTP API of the suppression list under /api/v1/comms/suppressions: managers read, administrators change."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from peyvand.comms.suppression.schemas import (
    SuppressionFiltersIn,
    SuppressionPage,
    SuppressionsAdded,
    SuppressionsIn,
)
from peyvand.comms.suppression.selectors import SuppressionFilters, suppression_list, suppressions_visible_to
from peyvand.comms.suppression.services import suppressions_add, unsuppress
from peyvand.core.http import AuthedRequest

router = Router(tags=["Channels"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators (`forbidden`).", **_ERROR}}}
_READERS = {"responses": {403: {"description": "Only managers and administrators (`forbidden`).", **_ERROR}}}


@router.get(
    "",
    response=SuppressionPage,
    summary="The suppression list, newest first (managers and admins)",
    openapi_extra=_READERS,
)
def suppression_list_endpoint(request: AuthedRequest, filters: Query[SuppressionFiltersIn]) -> Any:
    wanted = SuppressionFilters(q=filters.q or "", channel=filters.channel or "", reason=filters.reason or "")
    page = suppression_list(user=request.auth, filters=wanted, cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "",
    response={201: SuppressionsAdded},
    summary="Suppress one or many addresses (admins); those already listed are left as they were",
    openapi_extra=_ADMINS_ONLY,
)
def suppression_add_endpoint(request: AuthedRequest, payload: SuppressionsIn) -> Any:
    result = suppressions_add(
        by=request.auth,
        channel=payload.channel,
        addresses=payload.addresses,
        reason=payload.reason,
        source=payload.source,
    )
    return Status(201, {"added": result.added, "already": result.already})


@router.delete(
    "/{int:suppression_id}",
    response={204: None},
    summary="Take an address off the suppression list (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def suppression_delete_endpoint(request: AuthedRequest, suppression_id: int) -> Any:
    entry = suppressions_visible_to(request.auth).get(pk=suppression_id)
    unsuppress(suppression=entry, by=request.auth)
    return Status(204, None)
