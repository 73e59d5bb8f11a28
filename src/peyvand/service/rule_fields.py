"""The fields routing rules and automation rules both have (the on/off switch, the place in order, the
conditions), checked the same way when either is saved."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.sales.services._common import Errors
from peyvand.service.conditions import conditions_clean


def rule_fields_clean(
    data: Mapping[str, Any], *, allowed: Collection[str], errors: Errors, out: dict[str, Any]
) -> None:
    """Check `is_active`, `position` and `conditions` (only those in `data`) into `out`; faults go to `errors`."""
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Must be true or false."))
        else:
            out["is_active"] = data["is_active"]
    if "position" in data:
        position = data["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 2**31 - 1:
            errors.add("position", _("Must be a whole number, zero or more."))
        else:
            out["position"] = position
    if "conditions" in data:
        try:
            out["conditions"] = conditions_clean(data["conditions"], allowed=allowed)
        except ValidationError as exc:
            for message in exc.message_dict.get("conditions", exc.messages):
                errors.add("conditions", message)
