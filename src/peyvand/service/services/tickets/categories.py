"""The ticket category tree: adding, changing, moving (keeping every path right) and retiring categories, and the
template of fields each asks for. Administrators only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.models import TicketCategory, TicketPriority
from peyvand.service.services.tickets.common import template_clean

CATEGORY_FIELDS = {
    "name",
    "name_en",
    "parent_id",
    "position",
    "is_active",
    "description",
    "fields",
    "default_team_id",
    "default_priority",
}
MAX_DEPTH = 5
MAX_POSITION = 2_147_483_647


def _require_admin(by: User) -> None:
    if not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the ticket categories."))


def _clean(data: Mapping[str, Any], errors: Errors, out: dict[str, Any]) -> None:
    for name in ("name", "name_en"):
        if name in data:
            out[name] = clean_line(data[name] or "", model=TicketCategory, field=name, errors=errors)
    if "name" in out and not out["name"]:
        errors.add("name", _("This field is required."))
    if "description" in data:
        out["description"] = str(data["description"] or "").strip()[:5000]
    if "position" in data:
        value = data["position"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
            errors.add("position", _("Enter a whole number, zero or more."))
        else:
            out["position"] = value
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Answer true or false."))
        else:
            out["is_active"] = data["is_active"]
    if "fields" in data:
        out["fields"] = template_clean(data["fields"], errors)
    if "default_team_id" in data:
        value = data["default_team_id"]
        team = Team.objects.filter(pk=value).first() if value not in (None, "") and str(value).isdigit() else None
        if value not in (None, "") and team is None:
            errors.add("default_team_id", _("No such team."))
        out["default_team"] = team
    if "default_priority" in data:
        value = data["default_priority"] or ""
        if value and value not in TicketPriority.values:
            errors.add("default_priority", _("Unknown priority."))
        out["default_priority"] = value


def _parent(value: Any, errors: Errors) -> TicketCategory | None:
    if value in (None, ""):
        return None
    parent = TicketCategory.objects.filter(pk=value).first() if str(value).isdigit() else None
    if parent is None:
        errors.add("parent_id", _("No such category."))
    elif parent.depth + 1 >= MAX_DEPTH:
        errors.add("parent_id", _("Categories go at most %(depth)d levels deep.") % {"depth": MAX_DEPTH})
    return parent


@transaction.atomic
def category_create(*, by: User, data: Mapping[str, Any]) -> TicketCategory:
    """A new category under `parent_id` (or at the top), with its template checked."""
    _require_admin(by)
    errors = Errors()
    unknown_fields(data, CATEGORY_FIELDS, errors)
    values: dict[str, Any] = {}
    _clean({"name": data.get("name", ""), **data}, errors, values)
    parent = _parent(data.get("parent_id"), errors)
    errors.raise_if_any()
    category = TicketCategory.objects.create(parent=parent, **values)
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    return category


@transaction.atomic
def category_update(*, category: TicketCategory, by: User, data: Mapping[str, Any]) -> TicketCategory:
    """Change a category; a new parent moves it with its whole subtree (never under itself). A retired one
    (is_active false) is not offered for new tickets; its tickets keep it."""
    _require_admin(by)
    errors = Errors()
    unknown_fields(data, CATEGORY_FIELDS, errors)
    values: dict[str, Any] = {}
    _clean(data, errors, values)
    category = TicketCategory.objects.select_for_update().get(pk=category.pk)
    moving = "parent_id" in data and data["parent_id"] != category.parent_id
    parent = _parent(data.get("parent_id"), errors) if moving else None
    if moving and parent is not None and parent.path.startswith(category.path):
        errors.add("parent_id", _("A category cannot go under itself or one of its own sub-categories."))
    errors.raise_if_any()
    for name, value in values.items():
        setattr(category, name, value)
    if moving:
        old_path = category.path
        new_path = f"{parent.path if parent else '/'}{category.pk}/"
        subtree = TicketCategory.objects.filter(path__startswith=old_path).exclude(pk=category.pk)
        deepest = max((row.path.count("/") - old_path.count("/") for row in subtree), default=0)
        if new_path.count("/") - 2 + deepest >= MAX_DEPTH:
            errors.add("parent_id", _("Categories go at most %(depth)d levels deep.") % {"depth": MAX_DEPTH})
            errors.raise_if_any()
        category.parent = parent
        category.path = new_path
        for row in subtree:
            row.path = new_path + row.path[len(old_path) :]
            row.save(update_fields=["path", "updated_at"])
    category.save()
    return category
