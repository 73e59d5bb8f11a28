"""Keyset (cursor) pagination: stable, index-friendly pages over any ordering, at any depth."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

M = TypeVar("M", bound=Model)


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        values = None
    # Only the JSON scalars encode_cursor writes; anything else (objects, lists, NUL characters that PostgreSQL
    # refuses) is a forged or damaged cursor and must be a 422, not a database error.
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, str | int | float | None) for v in values)
        or any(isinstance(v, str) and "\x00" in v for v in values)
    ):
        raise _invalid_cursor()
    return values


def _invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("This cursor is not valid; start from the first page.")]})


def after_cursor(queryset: QuerySet[M], *, order: Sequence[str], values: Sequence[Any]) -> QuerySet[M]:
    """The rows of `queryset` that come after the row whose `order` fields hold `values`."""
    after = Q()
    for i, field in enumerate(order):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[i]})
        for prev_field, prev_value in zip(order[:i], values[:i], strict=True):
            step &= Q(**{prev_field.lstrip("-"): prev_value})
        after |= step
    try:
        return queryset.filter(after)
    except (TypeError, ValueError, ValidationError):
        # a value of the wrong type for its column ("abc" for an id, a bad date)
        raise _invalid_cursor() from None


def paginate(queryset: QuerySet[Model], *, order: Sequence[str], cursor: str | None, limit: int) -> Page:
    """Items after `cursor` in `order` (field names, "-" for descending, the last one unique)."""
    if cursor:
        queryset = after_cursor(queryset, order=order, values=decode_cursor(cursor, len(order)))
    rows = list(queryset.order_by(*order)[: limit + 1])
    return page_of(rows, order=order, limit=limit)


def page_of(rows: list[Any], *, order: Sequence[str], limit: int) -> Page:
    """A page from up to `limit` + 1 rows in order: the extra row only says that there is a next page."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([getattr(rows[-1], f.lstrip("-")) for f in order]) if more and rows else None
    return Page(rows, next_cursor)
