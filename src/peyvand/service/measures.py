"""The service desk's measures: volume, response and resolution times, SLA compliance, reopen rate and CSAT of
the tickets a user may see, for a period in Tehran time, in total and per agent, team, category or Jalali month.

Reads only, and every figure is added up by the database: one GROUP BY per kind of figure (arrivals,
resolutions, open tickets, satisfaction answers) and one query per median, never a row per ticket in Python.
Which tickets each figure counts:

- created, first response (average, median, SLA): the tickets that arrived in the period (index
  `ticket_arrivals`); a first-response target counts once it is decided: answered, or missed already;
- resolved, resolution (average, median, SLA), reopen rate: the tickets resolved in the period (index
  `ticket_resolutions`); the reopen rate is the share of them that had been reopened at least once;
- open: the tickets open now, by status (index `ticket_status`), whatever the period;
- CSAT: the satisfaction answers given in the period, under the agent, team and category the ticket had when it
  was resolved (kept on the answer).

Times are the business minutes the SLA stored on the ticket (less the time spent waiting for the customer).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core.jalali import JalaliMonth, current_month
from peyvand.customers.selectors import deleted_customer_ids
from peyvand.service.measures_periods import (
    GROUPS,
    MAX_PERIOD_DAYS,
    Period,
    month_of_key,
    parse_period,
    period_of_days,
    period_of_months,
)
from peyvand.service.measures_sql import (
    Unindexed,
    group_expression,
    medians_and_total,
    medians_by,
    prefixed,
    renamed,
)
from peyvand.service.models import OPEN_STATUSES, Ticket, TicketCategory, TicketSatisfaction
from peyvand.service.selectors import ticket_scope

__all__ = [
    "GROUPS",
    "MAX_PERIOD_DAYS",
    "Figures",
    "Measures",
    "Period",
    "medians_by",
    "monthly_trend",
    "open_by_status_totals",
    "parse_period",
    "period_of_days",
    "period_of_months",
    "ticket_measures",
]


@dataclass
class Figures:
    """The measures of one group (or of all the tickets: key None, label "Total")."""

    key: int | str | None
    label: str
    created: int = 0
    resolved: int = 0
    open: int = 0
    open_by_status: dict[str, int] = field(default_factory=dict)
    responded: int = 0
    first_response_avg: float | None = None
    first_response_median: float | None = None
    resolution_avg: float | None = None
    resolution_median: float | None = None
    response_sla_total: int = 0
    response_sla_met: int = 0
    resolution_sla_total: int = 0
    resolution_sla_met: int = 0
    reopened: int = 0
    csat_count: int = 0
    csat_avg: float | None = None

    @property
    def response_sla_percent(self) -> float | None:
        return _percent(self.response_sla_met, self.response_sla_total)

    @property
    def resolution_sla_percent(self) -> float | None:
        return _percent(self.resolution_sla_met, self.resolution_sla_total)

    @property
    def sla_percent(self) -> float | None:
        """Both targets together: the share of the decided targets (responses and resolutions) that were met."""
        return _percent(
            self.response_sla_met + self.resolution_sla_met, self.response_sla_total + self.resolution_sla_total
        )

    @property
    def reopen_percent(self) -> float | None:
        return _percent(self.reopened, self.resolved)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "created": self.created,
            "resolved": self.resolved,
            "open": self.open,
            "open_by_status": self.open_by_status,
            "responded": self.responded,
            "first_response_avg": self.first_response_avg,
            "first_response_median": self.first_response_median,
            "resolution_avg": self.resolution_avg,
            "resolution_median": self.resolution_median,
            "response_sla_total": self.response_sla_total,
            "response_sla_met": self.response_sla_met,
            "response_sla_percent": self.response_sla_percent,
            "resolution_sla_total": self.resolution_sla_total,
            "resolution_sla_met": self.resolution_sla_met,
            "resolution_sla_percent": self.resolution_sla_percent,
            "sla_percent": self.sla_percent,
            "reopened": self.reopened,
            "reopen_percent": self.reopen_percent,
            "csat_count": self.csat_count,
            "csat_avg": self.csat_avg,
        }


@dataclass
class Measures:
    period: Period
    group: str | None
    total: Figures
    groups: list[Figures]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _visible(user: User | Any) -> tuple[QuerySet[Ticket], QuerySet[TicketSatisfaction]]:
    """The tickets `user` may see and the satisfaction answers of those tickets.

    The same scope as `tickets_visible_to` (its condition, `ticket_scope`), read the way a period's figures are
    read fastest:

    - the deleted customers' tickets are left out through the short list of deleted customers instead of a join
      to the customer of every ticket (the same rows, a third less time for tens of thousands of tickets);
    - on SQLite the scope's "assignee = me OR team in (…)" is checked on the rows without its indexes: SQLite
      would otherwise read every ticket the team ever had through the queue indexes and check the date after,
      where reading the period's tickets along the date index and checking the scope on them reads far fewer.
      (PostgreSQL combines the indexes itself.)"""
    scope = ticket_scope(user)
    if scope is None:
        return Ticket.objects.none(), TicketSatisfaction.objects.none()
    tickets = Ticket.objects.all()
    if connection.vendor == "sqlite" and scope.children:
        tickets = tickets.alias(scope_assignee=Unindexed("assignee_id"), scope_team=Unindexed("team_id"))
        tickets = tickets.filter(renamed(scope, {"assignee_id": "scope_assignee", "team_id": "scope_team"}))
    else:
        tickets = tickets.filter(scope)
    deleted = deleted_customer_ids()
    tickets = tickets.exclude(customer_id__in=deleted)
    answers = TicketSatisfaction.objects.filter(prefixed(scope, "ticket__")).exclude(ticket__customer_id__in=deleted)
    return tickets, answers


def ticket_measures(
    *,
    user: User | Any,
    period: Period,
    group: str | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
    category_id: int | None = None,
    medians: bool = True,
    with_total: bool = True,
) -> Measures:
    """The measures of the tickets `user` may see, for `period`, in total and (with `group`) per team, agent,
    category or Jalali month. `team_id` takes the team and its sub-teams; `category_id` the category and its
    sub-categories. `medians=False` leaves the medians out and `with_total=False` the total's medians (trend
    charts show neither).

    The counts and sums are read once, per group, and the total is their sum; only a median needs its own query
    for the total."""
    if group is not None and group not in GROUPS:
        raise ValidationError({"group": _("Group by one of: %(groups)s.") % {"groups": ", ".join(GROUPS)}})
    tickets, answers = _visible(user)
    if team_id is not None:
        teams = _subtree(Team, team_id)
        tickets, answers = tickets.filter(team_id__in=teams), answers.filter(team_id__in=teams)
    if agent_id is not None:
        tickets, answers = tickets.filter(assignee_id=agent_id), answers.filter(agent_id=agent_id)
    if category_id is not None:
        categories = _subtree(TicketCategory, category_id)
        tickets, answers = tickets.filter(category_id__in=categories), answers.filter(category_id__in=categories)
    tickets = tickets.order_by()
    months = period.months
    start, end = period.starts_at, period.ends_at
    figures: dict[Any, Figures] = {}
    total = Figures(key=None, label=_("Total"))
    sums: dict[str, float] = defaultdict(float)

    def at(key: Any) -> Figures:
        if key not in figures:
            figures[key] = Figures(key=key, label="")
        return figures[key]

    arrived = tickets.filter(created_at__gte=start, created_at__lt=end)
    by_arrival = group_expression(group, "created_at", months)
    decided = Q(first_response_due_at__isnull=False) & (
        Q(first_responded_at__isnull=False) | Q(first_response_breached=True)
    )
    for row in (
        arrived.annotate(g=by_arrival)
        .values("g")
        .annotate(
            created=Count("id"),
            responded=Count("first_response_minutes"),
            response_sum=Sum("first_response_minutes"),
            sla_total=Count("id", filter=decided),
            sla_missed=Count("id", filter=decided & Q(first_response_breached=True)),
        )
    ):
        for line in (at(row["g"]), total):
            line.created += row["created"]
            line.responded += row["responded"]
            line.response_sla_total += row["sla_total"]
            line.response_sla_met += row["sla_total"] - row["sla_missed"]
        figures[row["g"]].first_response_avg = _mean(row["response_sum"], row["responded"])
        sums["response"] += float(row["response_sum"] or 0)

    resolved = tickets.filter(resolved_at__gte=start, resolved_at__lt=end)
    by_resolution = group_expression(group, "resolved_at", months)
    due = Q(resolution_due_at__isnull=False)
    for done in (
        resolved.annotate(g=by_resolution)
        .values("g")
        .annotate(
            resolved=Count("id"),
            timed=Count("resolution_minutes"),
            resolution_sum=Sum("resolution_minutes"),
            sla_total=Count("id", filter=due),
            sla_missed=Count("id", filter=due & Q(resolution_breached=True)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
        )
    ):
        for line in (at(done["g"]), total):
            line.resolved += done["resolved"]
            line.reopened += done["reopened"]
            line.resolution_sla_total += done["sla_total"]
            line.resolution_sla_met += done["sla_total"] - done["sla_missed"]
        figures[done["g"]].resolution_avg = _mean(done["resolution_sum"], done["timed"])
        sums["resolution"] += float(done["resolution_sum"] or 0)
        sums["timed"] += done["timed"]
    total.first_response_avg = _mean(sums["response"], total.responded)
    total.resolution_avg = _mean(sums["resolution"], sums["timed"])

    if medians and group is not None and with_total:
        # Per group and in total from one reading of the period's values.
        response_medians, total_response = medians_and_total(arrived, by_arrival, "first_response_minutes")
        resolution_medians, total_resolution = medians_and_total(resolved, by_resolution, "resolution_minutes")
        total.first_response_median, total.resolution_median = _round(total_response), _round(total_resolution)
    elif medians and group is not None:
        response_medians = medians_by(arrived, by_arrival, "first_response_minutes")
        resolution_medians = medians_by(resolved, by_resolution, "resolution_minutes")
    elif medians:
        response_medians, resolution_medians = {}, {}
        total.first_response_median = _round(medians_by(arrived, Value(0), "first_response_minutes").get(0))
        total.resolution_median = _round(medians_by(resolved, Value(0), "resolution_minutes").get(0))
    else:
        response_medians, resolution_medians = {}, {}
    for key, median in response_medians.items():
        at(key).first_response_median = _round(median)
    for key, median in resolution_medians.items():
        at(key).resolution_median = _round(median)

    # Open is now, not in the period: per month it means nothing, so the months show it in the total only.
    by_now = Value(0) if group == "month" else group_expression(group, "created_at", months)
    for now in (
        tickets.filter(status__in=OPEN_STATUSES).annotate(g=by_now).values("g", "status").annotate(n=Count("id"))
    ):
        lines = (total,) if group == "month" else (at(now["g"]), total)
        for line in lines:
            line.open += now["n"]
            line.open_by_status[now["status"]] = line.open_by_status.get(now["status"], 0) + now["n"]

    by_answer = group_expression(group, "answered_at", months, answer=True)
    for given in (
        answers.filter(answered_at__gte=start, answered_at__lt=end, score__isnull=False)
        .order_by()
        .annotate(g=by_answer)
        .values("g")
        .annotate(n=Count("id"), score_sum=Sum("score"))
    ):
        line = at(given["g"])
        line.csat_count, line.csat_avg = given["n"], _mean(given["score_sum"], given["n"])
        total.csat_count += given["n"]
        sums["score"] += float(given["score_sum"] or 0)
    total.csat_avg = _mean(sums["score"], total.csat_count)

    if group is None:
        return Measures(period=period, group=None, total=total, groups=[])
    if group == "month":
        # Every month of the period has its line, with or without tickets, for the trend chart.
        for index in range(len(months)):
            at(index)
    return Measures(period=period, group=group, total=total, groups=_labelled(group, figures, months))


def _mean(part: Any, count: float) -> float | None:
    return round(float(part) / count, 1) if count and part is not None else None


# Past months' trend figures are kept this long: a closed month changes only by late answers and SLA decisions.
TREND_CACHE_SECONDS = 3600


def monthly_trend(
    *,
    user: User | Any,
    last: JalaliMonth,
    months: int = 12,
    team_id: int | None = None,
    last_figures: Figures | None = None,
) -> list[Figures]:
    """Counts, SLA compliance and CSAT (no medians) of the `months` Jalali months up to `last`, for the trend
    chart. The months before this one are cached for an hour per scope (an administrator's is shared): on
    SQLite a year of a busy desk is a few hundred thousand tickets to read, which a page cannot do each time.
    `last_figures`: the month `last`'s figures when the caller has them already (the dashboard's own month)."""
    wanted = [last.shifted(n - months + 1) for n in range(months)]
    this_month = current_month()
    scope = "all" if getattr(user, "is_admin_role", False) else f"{user.pk}-{user.role}-{user.team_id}"
    keys = {month: f"service-trend:{scope}:{team_id or ''}:{month.key}" for month in wanted}
    found = cache.get_many([keys[m] for m in wanted if m < this_month])
    lines: dict[JalaliMonth, Figures] = {}
    if last_figures is not None:
        lines[last] = replace(last_figures, key=last.key, label=last.label())
    missing = [m for m in wanted if keys[m] not in found and m not in lines]
    if missing:
        result = ticket_measures(
            user=user,
            period=period_of_months(missing[0], missing[-1]),
            group="month",
            team_id=team_id,
            medians=False,
            with_total=False,
        )
        for line in result.groups:
            month = month_of_key(str(line.key))
            if month in missing:
                lines[month] = line
        cache.set_many({keys[m]: lines[m] for m in missing if m < this_month}, TREND_CACHE_SECONDS)
    return [lines.get(m) or found[keys[m]] for m in wanted]


def _subtree(model: type[Team] | type[TicketCategory], pk: int) -> QuerySet[Any]:
    path = model.objects.filter(pk=pk).values_list("path", flat=True).first()
    if path is None:
        return model.objects.none().values("pk")
    return model.objects.filter(path__startswith=path).values("pk")


def _labelled(group: str, figures: dict[Any, Figures], months: list[JalaliMonth]) -> list[Figures]:
    keys = [key for key in figures if key is not None]
    if group == "month":
        for key, line in figures.items():
            month = months[key] if isinstance(key, int) and 0 <= key < len(months) else None
            line.key, line.label = (month.key, month.label()) if month else (None, "")
        return sorted((line for line in figures.values() if line.key is not None), key=lambda line: str(line.key))
    names: dict[Any, str]
    if group == "team":
        names = {team.pk: team.name for team in Team.objects.filter(pk__in=keys)}
        missing = _("No team")
    elif group == "agent":
        names = {person.pk: str(person) for person in User.objects.filter(pk__in=keys)}
        missing = _("Unassigned")
    else:
        names = {category.pk: category.label for category in TicketCategory.objects.filter(pk__in=keys)}
        missing = _("No category")
    for key, line in figures.items():
        line.label = names.get(key, missing) if key is not None else missing
    # The groups by name, and the tickets with no team, agent or category last.
    return sorted(figures.values(), key=lambda line: (line.key is None, line.label))


def open_by_status_totals(measures: Measures) -> dict[str, int]:
    """The open tickets per status in the order statuses go, for the chart (every open status, 0 when none)."""
    counts: dict[str, int] = defaultdict(int, measures.total.open_by_status)
    return {str(status): counts[str(status)] for status in OPEN_STATUSES}
