"""The HTTP API of the service desk's measures, ticket volume forecast and staffing (registered in core/api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params import functions as params

from peyvand.accounts.models import Team, User
from peyvand.core.http import AuthedRequest
from peyvand.customers.schemas import MAX_ID
from peyvand.sales.forecast import Method
from peyvand.service import staffing
from peyvand.service.measures import Measures, parse_period, ticket_measures
from peyvand.service.models import TicketCategory, TicketKind

__all__ = ["can_plan", "forecast_dict", "measures_dict", "measures_router", "staffing_dict"]

measures_router = Router(tags=["service"])


class PeriodOut(Schema):
    key: str  # "1405-09", "1405-01..1405-06" or "1405/09/01..1405/09/15"
    label: str
    first: dt.date
    last: dt.date


class FiguresOut(Schema):
    key: int | str | None  # the team, agent or category id, or the month ("1405-09"); null: none / the total
    label: str
    created: int
    resolved: int
    open: int
    open_by_status: dict[str, int]
    responded: int
    first_response_avg: float | None  # business minutes
    first_response_median: float | None
    resolution_avg: float | None
    resolution_median: float | None
    response_sla_total: int
    response_sla_met: int
    response_sla_percent: float | None
    resolution_sla_total: int
    resolution_sla_met: int
    resolution_sla_percent: float | None
    sla_percent: float | None
    reopened: int
    reopen_percent: float | None
    csat_count: int
    csat_avg: float | None


class MeasuresOut(Schema):
    period: PeriodOut
    group: str | None
    total: FiguresOut
    groups: list[FiguresOut]


class ForecastDayOut(Schema):
    day: dt.date
    tickets: float
    lower: float
    upper: float


class HistoryDayOut(Schema):
    day: dt.date
    tickets: int


class HeldBackDayOut(Schema):
    day: dt.date
    actual: int
    predicted: int


class TicketHoldoutOut(Schema):
    days: int
    method: str | None
    mae: int | None
    mape: float | None
    points: list[HeldBackDayOut]


class ForecastOut(Schema):
    method: str
    note: str
    enough_history: bool
    interval: float
    history: list[HistoryDayOut]
    forecast: list[ForecastDayOut]
    holdout: TicketHoldoutOut


class StaffingDayOut(Schema):
    day: dt.date
    open: bool
    tickets: float
    carried: float
    working_hours: float
    per_hour: float
    agents: int
    service_level: float | None
    mean_wait_seconds: float | None
    occupancy: float | None


class StaffingOut(Schema):
    handling_minutes: float
    measured_minutes: float | None
    target_seconds: int
    target_percent: float
    forecast: ForecastOut
    days: list[StaffingDayOut]


def can_plan(user: User) -> bool:
    """The forecast and the staffing plan are for managers and administrators."""
    return bool(user.is_admin_role or user.is_manager_role)


def measures_dict(result: Measures) -> dict[str, Any]:
    period = result.period
    return {
        "period": {"key": period.key, "label": period.label(), "first": period.first, "last": period.last},
        "group": result.group,
        "total": result.total.as_dict(),
        "groups": [line.as_dict() for line in result.groups],
    }


def forecast_note(volume: staffing.VolumeForecast) -> str:
    """One sentence saying which model made the forecast and, when it is not the seasonal one, why."""
    days = len(volume.history)
    method = volume.forecast.method
    if method == Method.HOLT_WINTERS:
        return _("Holt-Winters model (damped trend and weekly season) fitted on %(n)d days.") % {"n": days}
    if method == Method.NONE:
        return _("Not enough history: no tickets have arrived yet, so there is nothing to forecast.")
    how = (
        _("each weekday as the average of the same weekday in the last weeks (seasonal naive)")
        if method == Method.SEASONAL_NAIVE
        else _("the average day")
    )
    return _(
        "Not enough history for the seasonal model: %(n)d days of tickets, it needs %(needed)d. The forecast is "
        "%(method)s."
    ) % {"n": days, "needed": staffing.MIN_SEASONAL_HISTORY, "method": how}


def forecast_dict(volume: staffing.VolumeForecast) -> dict[str, Any]:
    checked = volume.backtest
    return {
        "method": volume.forecast.method,
        "note": forecast_note(volume),
        "enough_history": volume.enough_history,
        "interval": volume.interval,
        "history": [{"day": d, "tickets": n} for d, n in zip(volume.history_days, volume.history, strict=True)],
        "forecast": [
            {"day": d, "tickets": p, "lower": lo, "upper": hi}
            for d, p, lo, hi in zip(
                volume.days, volume.forecast.predicted, volume.forecast.lower, volume.forecast.upper, strict=True
            )
        ],
        "holdout": {
            "days": len(volume.holdout_days),
            "method": checked.method if checked else None,
            "mae": checked.mae if checked else None,
            "mape": checked.mape if checked else None,
            "points": [
                {"day": d, "actual": a, "predicted": p}
                for d, a, p in zip(volume.holdout_days, checked.actual, checked.predicted, strict=True)
            ]
            if checked
            else [],
        },
    }


def staffing_dict(plan: staffing.StaffingPlan) -> dict[str, Any]:
    return {
        "handling_minutes": plan.handling_minutes,
        "measured_minutes": plan.measured_minutes,
        "target_seconds": plan.target_seconds,
        "target_percent": plan.target_percent,
        "forecast": forecast_dict(plan.volume),
        "days": [
            {
                "day": line.day,
                "open": line.working_hours > 0,
                "tickets": line.tickets,
                "carried": line.carried,
                "working_hours": line.working_hours,
                "per_hour": line.per_hour,
                "agents": line.agents,
                "service_level": line.service_level,
                "mean_wait_seconds": line.mean_wait_seconds,
                "occupancy": line.occupancy,
            }
            for line in plan.days
        ],
    }


def _team(team_id: int | None) -> int | None:
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise Http404
    return team_id


def _kind(kind: str | None) -> str | None:
    if kind and kind not in TicketKind.values:
        raise ValidationError({"kind": _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(TicketKind.values)}})
    return kind or None


@measures_router.get(
    "/measures",
    response=MeasuresOut,
    summary="Ticket measures for a period, in total and per team, agent, category or Jalali month",
)
def measures(
    request: AuthedRequest,
    period: str = params.Query(
        "", max_length=40, description="1405-09, 1405-01..1405-06, or 1405/09/01..1405/09/15; default: this month"
    ),
    group: str | None = params.Query(None, max_length=20, description="team, agent, category or month"),
    team_id: int | None = params.Query(None, ge=1, le=MAX_ID, description="the team and its sub-teams"),
    agent_id: int | None = params.Query(None, ge=1, le=MAX_ID),
    category_id: int | None = params.Query(None, ge=1, le=MAX_ID, description="the category and its sub-categories"),
) -> Any:
    chosen = parse_period(period)
    if category_id is not None and not TicketCategory.objects.filter(pk=category_id).exists():
        raise Http404
    result = ticket_measures(
        user=request.auth,
        period=chosen,
        group=group or None,
        team_id=_team(team_id),
        agent_id=agent_id,
        category_id=category_id,
    )
    return measures_dict(result)


@measures_router.get(
    "/forecast",
    response=ForecastOut,
    summary="Tickets per day: the last year and the next days' forecast, with the error on held-back days",
)
def forecast(
    request: AuthedRequest,
    days: int = params.Query(28, ge=1, le=staffing.MAX_FORECAST_DAYS, description="days to forecast, today first"),
    holdout: int = params.Query(
        staffing.DEFAULT_HOLDOUT_DAYS,
        ge=0,
        le=staffing.MAX_HOLDOUT_DAYS,
        description="last days of history held back to measure the error (0: none)",
    ),
    team_id: int | None = params.Query(None, ge=1, le=MAX_ID, description="the team and its sub-teams"),
    kind: str | None = params.Query(
        None, max_length=20, description="only tickets of this kind: request, complaint, question, suggestion"
    ),
) -> Any:
    if not can_plan(request.auth):
        raise PermissionDenied
    volume = staffing.ticket_forecast(
        user=request.auth, days=days, holdout=holdout, team_id=_team(team_id), kind=_kind(kind)
    )
    return forecast_dict(volume)


@measures_router.get(
    "/staffing",
    response=StaffingOut,
    summary="Agents needed per day for a service-level target (Erlang C) from the ticket forecast",
)
def staffing_needed(
    request: AuthedRequest,
    days: int = params.Query(14, ge=1, le=staffing.MAX_FORECAST_DAYS, description="days to plan, today first"),
    target_seconds: int = params.Query(
        staffing.DEFAULT_TARGET_SECONDS, ge=1, le=7 * 86400, description="answered within this many seconds"
    ),
    target_percent: float = params.Query(
        staffing.DEFAULT_TARGET_PERCENT, gt=0, lt=100, description="share of tickets answered within the target"
    ),
    aht_minutes: float | None = params.Query(
        None, gt=0, le=1440, description="handling minutes per ticket; default: PEYVAND_TICKET_HANDLING_MINUTES"
    ),
    team_id: int | None = params.Query(None, ge=1, le=MAX_ID, description="the team and its sub-teams"),
    kind: str | None = params.Query(
        None, max_length=20, description="only tickets of this kind: request, complaint, question, suggestion"
    ),
) -> Any:
    if not can_plan(request.auth):
        raise PermissionDenied
    plan = staffing.staffing_plan(
        user=request.auth,
        days=days,
        target_seconds=target_seconds,
        target_percent=target_percent,
        aht_minutes=aht_minutes,
        team_id=_team(team_id),
        kind=_kind(kind),
    )
    return staffing_dict(plan)
