"""The sales forecast: open deals weighted by their stage's chance, per Jalali month of expected close, and next
months' revenue forecast from order history (Holt-Winters), with its error on a held-back period.

Reads only. The database adds up (one GROUP BY per figure, never a row per deal or order in Python); the months
are Jalali and the days Tehran's; the statistics are pure functions over the monthly series (`forecast_series`),
so they are tested on generated series whose continuation is known. Money comes back in whole Rials.
"""

from __future__ import annotations

from typing import Any

from peyvand.core.jalali import JalaliMonth, current_month, months_between
from peyvand.sales.forecast.pipeline import (
    MAX_FILLED_PIPELINE_MONTHS,
    PipelineForecast,
    PipelineMonth,
    pipeline_forecast,
)
from peyvand.sales.forecast.revenue import (
    MAX_HISTORY_MONTHS,
    ForecastMonth,
    HeldBackMonth,
    MonthFigure,
    RevenueForecast,
    monthly_revenue,
    revenue_forecast,
)
from peyvand.sales.forecast.series import (
    DEFAULT_HOLDOUT,
    DEFAULT_HORIZON,
    INTERVAL,
    MAX_HOLDOUT,
    MAX_HORIZON,
    MIN_SEASONAL_HISTORY,
    SEASON,
    Backtest,
    Method,
    SeriesForecast,
    SeriesResult,
    backtest,
    fit_predict,
    forecast_series,
)

__all__ = [
    "DEFAULT_HOLDOUT",
    "DEFAULT_HORIZON",
    "INTERVAL",
    "MAX_FILLED_PIPELINE_MONTHS",
    "MAX_HISTORY_MONTHS",
    "MAX_HOLDOUT",
    "MAX_HORIZON",
    "MIN_SEASONAL_HISTORY",
    "SEASON",
    "Backtest",
    "ForecastMonth",
    "HeldBackMonth",
    "JalaliMonth",
    "Method",
    "MonthFigure",
    "PipelineForecast",
    "PipelineMonth",
    "RevenueForecast",
    "SeriesForecast",
    "SeriesResult",
    "as_dict",
    "backtest",
    "current_month",
    "fit_predict",
    "forecast_series",
    "monthly_revenue",
    "months_between",
    "pipeline_forecast",
    "revenue_forecast",
]


def as_dict(value: Any) -> Any:
    """Dataclasses of this package as plain JSON values (months as their key), for the API and the charts."""
    if isinstance(value, JalaliMonth):
        return value.key
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: as_dict(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
