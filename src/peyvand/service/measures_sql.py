"""The SQL pieces of the service measures: the median on either database, Jalali months as a CASE over their
UTC boundaries, and the expressions that steer SQLite's choice of index."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Aggregate, Case, Count, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When

from peyvand.core.jalali import JalaliMonth


class Median(Aggregate):
    """PostgreSQL's exact median (the mean of the two middle values of an even count)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def medians_by(rows: QuerySet[Any], group: Any, value: str) -> dict[Any, float]:
    """The median of `value` per `group` over `rows`: PostgreSQL's aggregate; on SQLite, which has none, read
    from the values' histogram (see _histogram_medians)."""
    rows = rows.filter(**{f"{value}__isnull": False}).order_by()
    if connection.vendor == "postgresql":
        found = rows.annotate(g=group).values("g").annotate(m=Median(value)).values_list("g", "m")
        return {key: float(median) for key, median in found if median is not None}
    return _histogram_medians(rows, group, value)[0]


def medians_and_total(rows: QuerySet[Any], group: Any, value: str) -> tuple[dict[Any, float], float | None]:
    """The median of `value` per `group` and over all `rows` together: two aggregates on PostgreSQL; on SQLite
    both from one histogram."""
    if connection.vendor == "postgresql":
        return medians_by(rows, group, value), medians_by(rows, Value(0), value).get(0)
    return _histogram_medians(rows.filter(**{f"{value}__isnull": False}).order_by(), group, value)


def _histogram_medians(rows: QuerySet[Any], group: Any, value: str) -> tuple[dict[Any, float], float | None]:
    """Medians per group and over all from `SELECT g, v, COUNT(*) … GROUP BY g, v`: the values are whole
    minutes, so a month's tens of thousands of tickets come back as a few thousand (group, value, count) rows,
    one sort in the database, and the middle of each group (and of all) is found by walking the counts. Two
    window numberings over every row cost three times as much at a million tickets."""
    try:
        found = list(
            rows.annotate(g=group, v=F(value)).values("g", "v").annotate(n=Count("pk")).values_list("g", "v", "n")
        )
    except EmptyResultSet:  # the reader sees no ticket at all
        return {}, None
    per_group: dict[Any, dict[int, int]] = {}
    whole: dict[int, int] = {}
    for key, minutes, n in found:
        bucket = per_group.setdefault(key, {})
        bucket[minutes] = bucket.get(minutes, 0) + n
        whole[minutes] = whole.get(minutes, 0) + n
    medians = {key: median for key, counts in per_group.items() if (median := _middle(counts)) is not None}
    return medians, _middle(whole)


def _middle(counts: dict[int, int]) -> float | None:
    """The median of values given as value → how many times: the mean of the two middle ones for an even count."""
    total = sum(counts.values())
    if not total:
        return None
    low, high = (total + 1) // 2, (total + 2) // 2  # 1-based positions of the middle (the same one when odd)
    seen, found = 0, list[int]()
    for minutes in sorted(counts):
        seen += counts[minutes]
        while len(found) < 2 and seen >= (low, high)[len(found)]:
            found.append(minutes)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def prefixed(condition: Q, prefix: str) -> Q:
    """`condition` on a related model: every lookup under `prefix` (the ticket scope read from an answer)."""
    out = Q()
    out.connector, out.negated = condition.connector, condition.negated
    children: list[Any] = list(condition.children)
    out.children = [
        prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]) for child in children
    ]
    return out


def month_bucket(moment: str, months: list[JalaliMonth]) -> Case:
    # The Jalali month as a number (0: the period's first) from the month boundaries as UTC instants: plain
    # comparisons the database makes on the stored time, no time-zone conversion per row.
    return Case(
        *(When(**{f"{moment}__lt": month.ends_at()}, then=Value(index)) for index, month in enumerate(months)),
        default=Value(None),
        output_field=IntegerField(),
    )


_GROUP_FIELDS = {
    # group: (on the ticket, on the satisfaction answer)
    "team": ("team_id", "team_id"),
    "agent": ("assignee_id", "agent_id"),
    "category": ("category_id", "category_id"),
}


def group_expression(group: str | None, moment: str, months: list[JalaliMonth], *, answer: bool = False) -> Any:
    if group is None:
        return Value(0)
    if group == "month":
        return month_bucket(moment, months)
    column = _GROUP_FIELDS[group][1 if answer else 0]
    # SQLite would rather walk the whole table in the order of the team's (or agent's) index, to group without
    # sorting, than read the period along the date index and sort a few thousand rows: seconds instead of
    # milliseconds at a million tickets. Grouping by the column as an expression leaves it the date index.
    return Unindexed(column) if connection.vendor == "sqlite" else F(column)


class Unindexed(Func):
    """A column as an expression the planner will not answer from an index (SQLite's unary plus): the value is
    the same, only the choice of index changes."""

    template = "+%(expressions)s"


def renamed(condition: Q, names: dict[str, str]) -> Q:
    out = Q()
    out.connector, out.negated = condition.connector, condition.negated
    children: list[Any] = list(condition.children)
    out.children = [
        renamed(child, names) if isinstance(child, Q) else (names.get(child[0], child[0]), child[1])
        for child in children
    ]
    return out
