"""HTTP API for contracts (files, renewal) and sales targets: thin endpoints over services and selectors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from peyvand.core.downloads import stored_file_download
from peyvand.core.http import AuthedRequest
from peyvand.sales import contract_selectors as selectors
from peyvand.sales.contract_schemas import (
    ContractCreate,
    ContractFileOut,
    ContractFilters,
    ContractOut,
    ContractPage,
    ContractPatch,
    ContractRenew,
    ContractTerminate,
    TargetFilters,
    TargetIn,
    TargetOut,
)
from peyvand.sales.models import Contract, Target
from peyvand.sales.services import contracts as contract_services
from peyvand.sales.services import targets as target_services

contracts_router = Router(tags=["contracts"])
targets_router = Router(tags=["targets"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_SETTERS_ONLY = {
    "responses": {403: {"description": "Only managers and administrators set targets (`forbidden`).", **_ERROR}}
}


def _contract(request: AuthedRequest, contract_id: int) -> Contract:
    return selectors.contract_get(user=request.auth, pk=contract_id)


# --- contracts --------------------------------------------------------------------------------------------


@contracts_router.get("", response=ContractPage, summary="List contracts")
def contract_list(request: AuthedRequest, filters: Query[ContractFilters]) -> Any:
    where = selectors.contract_filter(
        status=filters.status,
        customer_id=filters.customer_id,
        owner_id=filters.owner_id,
        ending_within_days=filters.ending_within_days,
    )
    page = selectors.contract_list(user=request.auth, where=where, cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@contracts_router.post("", response={201: ContractOut}, summary="Create a contract (a draft)")
def contract_create(request: AuthedRequest, payload: ContractCreate) -> Any:
    contract = contract_services.contract_create(by=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, _contract(request, contract.pk))


@contracts_router.get("/{int:contract_id}", response=ContractOut)
def contract_get(request: AuthedRequest, contract_id: int) -> Any:
    return _contract(request, contract_id)


@contracts_router.patch("/{int:contract_id}", response=ContractOut, summary="Change some fields of a contract")
def contract_update(request: AuthedRequest, contract_id: int, payload: ContractPatch) -> Any:
    contract = _contract(request, contract_id)
    contract_services.contract_update(contract=contract, by=request.auth, data=payload.model_dump(exclude_unset=True))
    return _contract(request, contract_id)


@contracts_router.post("/{int:contract_id}/activate", response=ContractOut, summary="Put a draft contract in force")
def contract_activate(request: AuthedRequest, contract_id: int) -> Any:
    contract_services.contract_activate(contract=_contract(request, contract_id), by=request.auth)
    return _contract(request, contract_id)


@contracts_router.post("/{int:contract_id}/terminate", response=ContractOut, summary="End a contract early")
def contract_terminate(request: AuthedRequest, contract_id: int, payload: ContractTerminate) -> Any:
    contract_services.contract_terminate(
        contract=_contract(request, contract_id), by=request.auth, reason=payload.reason
    )
    return _contract(request, contract_id)


@contracts_router.post(
    "/{int:contract_id}/renew",
    response={201: ContractOut},
    summary="Renew a contract: answers with the new contract; the old one becomes `renewed`",
)
def contract_renew(request: AuthedRequest, contract_id: int, payload: ContractRenew) -> Any:
    renewal = contract_services.contract_renew(
        contract=_contract(request, contract_id), by=request.auth, **payload.model_dump()
    )
    return Status(201, _contract(request, renewal.pk))


@contracts_router.get("/{int:contract_id}/files", response=list[ContractFileOut], summary="A contract's files")
def contract_file_list(request: AuthedRequest, contract_id: int) -> Any:
    return list(_contract(request, contract_id).files.all())


@contracts_router.post(
    "/{int:contract_id}/files",
    response={201: ContractFileOut},
    summary="Attach a file (PDF, JPG, PNG, DOCX, XLSX, ODT; at most 20 MB)",
)
def contract_file_add(request: AuthedRequest, contract_id: int, file: File[UploadedFile]) -> Any:
    contract = _contract(request, contract_id)
    return Status(201, contract_services.contract_file_add(contract=contract, by=request.auth, upload=file))


@contracts_router.get(
    "/{int:contract_id}/files/{int:file_id}",
    response={200: None},
    summary="Download a contract's file",
    openapi_extra={"responses": {200: {"description": "the file, as an attachment"}}},
)
def contract_file_download(request: AuthedRequest, contract_id: int, file_id: int) -> HttpResponseBase:
    row = selectors.contract_file_get(user=request.auth, contract_id=contract_id, file_id=file_id)
    return stored_file_download(request, row.file, filename=row.name, content_type=row.content_type)


@contracts_router.delete("/{int:contract_id}/files/{int:file_id}", response={204: None}, summary="Remove a file")
def contract_file_remove(request: AuthedRequest, contract_id: int, file_id: int) -> Any:
    row = selectors.contract_file_get(user=request.auth, contract_id=contract_id, file_id=file_id)
    contract_services.contract_file_remove(file=row, by=request.auth)
    return Status(204, None)


# --- targets ----------------------------------------------------------------------------------------------


def _target_out(row: selectors.TargetRow) -> dict[str, Any]:
    target = row.target
    return {
        "id": target.pk,
        "user_id": target.user_id,
        "user_name": str(target.user) if target.user_id else None,
        "team_id": target.team_id,
        "team_name": target.team.name if target.team_id and target.team else None,
        "metric": target.metric,
        "period": target.period,
        "jalali_year": target.jalali_year,
        "period_number": target.period_number,
        "amount": target.amount,
        "achieved": row.progress.achieved,
        "percent": row.progress.percent,
        "expected_by_now": row.progress.expected_by_now,
        "created_at": target.created_at,
        "updated_at": target.updated_at,
    }


@targets_router.get("", response=list[TargetOut], summary="Targets of a Jalali period with their progress")
def target_list(request: AuthedRequest, filters: Query[TargetFilters]) -> Any:
    current = selectors.current_period(filters.period)
    year = filters.jalali_year or current.jalali_year
    number = current.number if filters.period_number is None else filters.period_number
    if filters.period == "year":
        number = 0
    try:
        selectors.period_of(filters.period, year, number)
    except ValueError:
        raise ValidationError({"period_number": [_("No such month or quarter.")]}) from None
    rows = selectors.targets_with_progress(
        user=request.auth, jalali_year=year, period=filters.period, period_number=number, metric=filters.metric
    )
    return [_target_out(row) for row in rows]


def _set(request: AuthedRequest, payload: TargetIn) -> dict[str, Any]:
    target = target_services.target_set(by=request.auth, **payload.model_dump())
    target = Target.objects.select_related("user", "team").get(pk=target.pk)
    [row] = selectors.targets_progress([target])
    return _target_out(row)


@targets_router.post(
    "", response=TargetOut, summary="Set a target (made, or changed if set)", openapi_extra=_SETTERS_ONLY
)
def target_create(request: AuthedRequest, payload: TargetIn) -> Any:
    return _set(request, payload)


@targets_router.put("", response=TargetOut, summary="Set a target (the same as POST)", openapi_extra=_SETTERS_ONLY)
def target_put(request: AuthedRequest, payload: TargetIn) -> Any:
    return _set(request, payload)


@targets_router.get("/{int:target_id}", response=TargetOut)
def target_get(request: AuthedRequest, target_id: int) -> Any:
    target = selectors.targets_visible_to(request.auth).select_related("user", "team").get(pk=target_id)
    [row] = selectors.targets_progress([target])
    return _target_out(row)


@targets_router.delete("/{int:target_id}", response={204: None}, summary="Delete a target", openapi_extra=_SETTERS_ONLY)
def target_delete(request: AuthedRequest, target_id: int) -> Any:
    target = selectors.targets_visible_to(request.auth).get(pk=target_id)
    target_services.target_delete(target=target, by=request.auth)
    return Status(204, None)
