"""Revenue per Jalali month from the orders a user can see, and its forecast with the held-back check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db import connection
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import JalaliMonth, current_month, months_between
from peyvand.sales.forecast.series import DEFAULT_HOLDOUT, DEFAULT_HORIZON, INTERVAL, forecast_series
from peyvand.sales.models import PURCHASE, Order
from peyvand.sales.selectors import owned_visible_to

# How far back the revenue history reaches: ten years is more than any seasonal model needs.
MAX_HISTORY_MONTHS = 120

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
