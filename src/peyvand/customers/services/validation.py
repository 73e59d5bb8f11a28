"""Checking and normalising what callers send before anything is written; the shared permission check."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache, lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.jalali import parse_date
from peyvand.core.national_id import is_valid_legal_id, is_valid_national_code, normalize_national_code
from peyvand.core.phone import InvalidPhone, normalize_phone
from peyvand.core.text import clean_text, normalize_digits, search_key
from peyvand.customers.models import (
    AddressKind,
    ContactChannel,
    Customer,
    CustomerAddress,
    CustomerKind,
    CustomField,
    CustomFieldType,
    EmailKind,
    Gender,
    IncomeBracket,
    LifecycleStage,
    PhoneKind,
    SettlementHabit,
    Source,
    Tier,
)
from peyvand.customers.selectors import customers_visible_to

TEXT_FIELDS = ("first_name", "last_name", "name", "job_title")
CHOICE_FIELDS: dict[str, type[models.TextChoices]] = {
    "gender": Gender,
    "income_bracket": IncomeBracket,
    "lifecycle_stage": LifecycleStage,
    "source": Source,
    "preferred_channel": ContactChannel,
    "settlement_habit": SettlementHabit,
    "tier": Tier,
}
SCALAR_FIELDS = (
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
    "birth_date",
    "national_id",
    "notes",
    "parent_id",
    "organization_id",
    "owner_id",
    "team_id",
    "custom_fields",
)
LIST_FIELDS = ("phones", "emails", "addresses", "tags")
ACCEPTED = {"kind", *SCALAR_FIELDS, *LIST_FIELDS}


def display_name_for(*, kind: str, first_name: str, last_name: str, name: str) -> str:
    if kind == CustomerKind.ORGANIZATION:
        return name
    return " ".join(part for part in (first_name, last_name) if part)


# Names repeat (a few hundred first names and surnames, a few dozen cities), and an import cleans every row:
# both are pure functions of their text, so a bounded cache saves most of their cost.
@lru_cache(maxsize=20_000)
def search_key_for(display_name: str) -> str:
    return search_key(display_name)[:255]


_clean_name = lru_cache(maxsize=20_000)(clean_text)


# Dates repeat too (an import's birth dates span a few thousand days).
_parse_date = lru_cache(maxsize=50_000)(parse_date)
_TODAY: list[Any] = [0.0, None]


def _today() -> date:
    """The site's date, read again at most once a minute (an import asks for it on every row)."""
    now = time.monotonic()
    if _TODAY[1] is None or now - _TODAY[0] > 60:
        _TODAY[:] = [now, timezone.localdate()]
    today: date = _TODAY[1]
    return today


@cache
def _choice_values(choices: type[models.TextChoices]) -> frozenset[str]:
    """The values of a choices class, read once: `.values` builds a new list on every call."""
    return frozenset(choices.values)


# --- validation ---------------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)


def _clean_contact_rows(
    raw: Iterable[Mapping[str, Any]],
    errors: _Errors,
    *,
    name: str,
    field: str,
    normalise: Callable[[str], str],
    invalid: Callable[[], str],
    kinds: type[models.TextChoices],
    default_kind: str,
    unknown_kind: Callable[[], str],
) -> list[dict[str, Any]]:
    """Rows of phones or e-mails: each value normalised (or reported by its position), its type checked,
    repeats dropped, exactly one primary. The messages are made only when needed: translating them for
    every row was a tenth of an import's validation."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            value = normalise(str(item.get(field, "")))
        except (InvalidPhone, ValidationError):
            errors.add(f"{name}.{i}.{field}", invalid() % {"value": item.get(field, "")})
            continue
        kind = item.get("kind") or default_kind
        if kind not in _choice_values(kinds):
            errors.add(f"{name}.{i}.kind", unknown_kind())
            continue
        if value in seen:
            continue
        seen.add(value)
        rows.append({field: value, "kind": kind, "is_primary": bool(item.get("is_primary"))})
    _one_primary(rows)
    return rows


def _normalise_email(raw: str) -> str:
    email = normalize_digits(raw).strip().lower()
    validate_email(email)
    return email


def _clean_phones(raw: Iterable[Mapping[str, Any]], errors: _Errors) -> list[dict[str, Any]]:
    return _clean_contact_rows(
        raw,
        errors,
        name="phones",
        field="number",
        normalise=normalize_phone,
        invalid=lambda: _("“%(value)s” is not a valid phone number."),
        kinds=PhoneKind,
        default_kind=PhoneKind.MOBILE,
        unknown_kind=lambda: _("Unknown phone type."),
    )


def _clean_emails(raw: Iterable[Mapping[str, Any]], errors: _Errors) -> list[dict[str, Any]]:
    return _clean_contact_rows(
        raw,
        errors,
        name="emails",
        field="email",
        normalise=_normalise_email,
        invalid=lambda: _("“%(value)s” is not a valid e-mail address."),
        kinds=EmailKind,
        default_kind=EmailKind.WORK,
        unknown_kind=lambda: _("Unknown e-mail type."),
    )


def _clean_addresses(raw: Iterable[Mapping[str, Any]], errors: _Errors) -> list[dict[str, Any]]:
    addresses: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        kind = item.get("kind") or AddressKind.WORK
        if kind not in _choice_values(AddressKind):
            errors.add(f"addresses.{i}.kind", _("Unknown address type."))
            continue
        postal = normalize_digits(str(item.get("postal_code") or "")).replace("-", "").replace(" ", "")
        if postal and (not postal.isdigit() or len(postal) != 10):
            errors.add(f"addresses.{i}.postal_code", _("A postal code has 10 digits."))
            continue
        row = {
            "kind": kind,
            "province": _clean_name(item.get("province")),
            "city": _clean_name(item.get("city")),
            "line": clean_text(item.get("line")),
            "postal_code": postal,
            "is_primary": bool(item.get("is_primary")),
        }
        for part in ("province", "city", "line"):
            _check_length(str(row[part]), CustomerAddress, part, f"addresses.{i}.{part}", errors)
        if any(row[k] for k in ("province", "city", "line", "postal_code")):
            addresses.append(row)
    _one_primary(addresses)
    return addresses


def _check_length(value: str, model: type[models.Model], field: str, name: str, errors: _Errors) -> None:
    """clean_text can lengthen text (it unfolds Arabic ligatures such as «ﷺ»), so a value the schema let
    through may no longer fit its column; PostgreSQL would refuse it with a 500."""
    limit = _max_length(model, field)
    if limit is not None and len(value) > limit:
        errors.add(name, _("This is too long: at most %(limit)d characters.") % {"limit": limit})


@cache
def _max_length(model: type[models.Model], field: str) -> int | None:
    return getattr(model._meta.get_field(field), "max_length", None)


def _one_primary(rows: list[dict[str, Any]]) -> None:
    """Exactly one primary entry when there are any: the first marked one, else the first."""
    if not rows:
        return
    first = next((i for i, r in enumerate(rows) if r["is_primary"]), 0)
    for i, row in enumerate(rows):
        row["is_primary"] = i == first


def _clean_custom_fields(
    raw: Any, kind: str, errors: _Errors, *, partial_base: dict[str, Any], fields: Iterable[CustomField] | None = None
) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        errors.add("custom_fields", _("Custom fields must be an object of key and value."))
        return partial_base
    active = CustomField.objects.filter(is_active=True) if fields is None else fields
    definitions = {f.key: f for f in active if f.applies_to in ("", kind)}
    values = dict(partial_base)
    for key, value in raw.items():
        field = definitions.get(key)
        name = f"custom_fields.{key}"
        if field is None:
            errors.add(name, _("There is no custom field “%(key)s”.") % {"key": key})
            continue
        if value in (None, ""):
            values.pop(key, None)
            continue
        try:
            values[key] = _custom_value(field, value)
        except (ValueError, TypeError):
            errors.add(name, _("Not a valid value for “%(label)s”.") % {"label": field.label_fa})
    for key, field in definitions.items():
        if field.required and values.get(key) in (None, ""):
            errors.add(f"custom_fields.{key}", _("This field is required."))
    return values


def _custom_value(field: CustomField, value: Any) -> Any:
    if field.field_type == CustomFieldType.TEXT:
        return clean_text(str(value))
    if field.field_type == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise TypeError
        return int(normalize_digits(str(value)).replace(",", "").replace("٬", ""))
    if field.field_type == CustomFieldType.DATE:
        return (value if isinstance(value, date) else parse_date(str(value))).isoformat()
    if field.field_type == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "بله", "آری"):
            return True
        if text in ("0", "false", "no", "خیر"):
            return False
        raise ValueError(value)
    if str(value) not in [str(c) for c in field.choices]:
        raise ValueError(value)
    return str(value)


def _clean(
    *,
    data: Mapping[str, Any],
    by: User,
    instance: Customer | None,
    custom_fields: Iterable[CustomField] | None = None,
) -> dict[str, Any]:
    """Check and normalise incoming values; returns only the keys given (so PATCH changes only those).
    `custom_fields`: the active definitions, read once by callers that clean many rows (imports)."""
    errors = _Errors()
    for key in data:
        if key not in ACCEPTED:
            errors.add(key, _("Unknown field."))
    errors.raise_if_any()
    kind = data.get("kind", instance.kind if instance else CustomerKind.PERSON)
    if kind not in _choice_values(CustomerKind):
        errors.add("kind", _("Choose a person or an organisation."))
        errors.raise_if_any()
    if instance is not None and kind != instance.kind:
        errors.add("kind", _("A person cannot become an organisation or the other way round."))
    out: dict[str, Any] = {"kind": kind}

    for field in TEXT_FIELDS:
        if field in data:
            out[field] = _clean_name(data[field] or "")
            _check_length(out[field], Customer, field, field, errors)
    if "notes" in data:
        out["notes"] = (data["notes"] or "").strip()
    for field, choices in CHOICE_FIELDS.items():
        if field in data:
            value = data[field] or ""
            if value and value not in _choice_values(choices):
                errors.add(field, _("“%(value)s” is not one of the choices.") % {"value": value})
            out[field] = value
    if out.get("lifecycle_stage") == "":
        out["lifecycle_stage"] = LifecycleStage.PROSPECT

    if "birth_date" in data:
        value = data["birth_date"]
        if value in (None, ""):
            out["birth_date"] = None
        elif isinstance(value, date):
            out["birth_date"] = value
        else:
            try:
                out["birth_date"] = _parse_date(str(value))
            except ValueError:
                errors.add("birth_date", _("Enter a date like 1403/01/15 or 2024-04-03."))
        birth = out.get("birth_date")
        if birth and (birth > _today() or birth.year < 1900):
            errors.add("birth_date", _("The birth date is not plausible."))

    if "national_id" in data:
        raw = normalize_digits(str(data["national_id"] or "")).replace("-", "").replace(" ", "")
        if not raw:
            out["national_id"] = ""
        elif kind == CustomerKind.PERSON:
            code = normalize_national_code(raw)
            if not is_valid_national_code(code):
                errors.add("national_id", _("This national code is not valid (check digit does not match)."))
            out["national_id"] = code
        else:
            if not is_valid_legal_id(raw):
                errors.add("national_id", _("This national ID is not valid (11 digits with a check digit)."))
            out["national_id"] = raw

    # Built only when a parent or organisation is given: most rows of an import have neither.
    visible: models.QuerySet[Customer] | None = None
    for field in ("parent_id", "organization_id"):
        wanted_kind = CustomerKind.ORGANIZATION
        if field in data:
            value = data[field]
            if value in (None, ""):
                out[field] = None
                continue
            if field == "parent_id" and kind != CustomerKind.ORGANIZATION:
                errors.add(field, _("Only an organisation can have a parent organisation."))
                continue
            if field == "organization_id" and kind != CustomerKind.PERSON:
                errors.add(field, _("Use the parent organisation for an organisation."))
                continue
            if visible is None:
                visible = customers_visible_to(by)
            target = visible.filter(pk=value, kind=wanted_kind).first() if str(value).isdigit() else None
            if target is None:
                errors.add(field, _("No such organisation."))
                continue
            if field == "parent_id" and instance is not None and _would_cycle(instance, target):
                errors.add(field, _("An organisation cannot be under itself or its own sub-organisation."))
                continue
            out[field] = target.pk

    if "team_id" in data:
        value = data["team_id"]
        if value in (None, ""):
            out["team_id"] = None
        elif not teams_visible_to(by).filter(pk=value).exists():
            errors.add("team_id", _("No such team, or not one you can assign to."))
        else:
            out["team_id"] = int(value)
    if "owner_id" in data:
        value = data["owner_id"]
        if value in (None, ""):
            out["owner_id"] = None
        elif not users_visible_to(by).filter(pk=value).exists():
            errors.add("owner_id", _("No such user, or not one you can assign to."))
        else:
            out["owner_id"] = int(value)

    if "phones" in data:
        out["phones"] = _clean_phones(data["phones"] or [], errors)
    if "emails" in data:
        out["emails"] = _clean_emails(data["emails"] or [], errors)
    if "addresses" in data:
        out["addresses"] = _clean_addresses(data["addresses"] or [], errors)
    if "tags" in data:
        out["tags"] = sorted({clean_text(str(t))[:60] for t in (data["tags"] or []) if clean_text(str(t))})
    if "custom_fields" in data or instance is None:
        base = {} if instance is None else dict(instance.custom_fields)
        out["custom_fields"] = _clean_custom_fields(
            data.get("custom_fields") or {}, kind, errors, partial_base=base, fields=custom_fields
        )

    first = out.get("first_name", instance.first_name if instance else "")
    last = out.get("last_name", instance.last_name if instance else "")
    name = out.get("name", instance.name if instance else "")
    if kind == CustomerKind.PERSON and not (first or last):
        errors.add("last_name", _("A person needs a first or last name."))
    if kind == CustomerKind.ORGANIZATION and not name:
        errors.add("name", _("An organisation needs a name."))
    errors.raise_if_any()
    return out


def _would_cycle(instance: Customer, target: Customer) -> bool:
    node: Customer | None = target
    seen = 0
    while node is not None and seen < 100:
        if node.pk == instance.pk:
            return True
        node = node.parent
        seen += 1
    return False


def _require_visible(customer: Customer, by: User) -> None:
    if not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise Customer.DoesNotExist
