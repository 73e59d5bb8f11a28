"""Reads for the SLA pages and API: the policies in order, a Jalali year's holidays, the due time calculator."""

from __future__ import annotations

from datetime import datetime

import jdatetime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.core.jalali import to_jalali_string
from peyvand.service.calendar import working_calendar
from peyvand.service.models import Holiday, SlaPolicy
from peyvand.service.sla_services import MAX_TARGET_MINUTES, jalali_year_range

__all__ = [
    "current_jalali_year",
    "due_time",
    "holiday_list",
    "jalali_moment",
    "may_read_sla",
    "sla_policy_get",
    "sla_policy_list",
]


def may_read_sla(user: User) -> bool:
    """Administrators set the SLA; managers read it (they answer for their teams' breaches)."""
    return bool(user.is_admin_role or user.role == Role.MANAGER)


def _require_reader(user: User) -> None:
    if not may_read_sla(user):
        raise PermissionDenied(_("Only managers and administrators can see the SLA policies."))


def sla_policy_list(*, user: User) -> QuerySet[SlaPolicy]:
    """Every policy in the order they are tried (active and inactive)."""
    _require_reader(user)
    return SlaPolicy.objects.select_related("escalate_to").order_by("position", "id")


def sla_policy_get(*, user: User, pk: int) -> SlaPolicy:
    _require_reader(user)
    return SlaPolicy.objects.select_related("escalate_to").get(pk=pk)


def current_jalali_year(now: datetime | None = None) -> int:
    year: int = jdatetime.date.fromgregorian(date=timezone.localdate(now or timezone.now())).year
    return year


def holiday_list(*, year: int) -> QuerySet[Holiday]:
    """The holidays of Jalali `year` in date order (everyone may read them: they decide every due time)."""
    first, last = jalali_year_range(year)
    return Holiday.objects.filter(date__gte=first, date__lte=last).order_by("date")


def jalali_moment(value: datetime) -> str:
    """``1405/01/05 09:00`` in Tehran time, ASCII digits (what the API carries)."""
    local = timezone.localtime(value)
    return f"{to_jalali_string(local)} {local:%H:%M}"


def due_time(*, start: datetime, minutes: int) -> datetime:
    """When `minutes` business minutes after `start` fall on the working calendar as it is configured now."""
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(start) or not 1900 <= start.year <= 2199:
        errors["start"] = [_("Not a valid date and time.")]
    if isinstance(minutes, bool) or not 0 <= minutes <= MAX_TARGET_MINUTES:
        errors["minutes"] = [_("Enter a number from %(low)d to %(high)d.") % {"low": 0, "high": MAX_TARGET_MINUTES}]
    if errors:
        raise ValidationError(errors)
    return working_calendar().add_minutes(start, minutes)
