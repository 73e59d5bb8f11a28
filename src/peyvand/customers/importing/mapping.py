"""Which column is which customer field: automatic from Persian or English headings, or a saved mapping."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peyvand.core.text import normalize_digits, search_key
from peyvand.customers.importing.readers import Cell
from peyvand.customers.models import (
    CustomerKind,
    CustomField,
    Gender,
    IncomeBracket,
    LifecycleStage,
    PhoneKind,
    Source,
    Tier,
)

CUSTOM_PREFIX = "cf:"

# The fields a column can be, in the order the wizard lists them.
FIELDS: dict[str, Promise] = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "full_name": _("Full name (first and last in one column)"),
    "organization": _("Organisation name"),
    "kind": _("Person or organisation"),
    "mobile": _("Mobile"),
    "phone": _("Landline phone"),
    "email": _("E-mail"),
    "national_id": _("National code / national ID"),
    "gender": _("Gender"),
    "birth_date": _("Birth date"),
    "province": _("Province"),
    "city": _("City"),
    "address": _("Address"),
    "postal_code": _("Postal code"),
    "job_title": _("Job title"),
    "lifecycle_stage": _("Lifecycle stage"),
    "source": _("Source"),
    "income_bracket": _("Income bracket"),
    "tier": _("Tier"),
    "tags": _("Tags"),
    "notes": _("Notes"),
    "owner": _("Account manager (username)"),
    "team": _("Team (name)"),
}
# Fields more than one column may feed (a file with «موبایل ۱» and «موبایل ۲»).
REPEATABLE = {"mobile", "phone", "email", "tags", "notes"}

SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("نام کوچک", "first name", "firstname", "given name", "forename"),
    "last_name": ("نام خانوادگی", "فامیلی", "فامیل", "last name", "lastname", "surname", "family name"),
    "full_name": (
        "نام و نام خانوادگی",
        "نام کامل",
        "نام مشتری",
        "مشتری",
        "full name",
        "fullname",
        "customer",
        "customer name",
        "contact name",
    ),
    "organization": (
        "نام شرکت",
        "شرکت",
        "سازمان",
        "نام سازمان",
        "company",
        "company name",
        "organization",
        "organisation",
        "organization name",
        "organisation name",
        "account",
    ),
    "kind": ("نوع", "نوع مشتری", "حقیقی/حقوقی", "kind", "type", "customer type"),
    "mobile": (
        "موبایل",
        "همراه",
        "تلفن همراه",
        "شماره موبایل",
        "شماره همراه",
        "شماره تلفن همراه",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "cellphone",
    ),
    "phone": (
        "تلفن",
        "تلفن ثابت",
        "شماره تلفن",
        "تلفن محل کار",
        "phone",
        "tel",
        "telephone",
        "landline",
        "phone number",
    ),
    "email": ("ایمیل", "پست الکترونیک", "پست الکترونیکی", "رایانامه", "email", "e-mail", "email address", "mail"),
    "national_id": (
        "کد ملی",
        "کدملی",
        "شماره ملی",
        "شناسه ملی",
        "national code",
        "national id",
        "nationalid",
        "national_id",
    ),
    "gender": ("جنسیت", "جنس", "gender", "sex"),
    "birth_date": ("تاریخ تولد", "تولد", "birth date", "birthdate", "date of birth", "dob", "birthday"),
    "province": ("استان", "province", "state", "region"),
    "city": ("شهر", "city", "town"),
    "address": ("آدرس", "نشانی", "address", "street", "address line"),
    "postal_code": ("کد پستی", "کدپستی", "postal code", "postcode", "zip", "zip code"),
    "job_title": ("سمت", "عنوان شغلی", "شغل", "job title", "title", "position", "role"),
    "lifecycle_stage": ("مرحله", "وضعیت", "مرحله مشتری", "stage", "lifecycle stage", "status"),
    "source": ("منبع", "منبع آشنایی", "نحوه آشنایی", "source", "lead source"),
    "income_bracket": ("سطح درآمد", "درآمد", "income", "income bracket"),
    "tier": ("سطح", "سطح مشتری", "رده", "رده مشتری", "tier", "customer tier", "level"),
    "tags": ("برچسب", "برچسب ها", "برچسبها", "تگ", "tags", "tag", "labels"),
    "notes": ("یادداشت", "توضیحات", "توضیح", "notes", "note", "comments", "description"),
    "owner": ("مسئول", "کارشناس", "مدیر حساب", "owner", "account manager", "username"),
    "team": ("تیم", "واحد", "team", "unit"),
}
# «نام» / «name» alone: the first name beside a last-name column, otherwise the whole name.
_BARE_NAME = {search_key("نام"), search_key("name")}

_EXTRA_VALUES: dict[str, dict[str, str]] = {
    "gender": {
        "مرد": "male",
        "آقا": "male",
        "اقا": "male",
        "m": "male",
        "زن": "female",
        "خانم": "female",
        "f": "female",
    },
    "tier": {
        "طلایی": "gold",
        "طلا": "gold",
        "نقره ای": "silver",
        "نقره": "silver",
        "برنزی": "bronze",
        "برنز": "bronze",
    },
    "kind": {
        "شخص": "person",
        "حقیقی": "person",
        "فرد": "person",
        "individual": "person",
        "سازمان": "organization",
        "شرکت": "organization",
        "حقوقی": "organization",
        "company": "organization",
        "organisation": "organization",
    },
}
_CHOICES: dict[str, type[models.TextChoices]] = {
    "gender": Gender,
    "kind": CustomerKind,
    "lifecycle_stage": LifecycleStage,
    "source": Source,
    "income_bracket": IncomeBracket,
    "tier": Tier,
}
_TAG_SPLIT = re.compile(r"[,،;؛|]")
_EMAILISH = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@cache
def _synonym_index() -> dict[str, str]:
    return {search_key(name): key for key, names in SYNONYMS.items() for name in (key, *names)}


@cache
def _choice_index(name: str) -> dict[str, str]:
    """Every way a choice may be written (its code, English and Persian labels, common words) → its code."""
    choices = _CHOICES[name]
    index: dict[str, str] = {}
    for value, label in choices.choices:
        index[search_key(value)] = value
        for lang in ("en", "fa"):
            with translation.override(lang):
                index[search_key(str(label))] = value
    index.update({search_key(k): v for k, v in _EXTRA_VALUES.get(name, {}).items()})
    return index


def custom_field_keys() -> dict[str, str]:
    """Headings that name a custom field (its key, Persian or English label) → the field's mapping key."""
    index: dict[str, str] = {}
    for custom in CustomField.objects.filter(is_active=True):
        for name in (custom.key, custom.label_fa, custom.label_en, f"cf_{custom.key}"):
            index[search_key(name)] = CUSTOM_PREFIX + custom.key
    return index


def field_choices() -> list[tuple[str, str]]:
    """(key, label) of every field a column can be mapped to, custom fields last."""
    rows = [(key, str(label)) for key, label in FIELDS.items()]
    lang_fa = (translation.get_language() or "fa").startswith("fa")
    for custom in CustomField.objects.filter(is_active=True):
        rows.append((CUSTOM_PREFIX + custom.key, custom.label_fa if lang_fa else custom.label_en))
    return rows


def auto_map(headers: Sequence[str], *, saved: Mapping[str, str] | None = None) -> dict[str, str]:
    """Column index (as text) → field key for the headings that name a field; the rest stay unmapped.
    A saved mapping (normalised heading → field key, "" for «ignore») wins over the automatic guess."""
    synonyms = _synonym_index()
    custom = custom_field_keys()
    keys = [search_key(h) for h in headers]
    mapping: dict[str, str] = {}
    used: set[str] = set()
    bare: list[int] = []
    for i, key in enumerate(keys):
        if saved is not None and key in saved:
            target = saved[key]
        elif key in _BARE_NAME:
            bare.append(i)
            continue
        else:
            target = synonyms.get(key) or custom.get(key, "")
        if target and (target not in used or target in REPEATABLE):
            mapping[str(i)] = target
            used.add(target)
    for i in bare:
        target = "first_name" if "last_name" in used else "full_name"
        if target not in used:
            mapping[str(i)] = target
            used.add(target)
    return mapping


def mapping_by_heading(headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """A job's mapping as a saved ImportMapping stores it: normalised heading → field key."""
    return {search_key(h): mapping.get(str(i), "") for i, h in enumerate(headers) if search_key(h)}


def looks_like_data(headers: Iterable[str]) -> bool:
    """Whether a first row is a record rather than headings: it holds an e-mail, a date or a long number."""
    for text in headers:
        digits = re.sub(r"\D", "", normalize_digits(str(text)))
        if _EMAILISH.fullmatch(str(text)) or len(digits) >= 5:
            return True
    return False


@dataclass
class RowData:
    """One row as the customer services take it, plus what validation cannot resolve alone."""

    data: dict[str, Any]
    organization: str = ""
    owner: str = ""
    team: str = ""
    # Validation's error keys (phones.0.number) → the column index the value came from.
    columns: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(self.data.get(k) for k in self.data if k != "kind") and not self.organization


def _choice(name: str, value: str) -> str:
    return _choice_index(name).get(search_key(value), value)


def row_data(row: Sequence[Cell], mapping: Mapping[str, str]) -> RowData:
    """Turn one row into the services' data dict; only non-empty cells give keys, so an update never
    blanks a field because its cell was empty."""
    out = RowData(data={})
    data = out.data
    cols = out.columns
    address: dict[str, str] = {}
    address_cols: dict[str, int] = {}
    for index_text, target in mapping.items():
        index = int(index_text)
        if not target or index >= len(row):
            continue
        value = row[index]
        if value in ("", None):
            continue
        text = value if isinstance(value, date) else str(value)
        if target in ("first_name", "last_name", "job_title"):
            data[target] = text
            cols[target] = index
        elif target == "full_name":
            first, _sep, last = str(text).strip().rpartition(" ")
            data["first_name"], data["last_name"] = first, last
            cols["first_name"] = cols["last_name"] = index
        elif target == "organization":
            out.organization = str(text)
            cols["organization_id"] = cols["name"] = index
        elif target in ("mobile", "phone"):
            phones = data.setdefault("phones", [])
            for number in re.split(r"[,،;؛]", normalize_digits(str(text))):
                if number.strip():
                    cols[f"phones.{len(phones)}.number"] = cols[f"phones.{len(phones)}.kind"] = index
                    kind = PhoneKind.MOBILE if target == "mobile" else PhoneKind.WORK
                    phones.append({"number": number.strip(), "kind": kind})
        elif target == "email":
            emails = data.setdefault("emails", [])
            for email in re.split(r"[,،;؛\s]+", str(text)):
                if email:
                    cols[f"emails.{len(emails)}.email"] = index
                    emails.append({"email": email})
        elif target in ("province", "city", "address", "postal_code"):
            part = "line" if target == "address" else target
            address[part] = normalize_digits(str(text)) if part == "postal_code" else str(text)
            address_cols[part] = index
        elif target in _CHOICES:
            data[target] = _choice(target, str(text))
            cols[target] = index
        elif target == "birth_date":
            data["birth_date"] = text if isinstance(text, date) else normalize_digits(text)
            cols["birth_date"] = index
        elif target == "national_id":
            data["national_id"] = normalize_digits(str(text))
            cols["national_id"] = index
        elif target == "tags":
            tags = [t.strip() for t in _TAG_SPLIT.split(str(text)) if t.strip()]
            data["tags"] = [*data.get("tags", []), *tags]
            cols["tags"] = index
        elif target == "notes":
            data["notes"] = f"{data['notes']}\n{text}" if data.get("notes") else str(text)
            cols["notes"] = index
        elif target == "owner":
            out.owner = str(text)
            cols["owner_id"] = index
        elif target == "team":
            out.team = str(text)
            cols["team_id"] = index
        elif target.startswith(CUSTOM_PREFIX):
            key = target.removeprefix(CUSTOM_PREFIX)
            data.setdefault("custom_fields", {})[key] = text if isinstance(text, date) else str(text)
            cols[f"custom_fields.{key}"] = index
    if address:
        data["addresses"] = [address]
        for part, index in address_cols.items():
            cols[f"addresses.0.{part}"] = index
    return out
