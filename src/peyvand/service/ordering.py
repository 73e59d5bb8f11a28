"""Ordered rule lists (routing rules, automation rules, SLA policies): a whole new order, or one row moved a place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Max, Model
from django.utils import timezone

M = TypeVar("M", bound=Model)


def position_next(model: type[Model], *, first: int = 1) -> int:
    """The position after the last of `model`'s rows (`first` when there are none): a new row goes last."""
    last = model._default_manager.aggregate(last=Max("position"))["last"]
    return first if last is None else last + 1


def positions_reorder(*, model: type[M], ids: Sequence[Any], message: str) -> list[M]:
    """Give the rows of `model` positions 1, 2, 3 … in the order of `ids`, which must name every row once
    (else ValidationError with `message` on "ids"). The caller checks permission and holds the transaction."""
    rows: dict[Any, M] = {row.pk: row for row in model._default_manager.select_for_update().order_by("position", "id")}
    if (
        not isinstance(ids, list | tuple)
        or any(isinstance(pk, bool) or not isinstance(pk, int) for pk in ids)
        or len(set(ids)) != len(ids)
        or set(ids) != set(rows)
    ):
        raise ValidationError({"ids": [message]})
    now = timezone.now()
    ordered = []
    for position, pk in enumerate(ids, start=1):
        row = rows[pk]
        row.position = position  # type: ignore[attr-defined]
        row.updated_at = now  # type: ignore[attr-defined]
        ordered.append(row)
    model._default_manager.bulk_update(ordered, ["position", "updated_at"])
    return ordered


def position_move(*, ids: Sequence[int], pk: int, up: bool) -> list[int] | None:
    """`ids` (in their present order) with `pk` moved one place up or down; None when it is already at that end.
    `pk` must be in `ids`."""
    order = list(ids)
    index = order.index(pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(order):
        return None
    order[index], order[other] = order[other], order[index]
    return order
