"""Writes to sales targets (set one for a person or a team for a Jalali month, quarter or year; delete it) and
the progress of one target, read from the orders and deals themselves."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.sales.contract_selectors import Progress, targets_progress
from peyvand.sales.models import Target, TargetMetric, TargetPeriod
from peyvand.sales.services._common import Errors, check_money

# Jalali years a target can be set for: well around today, and within the PositiveSmallIntegerField.
MIN_YEAR, MAX_YEAR = 1380, 1500


def require_target_setter(by: User) -> None:
    """Targets are set by those who answer for them: managers for their teams and people, administrators for
    everyone. Agents read their own."""
    if not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only a manager or an administrator can set sales targets."))


def _in_reach(by: User, *, user_id: int | None, team_id: int | None) -> bool:
    if by.is_admin_role:
        return True
    if user_id is not None:
        return users_visible_to(by).filter(pk=user_id).exists()
    if team_id is not None:
        return teams_visible_to(by).filter(pk=team_id).exists()
    return False


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@transaction.atomic
def target_set(
    *,
    by: User,
    user_id: int | None = None,
    team_id: int | None = None,
    metric: str = TargetMetric.REVENUE,
    period: str,
    jalali_year: int,
    period_number: int = 0,
    amount: int,
) -> Target:
    """The target of one person or one team for a period and measure: made, or changed when it is set already.

    A manager sets them for their team, its sub-teams and their people; an administrator for anyone.
    """
    require_target_setter(by)
    errors = Errors()
    if (user_id is None) == (team_id is None):
        errors.add("user_id", _("Name either a person or a team."))
    elif (user_id is not None and not _whole(user_id)) or (team_id is not None and not _whole(team_id)):
        errors.add("user_id" if user_id is not None else "team_id", _("Not a valid id."))
    elif not _in_reach(by, user_id=user_id, team_id=team_id):
        if user_id is not None:
            errors.add("user_id", _("No such person, or not one whose targets you set."))
        else:
            errors.add("team_id", _("No such team, or not one whose targets you set."))
    if metric not in TargetMetric.values:
        errors.add("metric", _("Unknown measure."))
    if period not in TargetPeriod.values:
        errors.add("period", _("Choose a month, a quarter or a year."))
    if not _whole(jalali_year) or not MIN_YEAR <= jalali_year <= MAX_YEAR:
        errors.add("jalali_year", _("Give a Jalali year from %(min)d to %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR})
    if not _whole(period_number):
        errors.add("period_number", _("Not a valid number."))
    elif period == TargetPeriod.MONTH and not 1 <= period_number <= 12:
        errors.add("period_number", _("A month is numbered 1 to 12."))
    elif period == TargetPeriod.QUARTER and not 1 <= period_number <= 4:
        errors.add("period_number", _("A quarter is numbered 1 to 4."))
    elif period == TargetPeriod.YEAR and period_number != 0:
        errors.add("period_number", _("A year's target has no month or quarter: leave it 0."))
    amount = check_money(amount, field="amount", errors=errors)
    if "amount" not in errors.fields and amount <= 0:
        errors.add("amount", _("A target is more than zero."))
    errors.raise_if_any()
    key = {"metric": metric, "period": period, "jalali_year": jalali_year, "period_number": period_number}
    whose: dict[str, int] = {"user_id": user_id} if user_id is not None else {"team_id": team_id or 0}
    target = (
        Target.objects.select_for_update(of=("self",)).filter(**whose, **key).select_related("user", "team").first()
    )
    if target is None:
        target = Target.objects.create(user_id=user_id, team_id=team_id, amount=amount, created_by=by, **key)
    elif target.amount != amount:
        target.amount = amount
        target.save(update_fields=["amount", "updated_at"])
    return target


@transaction.atomic
def target_delete(*, target: Target, by: User) -> None:
    """Delete a target the caller sets (a manager's team or people; anyone's for an administrator)."""
    require_target_setter(by)
    if not _in_reach(by, user_id=target.user_id, team_id=target.team_id):
        # Out of reach is not there at all, as with every record.
        raise Target.DoesNotExist
    target.delete()


def target_progress(*, target: Target) -> Progress:
    """How far `target` has come: `achieved` (Rials), `percent` of the target, and `expected_by_now` (what a
    steady pace through the period would have reached at this moment)."""
    [row] = targets_progress([target])
    return row.progress
