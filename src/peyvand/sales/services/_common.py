"""What the sales services share: collecting field errors, the stale-write error, and who may do what."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.errors import ConflictError
from peyvand.core.jalali import parse_date
from peyvand.core.text import clean_text

# A hundred thousand billion Tomans: far above any real sale, and low enough that the sum of thousands of such
# amounts (a board column, a forecast) still fits the 64-bit integers the databases add them up in.
MAX_AMOUNT = 10**15

__all__ = [
    "MAX_AMOUNT",
    "ConflictError",
    "Errors",
    "check_money",
    "clean_date",
    "clean_line",
    "clean_moment",
    "clean_people",
    "max_length",
    "require_catalogue_editor",
    "unknown_fields",
]


class Errors:
    """Field errors gathered while checking input, raised together as one ValidationError."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)

    def __bool__(self) -> bool:
        return bool(self.fields)


@cache
def max_length(model: type[models.Model], field: str) -> int | None:
    return getattr(model._meta.get_field(field), "max_length", None)


def clean_line(value: object, *, model: type[models.Model], field: str, errors: Errors, name: str = "") -> str:
    """Text typed by a person, tidied (core.text.clean_text) and checked against its column's length: tidying
    can lengthen text, and PostgreSQL refuses what does not fit with an error rather than a message."""
    text = clean_text(str(value)) if value is not None else ""
    limit = max_length(model, field)
    if limit is not None and len(text) > limit:
        errors.add(name or field, _("This is too long: at most %(limit)d characters.") % {"limit": limit})
    return text


def check_money(value: object, *, field: str, errors: Errors) -> int:
    """An amount in Rials: a whole number, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, _("Write the amount as a whole number of Rials."))
        return 0
    if value < 0:
        errors.add(field, _("An amount cannot be negative."))
    elif value > MAX_AMOUNT:
        errors.add(field, _("This amount is too large."))
    return value


def unknown_fields(data: Mapping[str, Any], accepted: set[str], errors: Errors) -> None:
    for key in data:
        if key not in accepted:
            errors.add(str(key), _("Unknown field."))


def require_catalogue_editor(by: User) -> None:
    """The catalogue's prices are company policy: administrators and managers set them, agents read them."""
    if not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only a manager or an administrator can change products and services."))


def clean_date(value: Any, errors: Errors, field: str) -> date | None:
    """A date from a date, a Jalali string (1403/01/15, Persian digits too) or ISO; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return parse_date(str(value))
    except (ValueError, TypeError):
        errors.add(field, _("Enter a date like 1403/01/15 or 2024-04-03."))
        return None


def clean_moment(value: Any, errors: Errors, field: str) -> datetime | None:
    """A time-zone-aware datetime, or None; a naive one is refused (the site stores UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors.add(field, _("Not a valid date and time."))
        return None
    if not 1900 <= value.year <= 2199:
        # Far-off times are typing mistakes, and reminders a few minutes before year 1 do not exist.
        errors.add(field, _("Not a valid date and time."))
        return None
    return value


def clean_people(data: Mapping[str, Any], by: User, errors: Errors, out: dict[str, Any]) -> None:
    """Owner and team: anyone the caller may assign to, and always the caller and their own team."""
    if "team_id" in data:
        value = data["team_id"]
        if value is None:
            out["team_id"] = None
        elif value != by.team_id and not teams_visible_to(by).filter(pk=value).exists():
            errors.add("team_id", _("No such team, or not one you can assign to."))
        else:
            out["team_id"] = int(value)
    if "owner_id" in data:
        value = data["owner_id"]
        if value is None:
            out["owner_id"] = None
        elif value != by.pk and not users_visible_to(by).filter(pk=value).exists():
            errors.add("owner_id", _("No such user, or not one you can assign to."))
        else:
            out["owner_id"] = int(value)
