"""HTTP API for the sales forecast: the weighted pipeline by Jalali month, and the revenue forecast."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params import functions as params

from peyvand.core.http import AuthedRequest
from peyvand.customers.schemas import MAX_ID
from peyvand.sales import forecast
from peyvand.sales.models import Pipeline

forecast_router = Router(tags=["forecast"])


class PipelineMonthOut(Schema):
    month: str | None  # "1405-01"; null for the deals with no expected close date
    label: str
    count: int
    total: int
    weighted: int
    is_past: bool


class PipelineForecastOut(Schema):
    months: list[PipelineMonthOut]
    undated: PipelineMonthOut
    count: int
    total: int
    weighted: int


class MonthRevenueOut(Schema):
    month: str
    label: str
    revenue: int


class ForecastMonthOut(Schema):
    month: str
    label: str
    revenue: int
    lower: int
    upper: int


class HeldBackMonthOut(Schema):
    month: str
    label: str
    actual: int
    predicted: int


class HoldoutOut(Schema):
    months: int
    method: str | None
    mae: int | None
    mape: float | None
    points: list[HeldBackMonthOut]


class RevenueForecastOut(Schema):
    method: str
    enough_history: bool
    note: str
    interval: float
    history: list[MonthRevenueOut]
    current_month: MonthRevenueOut
    forecast: list[ForecastMonthOut]
    holdout: HoldoutOut


def pipeline_month_dict(line: forecast.PipelineMonth) -> dict[str, Any]:
    return {
        "month": line.month.key if line.month else None,
        "label": line.month.label() if line.month else _("No expected date"),
        "count": line.count,
        "total": line.total,
        "weighted": line.weighted,
        "is_past": line.is_past,
    }


def revenue_dict(result: forecast.RevenueForecast) -> dict[str, Any]:
    """The revenue forecast as the API answers it and the page's chart reads it."""
    return {
        "method": result.method,
        "enough_history": result.enough_history,
        "note": str(forecast_note(result)),
        "interval": result.interval,
        "history": [{"month": m.month.key, "label": m.month.label(), "revenue": m.revenue} for m in result.history],
        "current_month": {
            "month": result.current.month.key,
            "label": result.current.month.label(),
            "revenue": result.current.revenue,
        },
        "forecast": [
            {"month": m.month.key, "label": m.month.label(), "revenue": m.revenue, "lower": m.lower, "upper": m.upper}
            for m in result.forecast
        ],
        "holdout": {
            "months": len(result.holdout),
            "method": result.holdout_method,
            "mae": result.mae,
            "mape": result.mape,
            "points": [
                {"month": m.month.key, "label": m.month.label(), "actual": m.actual, "predicted": m.predicted}
                for m in result.holdout
            ],
        },
    }


def forecast_note(result: forecast.RevenueForecast) -> str:
    """One sentence saying which model made the forecast and, when it is not the seasonal one, why."""
    months = len(result.history)
    if result.method == forecast.Method.HOLT_WINTERS:
        return _("Holt-Winters model (additive trend and 12-month season) fitted on %(n)d months.") % {"n": months}
    if result.method == forecast.Method.NONE:
        return _("Not enough history: there are no orders before this month yet, so there is nothing to forecast.")
    names = {
        forecast.Method.SEASONAL_NAIVE: _("each month as it was a year before (seasonal naive)"),
        forecast.Method.TREND: _("a straight-line trend"),
        forecast.Method.MEAN: _("the average month"),
    }
    return _(
        "Not enough history for the seasonal model: %(n)d months of orders, it needs %(needed)d. "
        "The forecast is %(method)s."
    ) % {"n": months, "needed": forecast.MIN_SEASONAL_HISTORY, "method": names.get(result.method, result.method)}


@forecast_router.get(
    "/pipeline",
    response=PipelineForecastOut,
    summary="Open deals weighted by stage, per Jalali month of expected close",
)
def pipeline(
    request: AuthedRequest,
    pipeline_id: int | None = params.Query(None, ge=1, le=MAX_ID, description="default: every pipeline"),
) -> Any:
    if pipeline_id and not Pipeline.objects.filter(pk=pipeline_id).exists():
        raise Http404
    result = forecast.pipeline_forecast(user=request.auth, pipeline_id=pipeline_id)
    return {
        "months": [pipeline_month_dict(line) for line in result.months],
        "undated": pipeline_month_dict(result.undated),
        "count": result.count,
        "total": result.total,
        "weighted": result.weighted,
    }


@forecast_router.get(
    "/revenue",
    response=RevenueForecastOut,
    summary="Monthly revenue and its forecast, with the error on a held-back period",
)
def revenue(
    request: AuthedRequest,
    months: int = params.Query(
        forecast.DEFAULT_HORIZON, ge=1, le=forecast.MAX_HORIZON, description="months to forecast, this one first"
    ),
    holdout: int = params.Query(
        forecast.DEFAULT_HOLDOUT,
        ge=0,
        le=forecast.MAX_HOLDOUT,
        description="last complete months held back to measure the error (0: none)",
    ),
) -> Any:
    return revenue_dict(forecast.revenue_forecast(user=request.auth, months=months, holdout=holdout))
