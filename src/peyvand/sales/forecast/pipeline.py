"""The weighted pipeline: open deals by Jalali month of expected close, weighted by their stage's chance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Sum
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import JalaliMonth, months_between
from peyvand.sales.models import OPEN_DEAL, Stage
from peyvand.sales.selectors import deals_visible_to

# Pipeline months are filled in between (empty months shown as zero) while they span at most this many.
MAX_FILLED_PIPELINE_MONTHS = 36


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
