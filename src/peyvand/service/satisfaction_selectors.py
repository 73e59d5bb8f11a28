"""Reads of satisfaction answers: averages and counts per agent, team, category and month, and the latest
answers, over the tickets the reader may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import JalaliMonth, local_days_q
from peyvand.core.models import in_active_language
from peyvand.service.models import TicketSatisfaction
from peyvand.service.selectors import tickets_visible_to

__all__ = [
    "GROUPS",
    "SatisfactionRow",
    "can_read_satisfaction",
    "satisfaction_answers",
    "satisfaction_by",
    "satisfaction_by_month",
    "satisfaction_latest",
    "satisfaction_overall",
]

# What the tables group answers by, and the snapshot's fields that name a row.
GROUPS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_id", "agent__first_name", "agent__last_name", "agent__username"),
    "team": ("team_id", "team__name"),
    "category": ("category_id", "category__name", "category__name_en"),
}


def can_read_satisfaction(user: User) -> bool:
    """The results page compares people: managers and administrators read it."""
    return bool(user.is_admin_role or user.is_manager_role)


def satisfaction_answers(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[TicketSatisfaction]:
    """Answered questions of tickets `user` may see, answered within the days given (Tehran time)."""
    return TicketSatisfaction.objects.filter(
        ticket__in=tickets_visible_to(user).values("pk"), answered_at__isnull=False
    ).filter(local_days_q("answered_at", date_from, date_to))


@dataclass(frozen=True)
class SatisfactionRow:
    key: int | None
    label: str
    count: int
    average: float | None
    low: int

    @property
    def percent_low(self) -> int:
        return round(100 * self.low / self.count) if self.count else 0


def _label(group: str, values: dict[str, Any]) -> str:
    if group == "agent":
        name = f"{values['agent__first_name'] or ''} {values['agent__last_name'] or ''}".strip()
        return name or values["agent__username"] or ""
    if group == "team":
        return values["team__name"] or ""
    return in_active_language(values["category__name"] or "", values["category__name_en"] or "")


def satisfaction_by(
    *,
    user: User,
    group: str,
    low_score: int = 2,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[SatisfactionRow]:
    """Count, average score and the number of low scores per agent, team or category (as they were when the
    ticket was resolved), the most answered first; one SQL GROUP BY."""
    fields = GROUPS[group]
    rows = (
        satisfaction_answers(user=user, date_from=date_from, date_to=date_to)
        .values(*fields)
        .annotate(count=Count("id"), average=Avg("score"), low=Count("id", filter=Q(score__lte=low_score)))
        .order_by("-count", fields[0])
    )
    return [
        SatisfactionRow(
            key=row[fields[0]],
            label=_label(group, row) if row[fields[0]] is not None else "",
            count=row["count"],
            average=round(float(row["average"]), 2) if row["average"] is not None else None,
            low=row["low"],
        )
        for row in rows
    ]


def satisfaction_overall(
    *, user: User, low_score: int = 2, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, Any]:
    """The period's totals: questions asked, answered, the response rate, the average, the CSAT (share of 4s
    and 5s) and how many of each score."""
    asked = (
        TicketSatisfaction.objects.filter(ticket__in=tickets_visible_to(user).values("pk"))
        .filter(local_days_q("created_at", date_from, date_to))
        .count()
    )
    answers = satisfaction_answers(user=user, date_from=date_from, date_to=date_to)
    totals = answers.aggregate(
        count=Count("id"),
        average=Avg("score"),
        happy=Count("id", filter=Q(score__gte=4)),
        low=Count("id", filter=Q(score__lte=low_score)),
    )
    per_score = dict(answers.values_list("score").annotate(n=Count("id")).values_list("score", "n"))
    count = totals["count"] or 0
    return {
        "asked": asked,
        "count": count,
        "response_rate": round(100 * count / asked) if asked else None,
        "average": round(float(totals["average"]), 2) if totals["average"] is not None else None,
        "csat": round(100 * totals["happy"] / count) if count else None,
        "low": totals["low"] or 0,
        "scores": [(score, per_score.get(score, 0)) for score in (5, 4, 3, 2, 1)],
    }


def satisfaction_by_month(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[dict[str, Any]]:
    """Count and average per Jalali month. The database sums per local day; the days (a few hundred a year, not
    the answers) are then folded into Jalali months, which SQL cannot group by."""
    days = (
        satisfaction_answers(user=user, date_from=date_from, date_to=date_to)
        .annotate(day=TruncDate("answered_at", tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(count=Count("id"), total=Sum("score"))
        .order_by("day")
    )
    months: dict[JalaliMonth, list[float]] = {}
    for row in days:
        month = JalaliMonth.of(row["day"])
        slot = months.setdefault(month, [0, 0.0])
        slot[0] += row["count"]
        slot[1] += float(row["total"] or 0)
    return [
        {"month": month, "count": int(count), "average": round(total / count, 2) if count else None}
        for month, (count, total) in sorted(months.items())
    ]


def satisfaction_latest(*, user: User, limit: int = 20) -> list[TicketSatisfaction]:
    """The most recent answers, with their ticket, agent and follow-up task."""
    return list(
        satisfaction_answers(user=user)
        .select_related("ticket", "agent", "team", "category", "follow_up")
        .order_by("-answered_at", "-id")[:limit]
    )
