"""A web form's questions: checking the field list the builder saves, and checking a visitor's answers to it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.core.models import in_active_language
from peyvand.core.phone import InvalidPhone, normalize_phone
from peyvand.core.text import clean_text, normalize_digits
from peyvand.sales.services._common import Errors

__all__ = [
    "FIELD_TYPES",
    "HONEYPOT",
    "MAPS_TO",
    "answers_clean",
    "answers_text",
    "field_label",
    "fields_clean",
    "mapped_values",
]

FIELD_TYPES = (
    ("text", gettext_lazy("Short text")),
    ("textarea", gettext_lazy("Long text")),
    ("email", gettext_lazy("E-mail")),
    ("phone", gettext_lazy("Phone")),
    ("select", gettext_lazy("Choice")),
    ("checkbox", gettext_lazy("Tick box")),
    ("number", gettext_lazy("Number")),
)
# Where an answer goes in the lead, the ticket or the customer match; "custom:<key>" names a customer custom
# field (kept with the answers and shown to staff: a public form does not write into a customer's record).
MAPS_TO = (
    ("", gettext_lazy("Nothing (kept with the answers)")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("company", gettext_lazy("Organisation")),
    ("email", gettext_lazy("E-mail")),
    ("phone", gettext_lazy("Phone")),
    ("subject", gettext_lazy("Subject")),
    ("message", gettext_lazy("Message")),
)
# The hidden field people never see and bots fill in. A name forms commonly have, so that bots fill it.
HONEYPOT = "website"
# Names the public form uses itself, which a question cannot take.
RESERVED_KEYS = {HONEYPOT, "token", "lang", "embed", "csrfmiddlewaretoken"}
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_FIELDS = 40
MAX_CHOICES = 50
# How long each kind of answer may be; a form is not the place for a document.
MAX_TEXT = 300
MAX_TEXTAREA = 5000
_TRUE = {"1", "true", "on", "yes"}
_MAPS = {value for value, _label in MAPS_TO}
_TYPES = {value for value, _label in FIELD_TYPES}


def _custom_field_keys() -> set[str]:
    from peyvand.customers.models import CustomField

    return set(CustomField.objects.filter(is_active=True).values_list("key", flat=True))


def fields_clean(value: Any, errors: Errors, name: str = "fields") -> list[dict[str, Any]]:
    """The builder's field list, checked and in the stored shape; each problem is reported as `fields.<i>.<part>`
    so that the editor can show it on its row."""
    if not isinstance(value, list | tuple):
        errors.add(name, _("Give the fields as a list."))
        return []
    if not value:
        errors.add(name, _("A form needs at least one field."))
        return []
    if len(value) > MAX_FIELDS:
        errors.add(name, _("A form has at most %(limit)d fields.") % {"limit": MAX_FIELDS})
        return []
    custom_keys: set[str] | None = None
    out: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    seen_maps: set[str] = set()
    for index, raw in enumerate(value):
        where = f"{name}.{index}"
        if not isinstance(raw, Mapping):
            errors.add(where, _("Each field is an object with a key, labels and a type."))
            continue
        key = str(raw.get("key") or "").strip().lower()
        if not KEY_PATTERN.fullmatch(key):
            errors.add(f"{where}.key", _("Use Latin letters, digits and _ only, starting with a letter."))
        elif key in RESERVED_KEYS:
            errors.add(f"{where}.key", _("This name is used by the form itself; choose another."))
        elif key in seen_keys:
            errors.add(f"{where}.key", _("Two fields cannot have the same key."))
        seen_keys.add(key)
        label_fa = clean_text(str(raw.get("label_fa") or ""))[:200]
        label_en = clean_text(str(raw.get("label_en") or ""))[:200]
        if not label_fa:
            errors.add(f"{where}.label_fa", _("This field is required."))
        kind = str(raw.get("type") or "")
        if kind not in _TYPES:
            errors.add(f"{where}.type", _("Unknown type."))
        choices: list[str] = []
        if kind == "select":
            given = raw.get("choices") or []
            if isinstance(given, str):
                given = given.splitlines()
            choices = [clean_text(str(c))[:200] for c in given if clean_text(str(c))]
            if not choices:
                errors.add(f"{where}.choices", _("A choice field needs its choices, one a line."))
            elif len(choices) > MAX_CHOICES:
                errors.add(f"{where}.choices", _("At most %(limit)d choices.") % {"limit": MAX_CHOICES})
            elif len(set(choices)) != len(choices):
                errors.add(f"{where}.choices", _("Each choice only once."))
        maps_to = str(raw.get("maps_to") or "")
        if maps_to.startswith("custom:"):
            if custom_keys is None:
                custom_keys = _custom_field_keys()
            if maps_to[7:] not in custom_keys:
                errors.add(f"{where}.maps_to", _("No such custom field."))
        elif maps_to not in _MAPS:
            errors.add(f"{where}.maps_to", _("Unknown target."))
        elif maps_to in ("email", "phone") and kind and kind != maps_to:
            errors.add(f"{where}.maps_to", _("Only an e-mail field can give the e-mail, and a phone field the phone."))
        if maps_to and maps_to in seen_maps:
            errors.add(f"{where}.maps_to", _("Only one field can go there."))
        seen_maps.add(maps_to)
        out.append(
            {
                "key": key,
                "label_fa": label_fa,
                "label_en": label_en,
                "type": kind,
                "required": bool(raw.get("required")),
                "choices": choices,
                "maps_to": maps_to,
            }
        )
    return out


def field_label(field: Mapping[str, Any]) -> str:
    return in_active_language(str(field.get("label_fa", "")), str(field.get("label_en", "")))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value is False


def _clean_number(text: str) -> str | None:
    # Persian writers use ٫ for the decimal point and ٬ between thousands; people type either script's digits.
    plain = normalize_digits(text).replace("٫", ".").replace("٬", "").replace(",", "").strip()
    try:
        number = Decimal(plain)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        return None
    return str(number.normalize()) if number != number.to_integral_value() else str(int(number))


def _clean_one(field: Mapping[str, Any], value: Any, errors: Errors, name: str) -> Any:
    kind = field.get("type")
    if kind == "checkbox":
        return value is True or str(value).strip().lower() in _TRUE
    if isinstance(value, list | dict):
        errors.add(name, _("Give one value."))
        return None
    # PostgreSQL cannot store a NUL character in text or JSON; nobody types one.
    text = str(value).replace("\x00", "").strip()
    if kind in ("text", "textarea"):
        limit = MAX_TEXTAREA if kind == "textarea" else MAX_TEXT
        cleaned = text.replace("\r\n", "\n") if kind == "textarea" else clean_text(text)
        if len(cleaned) > limit:
            errors.add(name, _("This is too long: at most %(limit)d characters.") % {"limit": limit})
        return cleaned
    if kind == "email":
        email = normalize_digits(text).lower()
        try:
            validate_email(email)
        except ValidationError:
            errors.add(name, _("Enter a valid e-mail address."))
        return email
    if kind == "phone":
        try:
            return normalize_phone(text)
        except InvalidPhone:
            errors.add(name, _("Enter a valid phone number."))
            return text
    if kind == "number":
        number = _clean_number(text)
        if number is None:
            errors.add(name, _("Enter a number."))
        return number
    if kind == "select":
        if text not in field.get("choices", []):
            errors.add(name, _("Choose one of the choices."))
        return text
    return text


def answers_clean(
    fields: Sequence[Mapping[str, Any]], data: Mapping[str, Any], *, strict: bool = False
) -> dict[str, Any]:
    """A visitor's answers, checked against the form's fields and normalised (phones in E.164, digits in ASCII);
    raises ValidationError naming each field by its key. `strict` refuses keys the form does not ask (the JSON
    endpoint); a page post carries its own extra names."""
    errors = Errors()
    known = {str(field["key"]) for field in fields}
    if strict:
        for key in data:
            if key not in known:
                errors.add(str(key), _("Unknown field."))
    answers: dict[str, Any] = {}
    for field in fields:
        key = str(field["key"])
        value = data.get(key)
        if _is_blank(value) and field.get("type") != "checkbox":
            if field.get("required"):
                errors.add(key, _("This field is required."))
            continue
        cleaned = _clean_one(field, value, errors, key)
        if field.get("type") == "checkbox" and field.get("required") and not cleaned:
            errors.add(key, _("This field is required."))
        answers[key] = cleaned
    errors.raise_if_any()
    return answers


def mapped_values(fields: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers by where they go (first_name, email, custom:<key>, …); unmapped answers are left out."""
    return {
        str(field["maps_to"]): answers[field["key"]]
        for field in fields
        if field.get("maps_to") and field["key"] in answers and not _is_blank(answers[field["key"]])
    }


def answers_text(fields: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], *, skip: Sequence[str] = ()) -> str:
    """The answers as lines of «label: value», in the form's order (for a timeline entry, a lead's notes)."""
    lines = []
    for field in fields:
        key = field["key"]
        if key not in answers or field.get("maps_to") in skip:
            continue
        value = answers[key]
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        if value in (None, ""):
            continue
        lines.append(f"{field_label(field)}: {value}")
    return "\n".join(lines)
