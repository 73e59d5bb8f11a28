"""Reads of contracts and sales targets: contracts in the owner/team scope, targets in reach, and how far each
target has come (one aggregate query per period and measure, whatever the number of targets)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.jalali import JalaliMonth, current_month, quarter_months, year_months
from peyvand.core.pagination import Page, paginate
from peyvand.sales.models import (
    PURCHASE,
    Contract,
    ContractFile,
    ContractStatus,
    Deal,
    Order,
    StageOutcome,
    Target,
    TargetMetric,
    TargetPeriod,
)
from peyvand.sales.selectors import owned_visible_to

# --- contracts --------------------------------------------------------------------------------------------


def contracts_visible_to(user: User | Any) -> QuerySet[Contract]:
    """The one scope every contract read uses: the sales owner/team scope; a deleted customer's are hidden."""
    return owned_visible_to(Contract.objects.all(), user)


def contract_get(*, user: User, pk: int) -> Contract:
    """One visible contract or Contract.DoesNotExist, whether it is missing or someone else's."""
    return (
        contracts_visible_to(user)
        .select_related("customer", "deal", "owner", "team", "renewed_from", "renewal")
        .prefetch_related("files")
        .get(pk=pk)
    )


def contract_filter(
    *,
    status: str | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    ending_within_days: int | None = None,
    today: dt.date | None = None,
) -> Q:
    """The filters every contract list offers. `ending_within_days`: active contracts that end between today
    and that many days from now (both included), the ones whose renewal is to be talked about."""
    where = Q()
    if status:
        where &= Q(status=status)
    if customer_id:
        where &= Q(customer_id=customer_id)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if ending_within_days is not None:
        day = today or timezone.localdate()
        where &= Q(
            status=ContractStatus.ACTIVE,
            end_date__gte=day,
            end_date__lte=day + dt.timedelta(days=ending_within_days),
        )
    return where


def contract_list(*, user: User, where: Q | None = None, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of visible contracts, newest first. Raises ValidationError for a cursor not ours."""
    contracts = contracts_visible_to(user).filter(where or Q()).select_related("customer", "owner")
    return paginate(contracts, order=("-id",), cursor=cursor, limit=limit)


def contract_file_get(*, user: User, contract_id: int, file_id: int) -> ContractFile:
    """A file of a visible contract, or ContractFile.DoesNotExist: the contract's scope is the file's."""
    contract = contracts_visible_to(user).filter(pk=contract_id)
    return ContractFile.objects.select_related("contract").get(pk=file_id, contract__in=contract)


def customer_contracts(*, user: User, customer_id: int, limit: int = 10) -> list[Contract]:
    """The customer's contracts the user may see, for the customer's page: the ones still running first."""
    return list(
        contracts_visible_to(user)
        .filter(customer_id=customer_id)
        .order_by("status", "end_date", "-id")
        .select_related("owner")[:limit]
    )


# --- targets ----------------------------------------------------------------------------------------------


def targets_visible_to(user: User | Any) -> QuerySet[Target]:
    """Administrators read every target; a manager those of their team, its sub-teams and their people; an
    agent their own and their team's."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Target.objects.none()
    if user.is_admin_role:
        return Target.objects.all()
    if user.role == Role.MANAGER:
        return Target.objects.filter(Q(user__in=users_visible_to(user)) | Q(team__in=teams_visible_to(user)))
    where = Q(user_id=user.pk)
    if user.team_id is not None:
        where |= Q(team_id=user.team_id)
    return Target.objects.filter(where)


@dataclass(frozen=True)
class Period:
    """A Jalali month, quarter or year, and the moments it starts and ends (end excluded) in the site's zone."""

    kind: str
    jalali_year: int
    number: int
    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> dt.date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> dt.date:
        return timezone.localtime(self.end).date() - dt.timedelta(days=1)


def period_of(kind: str, jalali_year: int, number: int) -> Period:
    """The bounds of a Jalali period as aware datetimes: midnight in the site's zone (Asia/Tehran) on its first
    day, and on the day after its last. An order at 23:30 on 30 Esfand belongs to that year, one at 00:10 on
    1 Farvardin to the next, whatever the UTC clock says. Raises ValueError for a period that does not exist."""
    if kind == TargetPeriod.MONTH:
        first = last = JalaliMonth(jalali_year, number)
    elif kind == TargetPeriod.QUARTER:
        first, last = quarter_months(jalali_year, number)
    elif kind == TargetPeriod.YEAR:
        if number != 0:
            raise ValueError("A year has no number within it.")
        first, last = year_months(jalali_year)
    else:
        raise ValueError(f"Unknown period {kind!r}.")
    return Period(kind, jalali_year, number, first.starts_at(), last.ends_at())


def current_period(kind: str, *, now: dt.datetime | None = None) -> Period:
    """The Jalali month, quarter or year that `now` (default: this moment) falls in, in the site's zone."""
    month = current_month(now)
    if kind == TargetPeriod.MONTH:
        return period_of(kind, month.year, month.month)
    if kind == TargetPeriod.QUARTER:
        return period_of(kind, month.year, month.quarter)
    return period_of(TargetPeriod.YEAR, month.year, 0)


@dataclass
class Achieved:
    """What was achieved in a period for one measure, by owner and by team (a team's own records only; a team's
    total adds its sub-teams through `for_team`)."""

    by_owner: dict[int, int]
    by_team: dict[int, int]

    def for_user(self, user_id: int) -> int:
        return self.by_owner.get(user_id, 0)

    def for_team(self, team: Team, paths: dict[int, str]) -> int:
        return sum(total for team_id, total in self.by_team.items() if paths.get(team_id, "").startswith(team.path))


def achieved_in(metric: str, period: Period) -> Achieved:
    """One GROUP BY (owner, team) over the period's orders or won deals; every target of the period reads its
    figure from the result, so the page costs the same whatever the number of people and teams."""
    rows: Iterable[Mapping[str, Any]]
    if metric == TargetMetric.REVENUE:
        rows = (
            Order.objects.filter(PURCHASE, ordered_at__gte=period.start, ordered_at__lt=period.end)
            .order_by()
            .values("owner_id", "team_id")
            .annotate(total=Sum("net_total"))
        )
    elif metric == TargetMetric.WON_DEALS:
        rows = (
            Deal.objects.filter(stage__outcome=StageOutcome.WON, closed_at__gte=period.start, closed_at__lt=period.end)
            .order_by()
            .values("owner_id", "team_id")
            .annotate(total=Sum("amount"))
        )
    else:
        raise ValueError(f"Unknown measure {metric!r}.")
    by_owner: dict[int, int] = defaultdict(int)
    by_team: dict[int, int] = defaultdict(int)
    for row in rows:
        # Sum() of a bigint is a Decimal on PostgreSQL: made an int, exact either way.
        total = int(row["total"] or 0)
        if row["owner_id"] is not None:
            by_owner[row["owner_id"]] += total
        if row["team_id"] is not None:
            by_team[row["team_id"]] += total
    return Achieved(dict(by_owner), dict(by_team))


@dataclass
class Progress:
    achieved: int
    # Whole percent of the target reached (may pass 100); 0 without a target.
    percent: int
    # Where a steady pace would be by now: the target times the share of the period gone by, in Rials.
    expected_by_now: int


def pace_share(period: Period, now: dt.datetime | None = None) -> tuple[int, int]:
    """The share of the period gone by at `now`, as (elapsed seconds, total seconds): integers, no floats."""
    moment = now or timezone.now()
    total = int((period.end - period.start).total_seconds())
    elapsed = int((min(max(moment, period.start), period.end) - period.start).total_seconds())
    return elapsed, total


def progress_of(amount: int, achieved: int, share: tuple[int, int]) -> Progress:
    elapsed, total = share
    return Progress(
        achieved=achieved,
        percent=achieved * 100 // amount if amount > 0 else 0,
        expected_by_now=amount * elapsed // total if total else 0,
    )


def team_paths(team_ids: Iterable[int] | None = None) -> dict[int, str]:
    teams = Team.objects.all() if team_ids is None else Team.objects.filter(pk__in=list(team_ids))
    return dict(teams.values_list("pk", "path"))


@dataclass
class TargetRow:
    target: Target
    progress: Progress


def targets_progress(targets: list[Target], *, now: dt.datetime | None = None) -> list[TargetRow]:
    """Each target with its progress; one aggregate query per (period, measure) present among them."""
    results: dict[tuple[str, int, int, str], Achieved] = {}
    paths = team_paths() if any(t.team_id for t in targets) else {}
    rows = []
    for target in targets:
        key = (target.period, target.jalali_year, target.period_number, target.metric)
        period = period_of(target.period, target.jalali_year, target.period_number)
        if key not in results:
            results[key] = achieved_in(target.metric, period)
        achieved = results[key]
        if target.user_id is not None:
            value = achieved.for_user(target.user_id)
        else:
            assert target.team is not None
            value = achieved.for_team(target.team, paths)
        rows.append(TargetRow(target, progress_of(target.amount, value, pace_share(period, now))))
    return rows


def targets_with_progress(
    *, user: User, jalali_year: int, period: str, period_number: int, metric: str | None = None
) -> list[TargetRow]:
    """The targets of one period the user may read, with their progress: teams first, then people."""
    targets = (
        targets_visible_to(user)
        .filter(jalali_year=jalali_year, period=period, period_number=period_number)
        .select_related("user", "team")
        .order_by("user_id", "team__path", "metric", "id")
    )
    if metric:
        targets = targets.filter(metric=metric)
    return targets_progress(list(targets))


@dataclass
class SheetRow:
    """One line of the targets page: a team or a person, their target in the period (if any) and how far."""

    team: Team | None
    user: User | None
    target: Target | None
    progress: Progress
    editable: bool

    @property
    def kind(self) -> str:
        return "team" if self.team is not None else "user"


def target_sheet(*, user: User, period: Period, metric: str, now: dt.datetime | None = None) -> list[SheetRow]:
    """Everyone whose target the user may read, teams first (in tree order) then people, with their target for
    the period and measure and what they achieved, also those without a target yet (a manager sets it here)."""
    can_edit = user.is_admin_role or user.role == Role.MANAGER
    if can_edit:
        teams = list(teams_visible_to(user).order_by("path"))
        people = list(users_visible_to(user).select_related("team").order_by("first_name", "last_name", "username"))
    else:
        teams = [user.team] if user.team is not None else []
        people = [user]
    targets = {
        (t.team_id, t.user_id): t
        for t in targets_visible_to(user).filter(
            jalali_year=period.jalali_year, period=period.kind, period_number=period.number, metric=metric
        )
    }
    achieved = achieved_in(metric, period)
    share = pace_share(period, now)
    paths = team_paths()
    rows = []
    for team in teams:
        target = targets.get((team.pk, None))
        value = achieved.for_team(team, paths)
        rows.append(SheetRow(team, None, target, progress_of(target.amount if target else 0, value, share), can_edit))
    for person in people:
        target = targets.get((None, person.pk))
        value = achieved.for_user(person.pk)
        progress = progress_of(target.amount if target else 0, value, share)
        rows.append(SheetRow(None, person, target, progress, can_edit))
    return rows
