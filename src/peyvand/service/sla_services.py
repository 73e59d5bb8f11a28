"""Writes to what the SLA counts with: the policies, the holiday list (with the official list of a year) and the
desk's settings (working hours, Thursday, closing resolved tickets). Administrators only."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core.jalali import JalaliMonth, parse_date
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.conditions import conditions_clean
from peyvand.service.models import ClosedTicketReply, Holiday, ServiceSettings, SlaPolicy, ThursdayHours
from peyvand.service.ordering import position_next
from peyvand.service.services.settings import service_settings
from peyvand.service.sla import SLA_CONDITION_KEYS

__all__ = [
    "MAX_TARGET_MINUTES",
    "HolidayLoad",
    "holiday_add",
    "holiday_remove",
    "holidays_load_year",
    "official_holiday_years",
    "official_holidays",
    "require_desk_admin",
    "service_settings_update",
    "sla_policy_create",
    "sla_policy_deactivate",
    "sla_policy_delete",
    "sla_policy_reorder",
    "sla_policy_update",
]

# A year of eight-hour working days: a longer target is a typing mistake (minutes for hours), not a promise.
MAX_TARGET_MINUTES = 300 * 8 * 60
MAX_CLOSE_AFTER_DAYS = 365
DATA_DIR = Path(__file__).resolve().parent / "data"
POLICY_FIELDS = {
    "name",
    "position",
    "is_active",
    "conditions",
    "first_response_minutes",
    "resolution_minutes",
    "warn_percent",
    "escalate_to_id",
}
SETTINGS_FIELDS = {
    "day_starts",
    "day_ends",
    "thursday",
    "thursday_ends",
    "default_team_id",
    "closed_ticket_reply",
    "close_resolved_after_days",
    "low_satisfaction",
}


def require_desk_admin(by: User | None) -> None:
    """The SLA, the calendar and the desk's settings are company policy: administrators set them. `by` None is
    the system itself (the `load_holidays` command)."""
    if by is not None and not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the service desk's SLAs, calendar and settings."))


def _whole(value: Any, field: str, errors: Errors, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
            value = int(value.strip())
        else:
            errors.add(field, _("Enter a whole number."))
            return low
    if not low <= value <= high:
        errors.add(field, _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return int(value)


def _team(value: Any, field: str, errors: Errors) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 18:
        errors.add(field, _("No such team."))
        return None
    if not Team.objects.filter(pk=int(value)).exists():
        errors.add(field, _("No such team."))
        return None
    return int(value)


# --- policies ---------------------------------------------------------------------------------------------


def _clean_policy(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    unknown_fields(data, POLICY_FIELDS, errors)
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = clean_line(data["name"] or "", model=SlaPolicy, field="name", errors=errors)
        if not out["name"]:
            errors.add("name", _("This field is required."))
    if "position" in data:
        out["position"] = _whole(data["position"], "position", errors, low=0, high=100_000)
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Answer true or false."))
        else:
            out["is_active"] = data["is_active"]
    if "conditions" in data:
        try:
            out["conditions"] = conditions_clean(data["conditions"], allowed=SLA_CONDITION_KEYS)
        except ValidationError as exc:
            for message in exc.message_dict.get("conditions", exc.messages):
                errors.add("conditions", message)
    for field in ("first_response_minutes", "resolution_minutes"):
        if field in data:
            out[field] = _whole(data[field], field, errors, low=1, high=MAX_TARGET_MINUTES)
    if "warn_percent" in data:
        out["warn_percent"] = _whole(data["warn_percent"], "warn_percent", errors, low=1, high=99)
    if "escalate_to_id" in data:
        out["escalate_to_id"] = _team(data["escalate_to_id"], "escalate_to_id", errors)
    return out


def _check_targets(first: int, resolution: int, errors: Errors) -> None:
    checked = "first_response_minutes" not in errors.fields and "resolution_minutes" not in errors.fields
    if checked and resolution < first:
        errors.add("resolution_minutes", _("Resolution cannot be due before the first response."))


@transaction.atomic
def sla_policy_create(*, by: User, data: Mapping[str, Any]) -> SlaPolicy:
    """A new policy, last in order unless a position is given. Needs a name and both targets."""
    require_desk_admin(by)
    errors = Errors()
    values = _clean_policy(data, errors)
    for field in ("name", "first_response_minutes", "resolution_minutes"):
        if field not in data:
            errors.add(field, _("This field is required."))
    if "first_response_minutes" in values and "resolution_minutes" in values:
        _check_targets(values["first_response_minutes"], values["resolution_minutes"], errors)
    errors.raise_if_any()
    if "position" not in values:
        values["position"] = position_next(SlaPolicy, first=0)
    return SlaPolicy.objects.create(**values)


@transaction.atomic
def sla_policy_update(*, policy: SlaPolicy, by: User, data: Mapping[str, Any]) -> SlaPolicy:
    """Change some fields of a policy. Tickets already counted keep their due times; new and changed tickets
    (priority, category, customer) get the new targets."""
    require_desk_admin(by)
    errors = Errors()
    values = _clean_policy(data, errors)
    _check_targets(
        values.get("first_response_minutes", policy.first_response_minutes),
        values.get("resolution_minutes", policy.resolution_minutes),
        errors,
    )
    errors.raise_if_any()
    for field, value in values.items():
        setattr(policy, field, value)
    if values:
        policy.save(update_fields=[*values, "updated_at"])
    return policy


@transaction.atomic
def sla_policy_reorder(*, by: User, ids: Sequence[int]) -> list[SlaPolicy]:
    """Put the policies named in `ids` first, in that order; the others follow in their present order. Returns
    every policy in its new order (the first that matches a ticket wins)."""
    require_desk_admin(by)
    errors = Errors()
    policies = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    known = {policy.pk for policy in policies}
    wanted = [int(pk) for pk in ids if not isinstance(pk, bool) and isinstance(pk, int)]
    if len(wanted) != len(ids) or len(set(wanted)) != len(wanted):
        errors.add("ids", _("List each policy's id once."))
    elif set(wanted) - known:
        missing = ", ".join(str(pk) for pk in sorted(set(wanted) - known))
        errors.add("ids", _("No such policy: %(ids)s.") % {"ids": missing})
    errors.raise_if_any()
    by_id = {policy.pk: policy for policy in policies}
    ordered = [by_id[pk] for pk in wanted] + [policy for policy in policies if policy.pk not in set(wanted)]
    for position, policy in enumerate(ordered):
        if policy.position != position:
            policy.position = position
            policy.save(update_fields=["position", "updated_at"])
    return ordered


@transaction.atomic
def sla_policy_deactivate(*, policy: SlaPolicy, by: User) -> SlaPolicy:
    """Stop applying a policy to new tickets; tickets counted with it keep it (and their due times)."""
    require_desk_admin(by)
    if policy.is_active:
        policy.is_active = False
        policy.save(update_fields=["is_active", "updated_at"])
    return policy


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy, by: User) -> bool:
    """Remove a policy no ticket was counted with; one that tickets name is deactivated instead, so their
    history and the measures still say which promise they were held to. Returns whether it was removed."""
    require_desk_admin(by)
    if policy.tickets.exists():
        sla_policy_deactivate(policy=policy, by=by)
        return False
    policy.delete()
    return True


# --- holidays ---------------------------------------------------------------------------------------------


def _clean_day(value: Any, errors: Errors, field: str = "date") -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if value in (None, ""):
        errors.add(field, _("This field is required."))
        return None
    try:
        return parse_date(str(value))
    except (ValueError, TypeError):
        errors.add(field, _("Enter a date like 1405/01/12 or 2026-04-01."))
        return None


@transaction.atomic
def holiday_add(*, by: User | None, date: dt.date | str, name: str) -> Holiday:
    """One more day the office is closed (a date as a date, a Jalali 1405/01/12 or an ISO string)."""
    require_desk_admin(by)
    errors = Errors()
    day = _clean_day(date, errors)
    text = clean_line(name or "", model=Holiday, field="name", errors=errors)
    if not text:
        errors.add("name", _("This field is required."))
    if day is not None and Holiday.objects.filter(date=day).exists():
        errors.add("date", _("This day is already a holiday."))
    errors.raise_if_any()
    assert day is not None
    return Holiday.objects.create(date=day, name=text)


@transaction.atomic
def holiday_remove(*, by: User | None, holiday: Holiday) -> None:
    """The office works on this day after all."""
    require_desk_admin(by)
    holiday.delete()


def official_holiday_years() -> list[int]:
    """The Jalali years whose official holiday list ships with the desk."""
    years = []
    for path in DATA_DIR.glob("holidays_*.json"):
        suffix = path.stem.removeprefix("holidays_")
        if suffix.isdigit():
            years.append(int(suffix))
    return sorted(years)


def official_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The official holidays of Jalali `year` as (date, name), from the list that ships with the desk; a
    ValidationError on "year" when there is none."""
    path = DATA_DIR / f"holidays_{int(year)}.json"
    if not path.is_file():
        raise ValidationError(
            {"year": [_("There is no official holiday list for %(year)s; add its days one by one.") % {"year": year}]}
        )
    content = json.loads(path.read_text(encoding="utf-8"))
    return [(parse_date(item["date"]), str(item["name"])) for item in content["holidays"]]


@dataclass(frozen=True)
class HolidayLoad:
    year: int
    added: int
    kept: int


@transaction.atomic
def holidays_load_year(*, by: User | None, year: int) -> HolidayLoad:
    """Add the official holidays of Jalali `year`. A day already listed keeps its name (an administrator may
    have renamed or moved it), so loading twice adds nothing; days removed stay removed only until the next load."""
    require_desk_admin(by)
    days = official_holidays(year)
    existing = set(Holiday.objects.filter(date__in=[day for day, _name in days]).values_list("date", flat=True))
    new = [Holiday(date=day, name=name) for day, name in days if day not in existing]
    Holiday.objects.bulk_create(new, ignore_conflicts=True)
    return HolidayLoad(year=int(year), added=len(new), kept=len(existing))


def jalali_year_range(year: int) -> tuple[dt.date, dt.date]:
    """The first and last Gregorian day of Jalali `year`."""
    return JalaliMonth(year, 1).first_day, JalaliMonth(year, 12).last_day


# --- the desk's settings ----------------------------------------------------------------------------------


def _clean_time(value: Any, field: str, errors: Errors) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a time like 08:00."))
        return None


@transaction.atomic
def service_settings_update(*, by: User, data: Mapping[str, Any]) -> ServiceSettings:
    """Change the desk's settings (only the fields given). The working hours must make a day: it ends after it
    starts, and a half Thursday ends after the day starts."""
    require_desk_admin(by)
    row = ServiceSettings.objects.select_for_update().get(pk=service_settings().pk)
    errors = Errors()
    unknown_fields(data, SETTINGS_FIELDS, errors)
    values: dict[str, Any] = {}
    for field in ("day_starts", "day_ends", "thursday_ends"):
        if field in data:
            values[field] = _clean_time(data[field], field, errors)
    if "thursday" in data:
        if data["thursday"] not in ThursdayHours.values:
            errors.add("thursday", _("Choose full, half or off."))
        else:
            values["thursday"] = data["thursday"]
    if "closed_ticket_reply" in data:
        if data["closed_ticket_reply"] not in ClosedTicketReply.values:
            errors.add("closed_ticket_reply", _("Choose reopen or new_ticket."))
        else:
            values["closed_ticket_reply"] = data["closed_ticket_reply"]
    if "default_team_id" in data:
        values["default_team_id"] = _team(data["default_team_id"], "default_team_id", errors)
    if "close_resolved_after_days" in data:
        values["close_resolved_after_days"] = _whole(
            data["close_resolved_after_days"], "close_resolved_after_days", errors, low=0, high=MAX_CLOSE_AFTER_DAYS
        )
    if "low_satisfaction" in data:
        values["low_satisfaction"] = _whole(data["low_satisfaction"], "low_satisfaction", errors, low=1, high=4)
    if not errors:
        starts = values.get("day_starts", row.day_starts)
        ends = values.get("day_ends", row.day_ends)
        if ends <= starts:
            errors.add("day_ends", _("The working day must end after it starts."))
        thursday = values.get("thursday", row.thursday)
        thursday_ends = values.get("thursday_ends", row.thursday_ends)
        if thursday == ThursdayHours.HALF and thursday_ends <= starts:
            errors.add("thursday_ends", _("A half Thursday must end after the working day starts."))
    errors.raise_if_any()
    for field, value in values.items():
        setattr(row, field, value)
    if values:
        row.save(update_fields=[*values, "updated_at"])
    return row
