"""Message templates: `{field}` placeholders filled from the customer and the caller's values, Persian-aware
(Persian digits and Jalali dates when the message is in Persian); `{{` and `}}` write a brace."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.jalali import format_date, format_datetime
from peyvand.core.text import to_persian_digits

__all__ = ["CUSTOMER_FIELDS", "MessageTemplate", "customer_values", "render_text"]

# What a template may name of the customer it is sent to; `custom.<key>` reads a custom field.
CUSTOMER_FIELDS = ("name", "first_name", "last_name", "customer_id", "organization")
# Filled for every message.
BUILTIN_FIELDS = ("today",)

_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)?")


def _format(value: Any, language: str) -> str:
    persian = language == "fa"
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal) or (isinstance(value, float) and value.is_integer()):
        # Amounts read better grouped: 1,250,000 / ۱٬۲۵۰٬۰۰۰.
        text = f"{int(value):,}" if not isinstance(value, Decimal) or value == value.to_integral() else f"{value:,}"
        return to_persian_digits(text) if persian else text
    if isinstance(value, float):
        return to_persian_digits(f"{value:,}") if persian else f"{value:,}"
    if isinstance(value, dt.datetime):
        return format_datetime(value, language)
    if isinstance(value, dt.date):
        return _date(value, language)
    return str(value)


@lru_cache(maxsize=4096)
def _date(value: dt.date, language: str) -> str:
    # A campaign names a few dates a million times; the Jalali conversion is the dearest part of a message.
    return format_date(value, language)


class MessageTemplate:
    """A template parsed once and rendered many times (a campaign renders it per recipient)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts: list[tuple[str, str | None]] = []  # (literal, field or None)
        literal: list[str] = []
        position = 0
        for match in _PART.finditer(text):
            literal.append(text[position : match.start()])
            position = match.end()
            token = match.group(0)
            if token in ("{{", "}}"):
                literal.append(token[0])
            elif match.group(1) is None:
                raise ValidationError(
                    _("A lone brace at character %(at)s: write {{ or }} for a brace.") % {"at": match.start() + 1}
                )
            else:
                name = match.group(1).strip()
                if not _FIELD_NAME.fullmatch(name):
                    raise ValidationError(_("{%(name)s} is not a field name.") % {"name": name})
                self.parts.append(("".join(literal), name))
                literal = []
        literal.append(text[position:])
        self.tail = "".join(literal)
        self.fields = tuple(dict.fromkeys(name for _lit, name in self.parts if name))

    def check(self, known: Iterable[str]) -> None:
        """Refuse a template naming a field that will not be there."""
        allowed = set(known) | set(CUSTOMER_FIELDS) | set(BUILTIN_FIELDS)
        unknown = [f for f in self.fields if f not in allowed and not f.startswith("custom.")]
        if unknown:
            raise ValidationError(
                _("Unknown field {%(field)s}. Fields you can use: %(known)s.")
                % {"field": unknown[0], "known": ", ".join("{" + f + "}" for f in sorted(allowed))}
            )

    def render(self, values: Mapping[str, Any], language: str = "fa") -> str:
        if not self.parts:
            return self.tail
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            out.append(_format(values.get(name or ""), language))
        out.append(self.tail)
        return "".join(out)


@lru_cache(maxsize=256)
def _template(text: str) -> MessageTemplate:
    return MessageTemplate(text)


def customer_values(customer: Any) -> dict[str, Any]:
    """The template fields of one customer."""
    if customer is None:
        return {}
    values: dict[str, Any] = {
        "name": customer.display_name,
        "first_name": customer.first_name or customer.display_name,
        "last_name": customer.last_name,
        "customer_id": customer.pk,
        "organization": customer.organization.display_name if customer.organization_id else "",
    }
    for key, value in (customer.custom_fields or {}).items():
        values[f"custom.{key}"] = value
    return values


def render_text(
    text: str,
    *,
    customer: Any = None,
    values: Mapping[str, Any] | None = None,
    language: str = "fa",
    field: str = "body",
) -> str:
    """`text` with its fields filled; ValidationError (on `field`) naming an unknown field or a lone brace."""
    if not text:
        return text
    try:
        template = _template(text)
        template.check(values or {})
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    merged: dict[str, Any] = {"today": timezone.localdate(), **customer_values(customer), **(values or {})}
    return template.render(merged, language)
