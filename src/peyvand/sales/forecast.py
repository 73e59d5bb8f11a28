"""The sales forecast: open deals weighted by their stage's chance, per Jalali month of expected close, and next
months' revenue forecast from order history (Holt-Winters), with its error on a held-back period.

Reads only. The database adds up (one GROUP BY per figure, never a row per deal or order in Python); the months
are Jalali and the days Tehran's; the statistics are pure functions over the monthly series (`forecast_series`),
so they are tested on generated series whose continuation is known. Money comes back in whole Rials.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import total_ordering
from typing import Any

import jdatetime
import numpy as np
from django.db import connection
from django.db.models import Case, CharField, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import JALALI_MONTHS
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.sales.models import OPEN_DEAL, PURCHASE, Order, Stage
from peyvand.sales.selectors import deals_visible_to, owned_visible_to

# Calendar data, not interface text (as core.jalali's names): the months are Jalali in either language.
JALALI_MONTHS_EN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)
SEASON = 12
# Two full years: the fewest months from which Holt-Winters can tell a seasonal pattern from a trend.
MIN_SEASONAL_HISTORY = 2 * SEASON
# How far back the revenue history reaches: ten years is more than any seasonal model needs.
MAX_HISTORY_MONTHS = 120
DEFAULT_HORIZON = 6
DEFAULT_HOLDOUT = 6
MAX_HORIZON = 24
MAX_HOLDOUT = 24
# The prediction interval: 80 %, the usual band in sales forecasting (95 % is so wide it says little).
INTERVAL = 0.80
_Z = {0.80: 1.2815515655446004, 0.90: 1.6448536269514722, 0.95: 1.959963984540054}
# Pipeline months are filled in between (empty months shown as zero) while they span at most this many.
MAX_FILLED_PIPELINE_MONTHS = 36


# --- Jalali months ----------------------------------------------------------------------------------------


@total_ordering
@dataclass(frozen=True)
class JalaliMonth:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> JalaliMonth:
        jalali = jdatetime.date.fromgregorian(date=day)
        return cls(jalali.year, jalali.month)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, JalaliMonth):
            return NotImplemented
        return (self.year, self.month) < (other.year, other.month)

    def shifted(self, months: int) -> JalaliMonth:
        index = self.year * 12 + self.month - 1 + months
        return JalaliMonth(index // 12, index % 12 + 1)

    def months_since(self, other: JalaliMonth) -> int:
        return (self.year - other.year) * 12 + self.month - other.month

    @property
    def first_day(self) -> date:
        """The Gregorian date of the month's first day."""
        gregorian: date = jdatetime.date(self.year, self.month, 1).togregorian()
        return gregorian

    def starts_at(self) -> datetime:
        """Midnight in the site's time zone (Asia/Tehran) on the month's first day, an aware datetime."""
        return timezone.make_aware(datetime.combine(self.first_day, time()), timezone.get_default_timezone())

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self, lang: str | None = None) -> str:
        """«فروردین ۱۴۰۵» in Persian, «Farvardin 1405» otherwise."""
        if is_persian(lang):
            return f"{JALALI_MONTHS[self.month - 1]} {to_persian_digits(str(self.year))}"
        return f"{JALALI_MONTHS_EN[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return self.key


def months_between(first: JalaliMonth, last: JalaliMonth) -> list[JalaliMonth]:
    """Every month from `first` to `last`, both included."""
    return [first.shifted(i) for i in range(last.months_since(first) + 1)]


def current_month(now: datetime | None = None) -> JalaliMonth:
    return JalaliMonth.of(timezone.localdate(now or timezone.now()))


# --- weighted pipeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineMonth:
    """Open deals expected to close in one Jalali month (`month` None: deals with no expected date)."""

    month: JalaliMonth | None
    count: int
    total: int
    # Σ amount × the stage's probability / 100, rounded down to a Rial once per month (not per deal).
    weighted: int
    # The month is over and the deals in it are still open: their expected dates need a look.
    is_past: bool


@dataclass(frozen=True)
class PipelineForecast:
    months: list[PipelineMonth]
    undated: PipelineMonth
    count: int
    total: int
    weighted: int


def pipeline_forecast(*, user: User, pipeline_id: int | None = None, today: date | None = None) -> PipelineForecast:
    """The open deals `user` can see (of one pipeline, or all), by Jalali month of expected close.

    One GROUP BY (expected date, stage) in the database; the days are then folded into Jalali months here,
    at most one row per distinct date and stage, whatever the number of deals.
    """
    today = today or timezone.localdate()
    this_month = JalaliMonth.of(today)
    deals = deals_visible_to(user).filter(OPEN_DEAL)
    if pipeline_id:
        deals = deals.filter(pipeline_id=pipeline_id)
    rows = (
        deals.order_by()
        .values("expected_close_date", "stage_id")
        .annotate(count=Count("id"), total=Sum("amount"))
        .values_list("expected_close_date", "stage_id", "count", "total")
    )
    probability = dict(Stage.objects.values_list("id", "probability"))
    # Per month: count, Σ amount and Σ amount × probability (exact, divided by 100 once at the end).
    sums: dict[JalaliMonth | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    month_of: dict[date, JalaliMonth] = {}
    for day, stage_id, count, total in rows:
        month = None if day is None else month_of.get(day) or month_of.setdefault(day, JalaliMonth.of(day))
        # Sum() of a bigint is a numeric (a Decimal) on PostgreSQL: made an int here, exact either way.
        amount = int(total or 0)
        bucket = sums[month]
        bucket[0] += int(count)
        bucket[1] += amount
        bucket[2] += amount * probability.get(stage_id, 0)

    def line(month: JalaliMonth | None) -> PipelineMonth:
        count, total, weighted = sums.get(month, (0, 0, 0))
        return PipelineMonth(month, count, total, weighted // 100, month is not None and month < this_month)

    dated = sorted(month for month in sums if month is not None)
    if dated and dated[-1].months_since(dated[0]) < MAX_FILLED_PIPELINE_MONTHS:
        dated = months_between(dated[0], dated[-1])
    months = [line(month) for month in dated]
    undated = line(None)
    every = [*months, undated]
    return PipelineForecast(
        months=months,
        undated=undated,
        count=sum(m.count for m in every),
        total=sum(m.total for m in every),
        weighted=sum(m.weighted for m in every),
    )


# --- the statistics (pure functions over a monthly series) ------------------------------------------------


class Method:
    HOLT_WINTERS = "holt_winters"
    SEASONAL_NAIVE = "seasonal_naive"
    TREND = "trend"
    MEAN = "mean"
    NONE = "none"


@dataclass(frozen=True)
class SeriesForecast:
    method: str
    predicted: list[int]
    lower: list[int]
    upper: list[int]


@dataclass(frozen=True)
class Backtest:
    """The model fitted without the last months, and what it would have said about them."""

    method: str
    actual: list[int]
    predicted: list[int]
    mae: int
    # Mean absolute percentage error over the months with revenue; None when none had any.
    mape: float | None


@dataclass(frozen=True)
class SeriesResult:
    forecast: SeriesForecast
    backtest: Backtest | None
    # Whether the history was long enough for the seasonal model.
    enough_history: bool


def _rial(value: float) -> int:
    # Revenue is never negative; a model's float becomes whole Rials here and nowhere else.
    return max(0, round(value)) if math.isfinite(value) else 0


def _holt_winters(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Imported when first needed: statsmodels takes a few seconds to import, which every process need not pay.
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

    # Revenue in Rials runs to 10^12 and more; the optimiser behaves best near 1, so the series is scaled.
    scale = float(np.mean(np.abs(y))) or 1.0
    with warnings.catch_warnings():
        # Convergence notes on short or perfectly regular series are expected and say nothing to the user.
        warnings.simplefilter("ignore")
        # The starting level, trend and season from the first two years (the heuristic), and only the three
        # smoothing weights optimised, by SLSQP without a brute-force grid search first: ~0.03 s a fit against
        # ~0.3-0.8 s for optimising the 17 starting values as well. On generated series (60 months, 2-3 % noise)
        # the forecasts differ by under one percent of a month's revenue, well inside the noise.
        model = ExponentialSmoothing(
            y / scale, trend="add", seasonal="add", seasonal_periods=SEASON, initialization_method="heuristic"
        )
        fit = model.fit(method="SLSQP", use_brute=False)
        predicted = np.asarray(fit.forecast(horizon), dtype=float) * scale
        sigma = float(np.std(np.asarray(fit.resid, dtype=float))) * scale
    if not (np.all(np.isfinite(predicted)) and math.isfinite(sigma)):
        raise ValueError("Holt-Winters gave no finite forecast")
    return predicted, sigma


def _seasonal_naive(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Each month as it was a year before; the spread is that of the year-on-year changes.
    n = len(y)
    predicted = np.array([y[n - SEASON + (h % SEASON)] for h in range(horizon)], dtype=float)
    changes = y[SEASON:] - y[:-SEASON]
    return predicted, float(np.std(changes)) if len(changes) > 1 else float(abs(changes[0]))


def _trend(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    t = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    ahead = np.arange(len(y), len(y) + horizon, dtype=float)
    residuals = y - (slope * t + intercept)
    return slope * ahead + intercept, float(np.std(residuals))


def _mean(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    return np.full(horizon, float(np.mean(y))), float(np.std(y))


def fit_predict(values: Sequence[int], horizon: int) -> tuple[str, np.ndarray, float]:
    """(method, the next `horizon` values, the one-step spread) for a monthly series.

    Holt-Winters (additive trend and 12-month season) from two years of history; with less, the documented
    fall-backs: a seasonal naive forecast from 13 months, a straight-line trend from 3, the mean below that.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n == 0:
        return Method.NONE, np.zeros(horizon), 0.0
    if n >= MIN_SEASONAL_HISTORY and np.ptp(y) > 0:
        try:
            predicted, sigma = _holt_winters(y, horizon)
            return Method.HOLT_WINTERS, predicted, sigma
        except (ValueError, np.linalg.LinAlgError):
            pass  # falls back to the seasonal naive forecast below
    if n > SEASON:
        predicted, sigma = _seasonal_naive(y, horizon)
        return Method.SEASONAL_NAIVE, predicted, sigma
    if n >= 3:
        predicted, sigma = _trend(y, horizon)
        return Method.TREND, predicted, sigma
    predicted, sigma = _mean(y, horizon)
    return Method.MEAN, predicted, sigma


def backtest(values: Sequence[int], holdout: int) -> Backtest | None:
    """Fit on all but the last `holdout` months, forecast them, and compare; None when there is too little
    history to hold any back (fewer months than the held-back period and one more)."""
    if holdout < 1 or len(values) <= holdout:
        return None
    method, predicted, _sigma = fit_predict(values[:-holdout], holdout)
    actual = [int(v) for v in values[-holdout:]]
    guessed = [_rial(float(v)) for v in predicted]
    errors = [abs(a - p) for a, p in zip(actual, guessed, strict=True)]
    # Integer arithmetic for the money figure: half up to a Rial.
    mae = (2 * sum(errors) + len(errors)) // (2 * len(errors))
    ratios = [abs(a - p) / a for a, p in zip(actual, guessed, strict=True) if a > 0]
    mape = round(100 * sum(ratios) / len(ratios), 2) if ratios else None
    return Backtest(method, actual, guessed, mae, mape)


def forecast_series(
    values: Sequence[int], *, horizon: int = DEFAULT_HORIZON, holdout: int = DEFAULT_HOLDOUT, interval: float = INTERVAL
) -> SeriesResult:
    """The next `horizon` months of a monthly series with a prediction interval, and the error the same method
    makes on the last `holdout` months when fitted without them (0: no held-back check).

    The interval is the forecast ± z × the one-step spread × √(months ahead): the spread of a random walk's
    error, which grows with the distance, as every forecast's does.
    """
    method, predicted, sigma = fit_predict(values, horizon)
    z = _Z.get(interval, _Z[INTERVAL])
    width = [z * sigma * math.sqrt(h + 1) for h in range(horizon)]
    forecast = SeriesForecast(
        method=method,
        predicted=[_rial(float(v)) for v in predicted],
        lower=[_rial(float(v) - w) for v, w in zip(predicted, width, strict=True)],
        upper=[_rial(float(v) + w) for v, w in zip(predicted, width, strict=True)],
    )
    return SeriesResult(forecast, backtest(values, holdout), len(values) >= MIN_SEASONAL_HISTORY)


# --- revenue forecast (the selector part) -----------------------------------------------------------------


# SQLite keeps an aware datetime as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]". Tehran's midnight is 20:30 UTC
# (19:30 in the years Iran kept summer time, until 2022), so a UTC day falls into at most three parts whose
# Tehran date is the same throughout: before 19:30, 19:30-20:30, from 20:30.
_UTC_DAY_PARTS = (("00:00", time(0, 0)), ("19:30", time(19, 30)), ("20:30", time(20, 30)))


def _revenue_by_local_date(orders: QuerySet[Order]) -> dict[date, int]:
    """Σ net_total of `orders` per date in the site's time zone, added up by the database.

    PostgreSQL converts each time itself (AT TIME ZONE, in C). On SQLite Django's time-zone conversion is a
    Python function called per row (seconds for millions of orders), so there the rows are grouped by their UTC
    day and the part of it (see _UTC_DAY_PARTS), plain text operations, and each group is converted once here.
    """
    zone = timezone.get_default_timezone()
    totals: dict[date, int] = defaultdict(int)
    if connection.vendor == "sqlite":
        utc_text = Substr("ordered_at", 12, 5, output_field=CharField())
        part = Case(
            When(GreaterThanOrEqual(utc_text, Value("20:30")), then=Value(2)),
            When(GreaterThanOrEqual(utc_text, Value("19:30")), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        rows = (
            orders.order_by()
            .annotate(day=Substr("ordered_at", 1, 10, output_field=CharField()), part=part)
            .values("day", "part")
            .annotate(revenue=Sum("net_total"))
            .values_list("day", "part", "revenue")
        )
        for day, part_index, revenue in rows:
            moment = datetime.combine(date.fromisoformat(day), _UTC_DAY_PARTS[part_index][1], tzinfo=UTC)
            totals[moment.astimezone(zone).date()] += int(revenue or 0)
        return totals
    rows_pg = (
        orders.order_by()
        .annotate(day=TruncDate("ordered_at", tzinfo=zone))
        .values("day")
        .annotate(revenue=Sum("net_total"))
        .values_list("day", "revenue")
    )
    for local_day, revenue in rows_pg:
        # Sum() of a bigint is a numeric (a Decimal) on PostgreSQL: made an int here, exact either way.
        totals[local_day] += int(revenue or 0)
    return totals


def monthly_revenue(*, user: User, first: JalaliMonth, last: JalaliMonth, where: Q | None = None) -> list[int]:
    """Net revenue (before VAT) of the purchase orders `user` can see, per Jalali month from `first` to `last`
    (both included; months in Tehran time). One GROUP BY (per local date) in the database; the dates, at most a
    few thousand, are folded into Jalali months here."""
    months = months_between(first, last)
    orders = owned_visible_to(Order.objects.filter(PURCHASE), user).filter(where or Q())
    if first.months_since(JalaliMonth.of(timezone.localdate())) > -MAX_HISTORY_MONTHS:
        # A short span reads its orders along the date index; the whole history is cheaper read in one pass
        # (SQLite walks the date index for a range covering nearly every row, a row at a time). Orders outside
        # the span are then left out below, a date at a time.
        orders = orders.filter(ordered_at__gte=first.starts_at(), ordered_at__lt=last.shifted(1).starts_at())
    index = {month: i for i, month in enumerate(months)}
    totals = [0] * len(months)
    for day, revenue in _revenue_by_local_date(orders).items():
        slot = index.get(JalaliMonth.of(day))
        if slot is not None:
            totals[slot] += revenue
    return totals


@dataclass(frozen=True)
class MonthFigure:
    month: JalaliMonth
    revenue: int


@dataclass(frozen=True)
class ForecastMonth:
    month: JalaliMonth
    revenue: int
    lower: int
    upper: int


@dataclass(frozen=True)
class HeldBackMonth:
    month: JalaliMonth
    actual: int
    predicted: int


@dataclass(frozen=True)
class RevenueForecast:
    # Complete months, from the first with any visible revenue to the last one before this month.
    history: list[MonthFigure]
    forecast: list[ForecastMonth]
    method: str
    enough_history: bool
    interval: float
    # This month so far (it is not over, so it is neither history nor fitted).
    current: MonthFigure
    holdout_method: str | None
    holdout: list[HeldBackMonth]
    mae: int | None
    mape: float | None


def revenue_forecast(
    *,
    user: User,
    months: int = DEFAULT_HORIZON,
    holdout: int = DEFAULT_HOLDOUT,
    now: datetime | None = None,
) -> RevenueForecast:
    """Revenue of the orders `user` can see, month by month, and its forecast for this month and the next
    `months - 1`, with the held-back check on the last `holdout` complete months."""
    this_month = current_month(now)
    first = this_month.shifted(-MAX_HISTORY_MONTHS)
    totals = monthly_revenue(user=user, first=first, last=this_month)
    past, so_far = totals[:-1], totals[-1]
    start = next((i for i, value in enumerate(past) if value), len(past))
    series = past[start:]
    result = forecast_series(series, horizon=months, holdout=holdout)
    history = [MonthFigure(first.shifted(start + i), value) for i, value in enumerate(series)]
    ahead = [
        ForecastMonth(this_month.shifted(h), value, low, high)
        for h, (value, low, high) in enumerate(
            zip(result.forecast.predicted, result.forecast.lower, result.forecast.upper, strict=True)
        )
    ]
    check = result.backtest
    held_back = (
        [
            HeldBackMonth(figure.month, actual, predicted)
            for figure, actual, predicted in zip(
                history[-len(check.actual) :], check.actual, check.predicted, strict=True
            )
        ]
        if check
        else []
    )
    return RevenueForecast(
        history=history,
        forecast=ahead,
        method=result.forecast.method,
        enough_history=result.enough_history,
        interval=INTERVAL,
        current=MonthFigure(this_month, so_far),
        holdout_method=check.method if check else None,
        holdout=held_back,
        mae=check.mae if check else None,
        mape=check.mape if check else None,
    )


def as_dict(value: Any) -> Any:
    """Dataclasses of this module as plain JSON values (months as their key), for the API and the charts."""
    if isinstance(value, JalaliMonth):
        return value.key
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: as_dict(getattr(value, name)) for name in value.__dataclass_fields__}
    return value
