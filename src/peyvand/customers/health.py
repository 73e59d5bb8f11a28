"""Data health: how many visible customers have each fixable problem, and the list filter for each.

Every problem is one SQL condition (`health_condition`), used both to count (all counts in one pass over the
visible customers with COUNT … FILTER) and to filter the customer list, so a count and its list always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.customers.models import Consent, CustomerKind, CustomerPhone, DuplicateCandidate, DuplicateStatus
from peyvand.customers.selectors import customers_visible_to

INACTIVE_MONTHS = 12
PROBLEMS = {
    "missing_phone": _("No phone number"),
    "invalid_phone": _("Invalid phone number"),
    "invalid_national_id": _("Invalid national code"),
    "no_consent": _("No consent recorded"),
    "inactive": _("No activity"),
    "duplicates": _("Suspected duplicates"),
}

# A stored number is E.164: "+", a country code not starting with 0, 7 to 15 digits in all; an Iranian one
# (+98) has exactly ten digits after the country code. Whether the range is allocated needs the
# phonenumbers library and so cannot be asked of the database; numbers are checked that way on entry.
_E164 = r"^\+[1-9][0-9]{6,14}$"
_IRANIAN = r"^\+98[0-9]{10}$"

_COLUMN = '"customers_customer"."national_id"'


def _digit(position: int) -> str:
    return f"CAST(SUBSTR({_COLUMN}, {position}, 1) AS INTEGER)"


def _national_code_valid_sql() -> str:
    """core.national_id.is_valid_national_code in SQL that SQLite and PostgreSQL both run: ten digits (what is
    left after removing every digit is empty), not all the same, and the check digit right. The arithmetic is
    inside the CASE, so a value that is not ten digits is never cast."""
    digits_only = _COLUMN
    for d in "0123456789":
        digits_only = f"REPLACE({digits_only}, '{d}', '')"
    weighted = " + ".join(f"{_digit(i)} * {11 - i}" for i in range(1, 10))
    remainder = f"(({weighted}) %% 11)"  # %% : the statement goes through parameter substitution
    check = f"(CASE WHEN {remainder} < 2 THEN {remainder} ELSE 11 - {remainder} END)"
    return (
        f"(CASE WHEN LENGTH({_COLUMN}) = 10 AND {digits_only} = '' "
        f"AND REPLACE({_COLUMN}, SUBSTR({_COLUMN}, 1, 1), '') <> '' "
        f"THEN (CASE WHEN {check} = {_digit(10)} THEN 1 ELSE 0 END) ELSE 0 END) = 1"
    )


def _months_ago(months: int, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, 28)  # every month has a 28th; a day's difference does not matter here
    return now.replace(year=year, month=month + 1, day=day)


def health_condition(problem: str, *, inactive_months: int = INACTIVE_MONTHS) -> Q:
    """The customers having `problem` (a key of PROBLEMS); an unknown key matches everyone (no filter)."""
    if problem == "missing_phone":
        return ~Q(Exists(CustomerPhone.objects.filter(customer_id=OuterRef("pk"))))
    if problem == "invalid_phone":
        bad = CustomerPhone.objects.filter(customer_id=OuterRef("pk")).filter(
            ~Q(number__regex=_E164) | (Q(number__startswith="+98") & ~Q(number__regex=_IRANIAN))
        )
        return Q(Exists(bad))
    if problem == "invalid_national_id":
        valid = RawSQL(_national_code_valid_sql(), [], output_field=BooleanField())  # noqa: S611 - constant SQL
        return Q(kind=CustomerKind.PERSON) & ~Q(national_id="") & ~Q(valid)
    if problem == "no_consent":
        return ~Q(Exists(Consent.objects.filter(customer_id=OuterRef("pk"))))
    if problem == "inactive":
        since = _months_ago(inactive_months)
        return Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=since)
    if problem == "duplicates":
        open_pairs = DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN, first__deleted_at__isnull=True, second__deleted_at__isnull=True
        )
        return Q(pk__in=open_pairs.values("first_id")) | Q(pk__in=open_pairs.values("second_id"))
    return Q()


@dataclass(frozen=True)
class HealthCount:
    key: str
    label: str
    count: int
    url: str


def data_health(user: User, inactive_months: int = INACTIVE_MONTHS) -> dict[str, int]:
    """Visible customers with each problem, counted in one pass; `total` is all visible customers."""
    conditions = {key: health_condition(key, inactive_months=inactive_months) for key in PROBLEMS}
    counts = customers_visible_to(user).aggregate(
        total=Count("pk"), **{key: Count("pk", filter=condition) for key, condition in conditions.items()}
    )
    return {key: int(value or 0) for key, value in counts.items()}


def health_list_url(problem: str, *, inactive_months: int = INACTIVE_MONTHS) -> str:
    """The customer list filtered to exactly the customers counted under `problem`."""
    params: dict[str, str | int] = {"health": problem}
    if problem == "inactive" and inactive_months != INACTIVE_MONTHS:
        params["months"] = inactive_months
    return f"{reverse('customers:list')}?{urlencode(params)}"


def health_cards(user: User, inactive_months: int = INACTIVE_MONTHS) -> tuple[int, list[HealthCount]]:
    counts = data_health(user, inactive_months)
    cards = [
        HealthCount(key, str(label), counts[key], health_list_url(key, inactive_months=inactive_months))
        for key, label in PROBLEMS.items()
    ]
    return counts["total"], cards
