"""The SQL pieces of the service measures: the median on either database, Jalali months as a CASE over their
UTC boundaries, and the expressions that steer SQLite's choice of index."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Aggregate, Case, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When

from peyvand.core.jalali import JalaliMonth


class Median(Aggregate):
    """PostgreSQL's exact median (the mean of the two middle values of an even count)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def medians_by(rows: QuerySet[Any], group: Any, value: str) -> dict[Any, float]:
    """The median of `value` per `group` over `rows`, computed by the database.

    PostgreSQL has the aggregate; SQLite has not, so there each group's values are numbered in order by a window
    function and the middle one (or the mean of the middle two) is read: one sort of the period's values in the
    database, only a row or two per group comes back."""
    rows = rows.filter(**{f"{value}__isnull": False}).order_by()
    if connection.vendor == "postgresql":
        found = rows.annotate(g=group).values("g").annotate(m=Median(value)).values_list("g", "m")
        return {key: float(median) for key, median in found if median is not None}
    try:
        sql, params = rows.annotate(g=group, v=F(value)).values("g", "v").query.sql_with_params()
    except EmptyResultSet:  # the reader sees no ticket at all
        return {}
    # The inner SQL is Django's own for the queryset, its values passed as parameters: nothing user-typed.
    wrapped = (
        "SELECT g, AVG(v) FROM ("  # noqa: S608
        " SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY g) AS c"
        f" FROM ({sql}) AS s"
        ") AS w WHERE rn IN ((c + 1) / 2, (c + 2) / 2) GROUP BY g"
    )
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        return {key: float(median) for key, median in cursor.fetchall()}


def medians_and_total(rows: QuerySet[Any], group: Any, value: str) -> tuple[dict[Any, float], float | None]:
    """The median of `value` per `group` and over all `rows` together, reading the rows once on SQLite (both
    numberings over one pass: per group and over the whole, then the middle rows of each); two aggregates on
    PostgreSQL."""
    if connection.vendor == "postgresql":
        return medians_by(rows, group, value), medians_by(rows, Value(0), value).get(0)
    rows = rows.filter(**{f"{value}__isnull": False}).order_by()
    try:
        sql, params = rows.annotate(g=group, v=F(value)).values("g", "v").query.sql_with_params()
    except EmptyResultSet:  # the reader sees no ticket at all
        return {}, None
    # The inner SQL is Django's own for the queryset, its values passed as parameters: nothing user-typed.
    wrapped = (
        "WITH w AS ("  # noqa: S608
        " SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY g) AS c,"
        " ROW_NUMBER() OVER (ORDER BY v) AS rn_all, COUNT(*) OVER () AS c_all"
        f" FROM ({sql}) AS s"
        ") SELECT 0, g, AVG(v) FROM w WHERE rn IN ((c + 1) / 2, (c + 2) / 2) GROUP BY g"
        " UNION ALL SELECT 1, NULL, AVG(v) FROM w WHERE rn_all IN ((c_all + 1) / 2, (c_all + 2) / 2)"
    )
    groups: dict[Any, float] = {}
    whole: float | None = None
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        for is_total, key, median in cursor.fetchall():
            if is_total:
                whole = None if median is None else float(median)
            elif median is not None:
                groups[key] = float(median)
    return groups, whole


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
