"""Automation rules: an administrator adds, changes, orders and removes them; every rule is checked whole on save
(its event, hours, conditions and each action's shape), and a malformed one is refused with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.models import (
    AutomationEvent,
    AutomationRule,
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.notify import TEMPLATES
from peyvand.service.ordering import position_next, positions_reorder
from peyvand.service.rule_fields import rule_fields_clean

__all__ = [
    "ACTION_TYPES",
    "AUTOMATION_KEYS",
    "SET_FIELDS",
    "STAFF_TARGETS",
    "actions_clean",
    "automation_rule_create",
    "automation_rule_delete",
    "automation_rule_update",
    "automation_rules_reorder",
    "require_automation_admin",
    "require_automation_reader",
]

AUTOMATION_KEYS = (
    "kind",
    "category",
    "channel",
    "priority",
    "status",
    "team",
    "customer_tier",
    "customer_stage",
    "keywords",
)
ACTION_TYPES = ("assign", "set", "note", "notify_staff", "notify_customer")
SET_FIELDS = ("priority", "status", "category", "kind")
STAFF_TARGETS = ("assignee", "team_managers", "user")
RULE_FIELDS = {"name", "position", "is_active", "event", "hours", "conditions", "actions"}
MAX_ACTIONS = 20
MAX_HOURS = 24 * 90  # business hours: far more than any sensible "no reply" wait
MAX_NOTE = 5000
MAX_STAFF_TEXT = 2000
_ACTION_KEYS = {
    "assign": {"type", "team", "user"},
    "set": {"type", "field", "value"},
    "note": {"type", "text"},
    "notify_staff": {"type", "to", "user", "text"},
    "notify_customer": {"type", "template"},
}
_CHOICES = {"priority": TicketPriority.values, "status": TicketStatus.values, "kind": TicketKind.values}


def require_automation_admin(by: User) -> None:
    """What happens to tickets by itself is the desk's policy: administrators set it."""
    if not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change automation rules."))


def require_automation_reader(by: User) -> None:
    """Managers may read the rules and the runs on their tickets (to see why something happened)."""
    if not (by.is_admin_role or by.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators can see the automation rules."))


def _an_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _clean_action(raw: Any, name: str, errors: Errors) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        errors.add(name, _("Each action must be an object with a “type”."))
        return None
    kind = raw.get("type")
    if kind not in ACTION_TYPES:
        errors.add(f"{name}.type", _("Choose one of: %(values)s.") % {"values": ", ".join(ACTION_TYPES)})
        return None
    before = len(errors.fields)
    for key in raw:
        if key not in _ACTION_KEYS[kind]:
            errors.add(f"{name}.{key}", _("Unknown field."))
    out: dict[str, Any] = {"type": kind}
    if kind == "assign":
        team_id, user_id = raw.get("team"), raw.get("user")
        team = user = None
        if team_id in (None, "") and user_id in (None, ""):
            errors.add(name, _("Choose a team, a person, or both."))
        if team_id not in (None, ""):
            pk = _an_id(team_id)
            team = Team.objects.filter(pk=pk).first() if pk else None
            if team is None:
                errors.add(f"{name}.team", _("No such team."))
            else:
                out["team"] = team.pk
        if user_id not in (None, ""):
            pk = _an_id(user_id)
            user = User.objects.filter(pk=pk, is_active=True).select_related("team").first() if pk else None
            if user is None:
                errors.add(f"{name}.user", _("No such active user."))
            else:
                out["user"] = user.pk
        if team is not None and user is not None and (user.team is None or not user.team.path.startswith(team.path)):
            errors.add(f"{name}.user", _("This person is not a member of that team."))
    elif kind == "set":
        field, value = raw.get("field"), raw.get("value")
        if field not in SET_FIELDS:
            errors.add(f"{name}.field", _("Choose one of: %(values)s.") % {"values": ", ".join(SET_FIELDS)})
        elif field == "category":
            pk = _an_id(value)
            if not pk or not TicketCategory.objects.filter(pk=pk).exists():
                errors.add(f"{name}.value", _("No such category."))
            else:
                out.update(field=field, value=pk)
        elif value not in _CHOICES[field]:
            errors.add(f"{name}.value", _("Choose one of: %(values)s.") % {"values": ", ".join(_CHOICES[field])})
        else:
            out.update(field=field, value=value)
    elif kind == "note":
        text = raw.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            errors.add(f"{name}.text", _("Write the note."))
        elif len(text) > MAX_NOTE:
            errors.add(f"{name}.text", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_NOTE})
        out["text"] = text
    elif kind == "notify_staff":
        to = raw.get("to")
        if to not in STAFF_TARGETS:
            errors.add(f"{name}.to", _("Choose one of: %(values)s.") % {"values": ", ".join(STAFF_TARGETS)})
        else:
            out["to"] = to
        if to == "user":
            pk = _an_id(raw.get("user"))
            if not pk or not User.objects.filter(pk=pk, is_active=True).exists():
                errors.add(f"{name}.user", _("Choose an active user to tell."))
            else:
                out["user"] = pk
        elif raw.get("user") not in (None, ""):
            errors.add(f"{name}.user", _("A person is named only when the message goes to a chosen user."))
        text = raw.get("text")
        if text is not None and not isinstance(text, str):
            errors.add(f"{name}.text", _("Must be text."))
        elif text and len(text.strip()) > MAX_STAFF_TEXT:
            errors.add(f"{name}.text", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_STAFF_TEXT})
        elif text and text.strip():
            out["text"] = text.strip()
    else:  # notify_customer
        template = raw.get("template")
        if template not in TEMPLATES:
            errors.add(f"{name}.template", _("Choose one of: %(values)s.") % {"values": ", ".join(TEMPLATES)})
        else:
            out["template"] = template
    return out if len(errors.fields) == before else None


def actions_clean(value: Any, errors: Errors) -> list[dict[str, Any]]:
    """The actions checked and put in their one form; each fault is added to `errors` as "actions.N.key"."""
    if not isinstance(value, list) or not value:
        errors.add("actions", _("Add at least one action."))
        return []
    if len(value) > MAX_ACTIONS:
        errors.add("actions", _("A rule has at most %(max)d actions.") % {"max": MAX_ACTIONS})
        return []
    cleaned = [_clean_action(raw, f"actions.{index}", errors) for index, raw in enumerate(value)]
    return [action for action in cleaned if action is not None]


def _clean_rule(data: Mapping[str, Any], *, instance: AutomationRule | None) -> dict[str, Any]:
    errors = Errors()
    unknown_fields(data, RULE_FIELDS, errors)
    out: dict[str, Any] = {}
    creating = instance is None
    if "name" in data or creating:
        name = clean_line(data.get("name") or "", model=AutomationRule, field="name", errors=errors)
        if not name:
            errors.add("name", _("This field is required."))
        out["name"] = name
    event = instance.event if instance is not None else None
    if "event" in data or creating:
        if data.get("event") not in AutomationEvent.values:
            errors.add("event", _("Choose one of: %(values)s.") % {"values": ", ".join(AutomationEvent.values)})
        else:
            event = out["event"] = data["event"]
    if event is not None:
        hours = data.get("hours", instance.hours if instance is not None else None)
        if event == AutomationEvent.NO_REPLY:
            if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
                errors.add("hours", _("Give the business hours without a reply: 1 to %(max)d.") % {"max": MAX_HOURS})
            else:
                out["hours"] = hours
        elif "hours" in data and hours not in (None, ""):
            errors.add("hours", _("Only the “no reply” event takes hours."))
        else:
            out["hours"] = None
    rule_fields_clean(data, allowed=AUTOMATION_KEYS, errors=errors, out=out)
    if "actions" in data or creating:
        out["actions"] = actions_clean(data.get("actions"), errors)
    errors.raise_if_any()
    return out


@transaction.atomic
def automation_rule_create(*, by: User, data: Mapping[str, Any]) -> AutomationRule:
    """A new rule; without a position it goes after the last (run last)."""
    require_automation_admin(by)
    values = _clean_rule(data, instance=None)
    if "position" not in values:
        values["position"] = position_next(AutomationRule)
    return AutomationRule.objects.create(**values)


@transaction.atomic
def automation_rule_update(*, rule: AutomationRule, by: User, data: Mapping[str, Any]) -> AutomationRule:
    """Change some fields of a rule (the rest stay); the rule is checked whole again."""
    require_automation_admin(by)
    rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
    values = _clean_rule(data, instance=rule)
    changed = [name for name, value in values.items() if getattr(rule, name) != value]
    for name in changed:
        setattr(rule, name, values[name])
    if changed:
        rule.save(update_fields=[*changed, "updated_at"])
    return rule


@transaction.atomic
def automation_rule_delete(*, rule: AutomationRule, by: User) -> None:
    """The rule goes; its runs stay in the log under its name."""
    require_automation_admin(by)
    AutomationRule.objects.filter(pk=rule.pk).delete()


@transaction.atomic
def automation_rules_reorder(*, by: User, ids: Sequence[Any]) -> list[AutomationRule]:
    """Put the rules in the order of `ids` (every rule once): positions 1, 2, 3 …"""
    require_automation_admin(by)
    return positions_reorder(model=AutomationRule, ids=ids, message=_("List every rule's id once, in the new order."))
