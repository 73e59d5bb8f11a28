"""HTTP API for SLA policies (administrators write, managers read), the holiday list (everyone reads,
administrators write) and the due time calculator; thin endpoints over sla_services and sla_selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Router, Status

from peyvand.core.http import AuthedRequest
from peyvand.core.jalali import to_jalali_string
from peyvand.service.models import Holiday, SlaPolicy
from peyvand.service.sla_schemas import (
    DueTimeIn,
    DueTimeOut,
    HolidayFilters,
    HolidayIn,
    HolidayLoadIn,
    HolidayLoadOut,
    HolidayOut,
    SlaPolicyCreate,
    SlaPolicyOut,
    SlaPolicyPatch,
    SlaReorderIn,
)
from peyvand.service.sla_selectors import (
    current_jalali_year,
    due_time,
    holiday_list,
    jalali_moment,
    sla_policy_get,
    sla_policy_list,
)
from peyvand.service.sla_services import (
    holiday_add,
    holiday_remove,
    holidays_load_year,
    require_desk_admin,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_reorder,
    sla_policy_update,
)

sla_policies_router = Router(tags=["service"])
holidays_router = Router(tags=["service"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators change this (`forbidden`).", **_ERROR}}}
_READERS = {"responses": {403: {"description": "Managers and administrators only (`forbidden`).", **_ERROR}}}


# --- SLA policies -----------------------------------------------------------------------------------------


@sla_policies_router.get(
    "", response=list[SlaPolicyOut], summary="SLA policies in the order they are tried", openapi_extra=_READERS
)
def policy_list(request: AuthedRequest) -> Any:
    return list(sla_policy_list(user=request.auth))


@sla_policies_router.post("", response={201: SlaPolicyOut}, summary="Add an SLA policy", openapi_extra=_ADMINS_ONLY)
def policy_create(request: AuthedRequest, payload: SlaPolicyCreate) -> Any:
    return Status(201, sla_policy_create(by=request.auth, data=payload.model_dump(exclude_unset=True)))


@sla_policies_router.post(
    "/reorder",
    response=list[SlaPolicyOut],
    summary="Put the listed policies first, in that order",
    openapi_extra=_ADMINS_ONLY,
)
def policy_reorder(request: AuthedRequest, payload: SlaReorderIn) -> Any:
    return sla_policy_reorder(by=request.auth, ids=payload.ids)


@sla_policies_router.post(
    "/due-time",
    response=DueTimeOut,
    summary="When a number of business minutes from a start falls on the working calendar",
    openapi_extra=_READERS,
)
def policy_due_time(request: AuthedRequest, payload: DueTimeIn) -> Any:
    sla_policy_list(user=request.auth)  # the same readers as the policies
    due = due_time(start=payload.start, minutes=payload.minutes)
    return {
        "start": payload.start,
        "minutes": payload.minutes,
        # In UTC like every time the API gives: Tehran's local offset before 1946 had seconds (+03:25:44),
        # which an RFC 3339 date-time cannot write.
        "due_at": due.astimezone(dt.UTC),
        "due_at_jalali": jalali_moment(due),
    }


@sla_policies_router.get("/{int:policy_id}", response=SlaPolicyOut, openapi_extra=_READERS)
def policy_get(request: AuthedRequest, policy_id: int) -> Any:
    return sla_policy_get(user=request.auth, pk=policy_id)


@sla_policies_router.patch(
    "/{int:policy_id}", response=SlaPolicyOut, summary="Change some fields of a policy", openapi_extra=_ADMINS_ONLY
)
def policy_update(request: AuthedRequest, policy_id: int, payload: SlaPolicyPatch) -> Any:
    require_desk_admin(request.auth)
    policy = SlaPolicy.objects.get(pk=policy_id)
    return sla_policy_update(policy=policy, by=request.auth, data=payload.model_dump(exclude_unset=True))


@sla_policies_router.delete(
    "/{int:policy_id}",
    response={204: None},
    summary="Remove a policy (one that tickets were held to is deactivated instead)",
    openapi_extra=_ADMINS_ONLY,
)
def policy_delete(request: AuthedRequest, policy_id: int) -> Any:
    require_desk_admin(request.auth)
    sla_policy_delete(policy=SlaPolicy.objects.get(pk=policy_id), by=request.auth)
    return Status(204, None)


# --- holidays ---------------------------------------------------------------------------------------------


def _holiday_out(holiday: Holiday) -> dict[str, Any]:
    return {"id": holiday.pk, "date": holiday.date, "jalali_date": to_jalali_string(holiday.date), "name": holiday.name}


@holidays_router.get("", response=list[HolidayOut], summary="The holidays of a Jalali year (default: this year)")
def holidays_of_year(request: AuthedRequest, filters: Query[HolidayFilters]) -> Any:
    year = filters.year or current_jalali_year()
    return [_holiday_out(holiday) for holiday in holiday_list(year=year)]


@holidays_router.post("", response={201: HolidayOut}, summary="Add a holiday", openapi_extra=_ADMINS_ONLY)
def holiday_create(request: AuthedRequest, payload: HolidayIn) -> Any:
    return Status(201, _holiday_out(holiday_add(by=request.auth, date=payload.date, name=payload.name)))


@holidays_router.post(
    "/load",
    response=HolidayLoadOut,
    summary="Add a year's official holidays (days already listed keep their names)",
    openapi_extra=_ADMINS_ONLY,
)
def holiday_load(request: AuthedRequest, payload: HolidayLoadIn) -> Any:
    result = holidays_load_year(by=request.auth, year=payload.year)
    return {"year": result.year, "added": result.added, "kept": result.kept}


@holidays_router.delete(
    "/{int:holiday_id}", response={204: None}, summary="Remove a holiday", openapi_extra=_ADMINS_ONLY
)
def holiday_delete(request: AuthedRequest, holiday_id: int) -> Any:
    require_desk_admin(request.auth)
    holiday_remove(by=request.auth, holiday=Holiday.objects.get(pk=holiday_id))
    return Status(204, None)
