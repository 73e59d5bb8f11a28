"""Reads of activities and staff notifications: scoped to the caller, the agenda's buckets, the calendar's
days (Jalali weeks from Saturday, Jalali months), and the notification inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import jdatetime
from django.db.models import Q, QuerySet
from django.utils import timezone

from peyvand.accounts.models import Notification, User
from peyvand.core.jalali import JalaliMonth, day_start, local_days_q, week_start
from peyvand.core.pagination import Page, paginate
from peyvand.customers.selectors import scope_branches
from peyvand.sales.models import Activity, ActivityStatus, Deal, StageOutcome
from peyvand.sales.selectors import deals_visible_to

AGENDA_LATER_LIMIT = 50
CALENDAR_LIMIT = 2000


def activity_scope(user: User | Any) -> Q | None:
    """What `user` may see of activities: the sales records' scope (owned_scope) with the assignee in the
    owner's place, so an activity is its assignee's and their team's. None: nothing at all."""
    branches = scope_branches(user)
    if not branches:
        return None
    scope = Q()
    for branch in branches:
        scope |= Q(**{("assigned_to_id" if key == "owner_id" else key): value for key, value in branch.items()})
    return scope


def activities_visible_to(user: User | Any) -> QuerySet[Activity]:
    """The one scope every activity read uses; those of a deleted customer are hidden with it."""
    scope = activity_scope(user)
    if scope is None:
        return Activity.objects.none()
    return Activity.objects.filter(scope).filter(Q(customer__isnull=True) | Q(customer__deleted_at__isnull=True))


def _with_links(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.select_related("customer", "deal", "lead", "assigned_to", "team")


def activity_get(*, user: User, pk: int) -> Activity:
    """One visible activity or Activity.DoesNotExist, whether it is missing or out of the caller's sight."""
    return _with_links(activities_visible_to(user)).get(pk=pk)


def activity_filter(
    *,
    due_from: dt.datetime | None = None,
    due_to: dt.datetime | None = None,
    assigned_to_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    deal_id: int | None = None,
    lead_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> Q:
    """The filters every activity list offers; the due range includes its start and excludes its end."""
    where = Q()
    if due_from is not None:
        where &= Q(due_at__gte=due_from)
    if due_to is not None:
        where &= Q(due_at__lt=due_to)
    if assigned_to_id:
        where &= Q(assigned_to_id=assigned_to_id)
    if team_id:
        where &= Q(team_id=team_id)
    if customer_id:
        where &= Q(customer_id=customer_id)
    if deal_id:
        where &= Q(deal_id=deal_id)
    if lead_id:
        where &= Q(lead_id=lead_id)
    if status:
        where &= Q(status=status)
    if kind:
        where &= Q(kind=kind)
    return where


def activity_list(*, user: User, where: Q | None = None, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of visible activities matching `where`, soonest due first. ValidationError for a bad cursor."""
    activities = _with_links(activities_visible_to(user)).filter(where or Q())
    return paginate(activities, order=("due_at", "id"), cursor=cursor, limit=limit)


# --- the agenda -------------------------------------------------------------------------------------------


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now()).date()


@dataclass
class Agenda:
    overdue: list[Activity]
    today: list[Activity]
    this_week: list[Activity]
    later: list[Activity]
    overdue_deals: list[Deal]

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.this_week or self.later or self.overdue_deals)


def agenda(*, user: User, now: dt.datetime | None = None, assigned_to_id: int | None = None) -> Agenda:
    """A person's planned activities (the caller's, or a colleague's they may see) as the agenda shows them:
    overdue, the rest of today, the rest of the week (to Friday), and the next ones after that; and the open
    deals they own whose next step is overdue."""
    now = now or timezone.now()
    person = assigned_to_id or user.pk
    today = local_today(now)
    tomorrow = day_start(today + dt.timedelta(days=1))
    next_week = day_start(week_start(today) + dt.timedelta(days=7))
    # Today is always well inside the days day_start bounds (1900-2199).
    assert tomorrow is not None and next_week is not None
    planned = _with_links(activities_visible_to(user)).filter(assigned_to_id=person, status=ActivityStatus.PLANNED)
    overdue = list(planned.filter(due_at__lt=now))
    soon = list(planned.filter(due_at__gte=now, due_at__lt=next_week))
    later = list(planned.filter(due_at__gte=next_week)[:AGENDA_LATER_LIMIT])
    deals = list(
        deals_visible_to(user)
        .filter(owner_id=person, stage__outcome=StageOutcome.OPEN, next_step_due_at__lt=now)
        .select_related("customer", "stage")
        .order_by("next_step_due_at", "id")
    )
    return Agenda(
        overdue=overdue,
        today=[a for a in soon if a.due_at < tomorrow],
        this_week=[a for a in soon if a.due_at >= tomorrow],
        later=later,
        overdue_deals=deals,
    )


# --- the calendar -----------------------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: dt.date
    jalali: jdatetime.date
    in_month: bool
    is_today: bool
    activities: list[Activity] = field(default_factory=list)


def month_days(year: int, month: int) -> list[dt.date]:
    """The days a Jalali month's grid shows: whole weeks, Saturday to Friday, from the week of its first day to
    the week of its last."""
    shown = JalaliMonth(year, month)
    start = week_start(shown.first_day)
    end = week_start(shown.last_day) + dt.timedelta(days=6)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def calendar_days(
    *,
    user: User,
    days: list[dt.date],
    assigned_to_id: int | None = None,
    month: tuple[int, int] | None = None,
    now: dt.datetime | None = None,
) -> list[CalendarDay]:
    """The visible activities (planned and done; cancelled ones are off the calendar) of the team on each of
    `days`, in the site's time zone, optionally of one person; `month` marks the days that belong to it."""
    today = local_today(now)
    found = (
        _with_links(activities_visible_to(user))
        .filter(local_days_q("due_at", days[0], days[-1]))
        .exclude(status=ActivityStatus.CANCELLED)
    )
    if assigned_to_id:
        found = found.filter(assigned_to_id=assigned_to_id)
    by_day: dict[dt.date, list[Activity]] = {}
    for activity in found.order_by("due_at", "id")[:CALENDAR_LIMIT]:
        by_day.setdefault(timezone.localtime(activity.due_at).date(), []).append(activity)
    out = []
    for day in days:
        jalali = jdatetime.date.fromgregorian(date=day)
        in_month = month is None or (jalali.year, jalali.month) == month
        out.append(CalendarDay(day, jalali, in_month, day == today, by_day.get(day, [])))
    return out


# --- notifications ----------------------------------------------------------------------------------------


def notifications_of(user: User) -> QuerySet[Notification]:
    """A person's own notifications; nobody reads anyone else's, an administrator included."""
    return Notification.objects.filter(user_id=user.pk)


def notification_list(*, user: User, unread: bool = False, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of the caller's notifications, newest first."""
    notifications = notifications_of(user)
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return paginate(notifications, order=("-id",), cursor=cursor, limit=limit)


def unread_count(user: User) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()
