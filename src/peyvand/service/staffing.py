"""Ticket volume forecast and staffing: tickets per day from history, the next weeks forecast with a weekly season
(with its error on a held-back period), and the agents each day needs for a service-level target (Erlang C).

The database counts the tickets per day (one GROUP BY); the statistics are pure functions over the daily series
(`forecast_daily`, `erlang_c`, `agents_for`), tested on generated series and textbook values.

Handling time. Erlang C needs the time an agent works on one ticket. The tickets do not record it: the business
minutes from arrival (or first response) to resolution are mostly time spent waiting — in the queue, for the
customer, behind other tickets — so they overstate it many times over. The plan therefore uses the setting
PEYVAND_TICKET_HANDLING_MINUTES (default 12), or the value given with the request, and shows the measured
median resolution time beside it only as an upper bound to judge that setting against.

Arrivals. A day's tickets are spread evenly over its working hours (`working_calendar().hours_of(day)`); tickets
that arrive on a closed day (a Friday, a holiday) wait for the next working day and are added to its load.
The agents are for the day's average hour: busier hours need more.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import Substr, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from peyvand.accounts.models import Team, User
from peyvand.sales.forecast import INTERVAL, Backtest, Method
from peyvand.service.calendar import working_calendar
from peyvand.service.models import Ticket
from peyvand.service.selectors import tickets_visible_to

__all__ = [
    "DEFAULT_HOLDOUT_DAYS",
    "DEFAULT_TARGET_PERCENT",
    "DEFAULT_TARGET_SECONDS",
    "HISTORY_DAYS",
    "MAX_FORECAST_DAYS",
    "MAX_HOLDOUT_DAYS",
    "MIN_SEASONAL_HISTORY",
    "SEASON",
    "DailyForecast",
    "StaffingDay",
    "StaffingPlan",
    "VolumeForecast",
    "agents_for",
    "daily_arrivals",
    "erlang_c",
    "forecast_daily",
    "handling_minutes",
    "measured_handling_proxy",
    "service_level",
    "staffing_plan",
    "ticket_forecast",
]

SEASON = 7
# Four weeks: the fewest days from which Holt-Winters can tell the weekly pattern from the level's drift.
MIN_SEASONAL_HISTORY = 4 * SEASON
HISTORY_DAYS = 365
MAX_FORECAST_DAYS = 90
DEFAULT_HOLDOUT_DAYS = 14
MAX_HOLDOUT_DAYS = 56
DEFAULT_TARGET_SECONDS = 3600
DEFAULT_TARGET_PERCENT = 80.0
# More agents than this for one day means the inputs are wrong (a handling time in hours, a typo'd target).
MAX_AGENTS = 5000
_Z = {0.80: 1.2815515655446004, 0.90: 1.6448536269514722, 0.95: 1.959963984540054}


# --- counting ------------------------------------------------------------------------------------------


# SQLite keeps an aware datetime as UTC text; Tehran's midnight is 20:30 UTC (19:30 in the years Iran kept summer
# time, until 2022), so a UTC day falls into at most three parts whose Tehran date is the same throughout (as
# sales.forecast counts orders per day): text operations, not a time-zone conversion per row in Python.
_UTC_DAY_PARTS = (dt.time(0, 0), dt.time(19, 30), dt.time(20, 30))


def _count_by_local_date(tickets: QuerySet[Ticket]) -> dict[dt.date, int]:
    zone = timezone.get_default_timezone()
    counts: dict[dt.date, int] = defaultdict(int)
    if connection.vendor == "sqlite":
        clock = Substr("created_at", 12, 5, output_field=CharField())
        part = Case(
            When(GreaterThanOrEqual(clock, Value("20:30")), then=Value(2)),
            When(GreaterThanOrEqual(clock, Value("19:30")), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        rows = (
            tickets.order_by()
            .annotate(day=Substr("created_at", 1, 10, output_field=CharField()), part=part)
            .values("day", "part")
            .annotate(n=Count("id"))
            .values_list("day", "part", "n")
        )
        for day, index, n in rows:
            moment = dt.datetime.combine(dt.date.fromisoformat(day), _UTC_DAY_PARTS[index], tzinfo=dt.UTC)
            counts[moment.astimezone(zone).date()] += n
        return counts
    for local_day, n in (
        tickets.order_by().annotate(day=TruncDate("created_at", tzinfo=zone)).values("day").annotate(n=Count("id"))
    ).values_list("day", "n"):
        counts[local_day] += n
    return counts


def _scoped(user: User, team_id: int | None, kind: str | None) -> QuerySet[Ticket]:
    tickets = tickets_visible_to(user)
    if team_id is not None:
        path = Team.objects.filter(pk=team_id).values_list("path", flat=True).first() or "\0"
        tickets = tickets.filter(team_id__in=Team.objects.filter(path__startswith=path).values("pk"))
    if kind:
        tickets = tickets.filter(kind=kind)
    return tickets


def daily_arrivals(
    *, user: User, first: dt.date, last: dt.date, team_id: int | None = None, kind: str | None = None
) -> list[int]:
    """Tickets `user` may see that arrived on each local day from `first` to `last` (both included)."""
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    tickets = _scoped(user, team_id, kind).filter(created_at__gte=start, created_at__lt=end)
    counts = _count_by_local_date(tickets)
    return [counts.get(first + dt.timedelta(days=n), 0) for n in range((last - first).days + 1)]


# --- the forecast ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyForecast:
    method: str
    predicted: list[float]
    lower: list[float]
    upper: list[float]


def _holt_winters(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Imported when first needed: statsmodels takes seconds to import, which not every process need pay.
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        # Convergence notes on short or very regular series are expected and say nothing to the user.
        warnings.simplefilter("ignore")
        # A damped trend: a few busy weeks must not be extrapolated into an ever-growing line.
        model = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=SEASON,
            initialization_method="estimated",
        )
        fit = model.fit()
        predicted = np.asarray(fit.forecast(horizon), dtype=float)
        sigma = float(np.std(np.asarray(fit.resid, dtype=float)))
    if not (np.all(np.isfinite(predicted)) and math.isfinite(sigma)):
        raise ValueError("Holt-Winters gave no finite forecast")
    return predicted, sigma


def _seasonal_naive(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Each day as the same weekday averaged over the last (up to four) weeks; the spread is that of the
    # week-on-week changes.
    n = len(y)
    weeks = min(4, n // SEASON)
    profile = np.mean([y[n - SEASON * (w + 1) : n - SEASON * w] for w in range(weeks)], axis=0)
    predicted = np.array([profile[h % SEASON] for h in range(horizon)], dtype=float)
    changes = y[SEASON:] - y[:-SEASON]
    return predicted, float(np.std(changes)) if len(changes) > 1 else float(np.std(y))


def fit_predict_daily(values: Sequence[int], horizon: int) -> tuple[str, np.ndarray, float]:
    """(method, the next `horizon` days, the one-step spread): Holt-Winters (damped additive trend, additive
    weekly season) from four weeks of history; a seasonal naive forecast from one week; the mean below that."""
    y = np.asarray(values, dtype=float)
    if len(y) == 0:
        return Method.NONE, np.zeros(horizon), 0.0
    if len(y) >= MIN_SEASONAL_HISTORY and np.ptp(y) > 0:
        try:
            predicted, sigma = _holt_winters(y, horizon)
            return Method.HOLT_WINTERS, predicted, sigma
        except (ValueError, np.linalg.LinAlgError):
            pass  # falls back to the seasonal naive forecast below
    if len(y) >= SEASON:
        predicted, sigma = _seasonal_naive(y, horizon)
        return Method.SEASONAL_NAIVE, predicted, sigma
    return Method.MEAN, np.full(horizon, float(np.mean(y))), float(np.std(y))


def _count(value: float) -> float:
    # Tickets are never negative; a tenth of a ticket is the finest a day's forecast is shown to.
    return max(0.0, round(float(value), 1)) if math.isfinite(value) else 0.0


def forecast_daily(values: Sequence[int], *, horizon: int, interval: float = INTERVAL) -> DailyForecast:
    """The next `horizon` days of a daily series with a prediction interval: the forecast ± z × the one-step
    spread × √(1 + whole weeks ahead), the error of a seasonal random walk, which grows week by week."""
    method, predicted, sigma = fit_predict_daily(values, horizon)
    z = _Z.get(interval, _Z[INTERVAL])
    width = [z * sigma * math.sqrt(1 + h // SEASON) for h in range(horizon)]
    return DailyForecast(
        method=method,
        predicted=[_count(v) for v in predicted],
        lower=[_count(v - w) for v, w in zip(predicted, width, strict=True)],
        upper=[_count(v + w) for v, w in zip(predicted, width, strict=True)],
    )


def backtest_daily(values: Sequence[int], holdout: int) -> Backtest | None:
    """Fitted without the last `holdout` days, what the model says about them; None when the history is too
    short to hold that many days back and still have a week to fit on."""
    if holdout < 1 or len(values) < holdout + SEASON:
        return None
    method, predicted, _sigma = fit_predict_daily(values[:-holdout], holdout)
    actual = [int(v) for v in values[-holdout:]]
    guessed = [round(_count(v)) for v in predicted]
    errors = [abs(a - p) for a, p in zip(actual, guessed, strict=True)]
    mae = round(sum(errors) / len(errors))
    ratios = [abs(a - p) / a for a, p in zip(actual, guessed, strict=True) if a > 0]
    mape = round(100 * sum(ratios) / len(ratios), 2) if ratios else None
    return Backtest(method, actual, guessed, mae, mape)


@dataclass(frozen=True)
class VolumeForecast:
    history_days: list[dt.date]
    history: list[int]
    days: list[dt.date]
    forecast: DailyForecast
    holdout_days: list[dt.date]
    backtest: Backtest | None
    enough_history: bool
    interval: float


def ticket_forecast(
    *,
    user: User,
    days: int = 28,
    holdout: int = DEFAULT_HOLDOUT_DAYS,
    team_id: int | None = None,
    kind: str | None = None,
    today: dt.date | None = None,
) -> VolumeForecast:
    """Tickets per day for the next `days` days (from today) from the last year's arrivals up to yesterday, and
    the error of the same model on the last `holdout` days of history."""
    today = today or timezone.localdate()
    last = today - dt.timedelta(days=1)
    first = today - dt.timedelta(days=HISTORY_DAYS)
    counts = daily_arrivals(user=user, first=first, last=last, team_id=team_id, kind=kind)
    # The history starts at the first day with a ticket: the empty days before the desk opened are not a lull.
    start = next((i for i, n in enumerate(counts) if n), len(counts))
    history = counts[start:]
    history_days = [first + dt.timedelta(days=start + i) for i in range(len(history))]
    checked = backtest_daily(history, holdout)
    return VolumeForecast(
        history_days=history_days,
        history=history,
        days=[today + dt.timedelta(days=i) for i in range(days)],
        forecast=forecast_daily(history, horizon=days),
        holdout_days=history_days[-holdout:] if checked else [],
        backtest=checked,
        enough_history=len(history) >= MIN_SEASONAL_HISTORY,
        interval=INTERVAL,
    )


# --- Erlang C -------------------------------------------------------------------------------------------


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a ticket waits (Erlang C) with `agents` agents and `traffic` Erlangs offered.

    Through Erlang B's recurrence, B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), then C = N·B / (N − A·(1 − B)):
    only ratios below one, so no factorial or power overflows however many agents. 1 when the agents cannot
    keep up (N ≤ A): the queue then grows without end."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, handling_seconds: float, target_seconds: float) -> float:
    """The share of tickets answered within `target_seconds`: 1 − C(N, A) · e^(−(N − A) · t / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(agents, traffic)
    return 1 - waits * math.exp(-(agents - traffic) * target_seconds / handling_seconds)


def agents_for(
    *, per_hour: float, handling_minutes: float, target_seconds: float, target_percent: float
) -> tuple[int, float, float]:
    """(agents, service level reached, mean wait in seconds): the fewest agents whose service level meets
    `target_percent` % within `target_seconds`, for `per_hour` tickets an hour taking `handling_minutes` each.
    No tickets, no agents."""
    if per_hour <= 0:
        return 0, 1.0, 0.0
    handling_seconds = handling_minutes * 60
    traffic = per_hour * handling_minutes / 60
    agents = max(1, math.floor(traffic) + 1)
    while agents < MAX_AGENTS:
        level = service_level(agents, traffic, handling_seconds, target_seconds)
        if level * 100 >= target_percent:
            break
        agents += 1
    level = service_level(agents, traffic, handling_seconds, target_seconds)
    wait = erlang_c(agents, traffic) * handling_seconds / (agents - traffic) if agents > traffic else math.inf
    return agents, level, wait


# --- the plan -------------------------------------------------------------------------------------------


def handling_minutes() -> float:
    """The handling time the plan assumes unless told otherwise (PEYVAND_TICKET_HANDLING_MINUTES, default 12)."""
    value = getattr(settings, "PEYVAND_TICKET_HANDLING_MINUTES", 12)
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return 12.0
    return minutes if 0 < minutes <= 24 * 60 else 12.0


def measured_handling_proxy(*, user: User, team_id: int | None = None, days: int = 90) -> float | None:
    """The median business minutes to resolution of the tickets resolved in the last `days` days and never
    reopened: an upper bound of the handling time (it includes the time in the queue), shown beside the one the
    plan uses. None when none were resolved."""
    from peyvand.service.measures import medians_by

    since = timezone.now() - dt.timedelta(days=days)
    tickets = _scoped(user, team_id, None).filter(resolved_at__gte=since, reopen_count=0)
    medians = medians_by(tickets, Value(0), "resolution_minutes")
    return round(medians[0], 1) if medians else None


@dataclass(frozen=True)
class StaffingDay:
    day: dt.date
    tickets: float  # the forecast for the day itself
    carried: float  # tickets of the closed days before it, waiting for it
    working_hours: float
    per_hour: float
    agents: int
    service_level: float | None
    mean_wait_seconds: float | None
    occupancy: float | None


@dataclass(frozen=True)
class StaffingPlan:
    volume: VolumeForecast
    handling_minutes: float
    measured_minutes: float | None
    target_seconds: int
    target_percent: float
    days: list[StaffingDay]


def staffing_plan(
    *,
    user: User,
    days: int = 14,
    target_seconds: int = DEFAULT_TARGET_SECONDS,
    target_percent: float = DEFAULT_TARGET_PERCENT,
    aht_minutes: float | None = None,
    team_id: int | None = None,
    kind: str | None = None,
    today: dt.date | None = None,
) -> StaffingPlan:
    """Agents needed on each of the next `days` days for `target_percent` % of tickets answered within
    `target_seconds`, from the volume forecast and the handling time (`aht_minutes`, or the setting)."""
    volume = ticket_forecast(user=user, days=days, team_id=team_id, kind=kind, today=today)
    calendar = working_calendar()
    minutes = aht_minutes or handling_minutes()
    lines: list[StaffingDay] = []
    waiting = 0.0
    for day, expected in zip(volume.days, volume.forecast.predicted, strict=True):
        hours = calendar.hours_of(day)
        if hours is None:
            waiting += expected
            lines.append(StaffingDay(day, expected, 0.0, 0.0, 0.0, 0, None, None, None))
            continue
        working = (hours[1] - hours[0]).total_seconds() / 3600
        load = expected + waiting
        per_hour = load / working
        agents, level, wait = agents_for(
            per_hour=per_hour, handling_minutes=minutes, target_seconds=target_seconds, target_percent=target_percent
        )
        occupancy = per_hour * minutes / 60 / agents if agents else None
        lines.append(
            StaffingDay(
                day,
                expected,
                round(waiting, 1),
                round(working, 2),
                round(per_hour, 2),
                agents,
                round(level, 4),
                round(wait, 1) if math.isfinite(wait) else None,
                round(occupancy, 3) if occupancy is not None else None,
            )
        )
        waiting = 0.0
    return StaffingPlan(
        volume=volume,
        handling_minutes=minutes,
        measured_minutes=measured_handling_proxy(user=user, team_id=team_id),
        target_seconds=target_seconds,
        target_percent=target_percent,
        days=lines,
    )
