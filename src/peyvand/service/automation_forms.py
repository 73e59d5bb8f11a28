"""The automation rule editor's form: the rule's fields, its conditions as multi-selects, and the action rows
(typed fields per action, added and removed in the page; no JSON to type)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team, User
from peyvand.customers.models import LifecycleStage, Tier
from peyvand.service.models import (
    AutomationEvent,
    AutomationRule,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.notify import TEMPLATES

__all__ = [
    "ACTION_ROW_FIELDS",
    "ACTION_TYPE_LABELS",
    "CONDITION_LABELS",
    "ActionRows",
    "RuleForm",
    "action_labels",
    "template_label",
]

# What a row of the action editor posts, as "action-<n>-<name>".
ACTION_ROW_FIELDS = (
    "type",
    "team",
    "user",
    "field",
    "value_priority",
    "value_status",
    "value_kind",
    "value_category",
    "to",
    "text",
    "template",
)
_ROW_KEY = re.compile(r"^action-(\d{1,4})-type$")
CHOICE_CONDITIONS = {
    "kind": (_("Kind"), TicketKind),
    "channel": (_("Channel"), TicketChannel),
    "priority": (_("Priority"), TicketPriority),
    "status": (_("Status"), TicketStatus),
    "customer_tier": (_("Customer tier"), Tier),
    "customer_stage": (_("Customer stage"), LifecycleStage),
}


ACTION_TYPE_LABELS = {
    "assign": _("Assign to a team or person"),
    "set": _("Set a field"),
    "note": _("Add an internal note"),
    "notify_staff": _("Tell staff"),
    "notify_customer": _("Tell the customer"),
}
CONDITION_LABELS = {
    **{key: label for key, (label, _choices) in CHOICE_CONDITIONS.items()},
    "category": _("Category"),
    "team": _("Team"),
    "keywords": _("Keywords"),
}


def action_labels() -> dict[str, Any]:
    """The choices the action rows offer, for the template."""
    return {
        "types": list(ACTION_TYPE_LABELS.items()),
        "fields": [
            ("priority", _("Priority")),
            ("status", _("Status")),
            ("category", _("Category")),
            ("kind", _("Kind")),
        ],
        "targets": [
            ("assignee", _("The assignee")),
            ("team_managers", _("The team's managers")),
            ("user", _("A chosen person")),
        ],
        "templates": [(code, template_label(code)) for code in TEMPLATES],
        "priorities": TicketPriority.choices,
        "statuses": TicketStatus.choices,
        "kinds": TicketKind.choices,
        # Values as text, as the rows hold them, so that the template can mark the chosen one.
        "categories": [(str(c.pk), c.label) for c in TicketCategory.objects.order_by("path")],
        "teams": [(str(t.pk), str(t)) for t in Team.objects.order_by("path")],
        "users": [(str(u.pk), str(u)) for u in User.objects.filter(is_active=True).order_by("first_name", "id")],
    }


def template_label(code: str) -> str:
    return str(
        {
            "ticket_received": _("Ticket received (with its number)"),
            "ticket_assigned": _("Ticket assigned"),
            "ticket_answered": _("Ticket answered"),
            "ticket_waiting": _("Waiting for the customer"),
            "ticket_resolved": _("Ticket resolved"),
            "ticket_satisfaction": _("Satisfaction question"),
        }.get(code, code)
    )


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    event = forms.ChoiceField(label=_("When"), choices=AutomationEvent.choices)
    hours = forms.IntegerField(
        label=_("After (business hours)"),
        required=False,
        min_value=1,
        help_text=_("Only for “no reply”: how many working hours the customer has waited."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    category = forms.MultipleChoiceField(label=_("Category (and its sub-categories)"), required=False)
    team = forms.MultipleChoiceField(label=_("Team"), required=False)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line (or separated by commas); the subject or text must hold one of them."),
    )

    def __init__(self, *args: Any, rule: AutomationRule | None = None, **kwargs: Any) -> None:
        if rule is not None and "initial" not in kwargs:
            conditions = rule.conditions or {}
            kwargs["initial"] = {
                "name": rule.name,
                "event": rule.event,
                "hours": rule.hours,
                "is_active": rule.is_active,
                **{key: [str(v) for v in conditions.get(key, [])] for key in (*CHOICE_CONDITIONS, "category", "team")},
                "keywords": "\n".join(conditions.get("keywords", [])),
            }
        super().__init__(*args, **kwargs)
        for key, (label, choices) in CHOICE_CONDITIONS.items():
            self.fields[key] = forms.MultipleChoiceField(label=label, required=False, choices=choices.choices)
        category_field = self.fields["category"]
        team_field = self.fields["team"]
        assert isinstance(category_field, forms.ChoiceField) and isinstance(team_field, forms.ChoiceField)
        category_field.choices = [
            (str(c.pk), ("— " * c.depth) + c.label) for c in TicketCategory.objects.order_by("path")
        ]
        team_field.choices = [(str(t.pk), str(t)) for t in Team.objects.order_by("path")]
        for name, form_field in self.fields.items():
            widget = form_field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.SelectMultiple):
                widget.attrs.update({"class": "form-select", "size": "4"})
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if name == "hours":
                widget.attrs.update({"dir": "ltr", "inputmode": "numeric"})

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*CHOICE_CONDITIONS, "category", "team", "keywords")]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions: dict[str, Any] = {key: data[key] for key in CHOICE_CONDITIONS if data.get(key)}
        for key in ("category", "team"):
            if data.get(key):
                conditions[key] = [int(pk) for pk in data[key]]
        words = [w.strip() for w in re.split(r"[\n,،]", data.get("keywords") or "") if w.strip()]
        if words:
            conditions["keywords"] = words
        return {
            "name": data["name"],
            "event": data["event"],
            "hours": data.get("hours") if data["event"] == AutomationEvent.NO_REPLY else None,
            "is_active": bool(data.get("is_active")),
            "conditions": conditions,
        }

    def add_service_errors(self, error: ValidationError, rows: ActionRows) -> None:
        """Each of the services' errors beside its field or action row; the rest at the top of the form."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            if key.startswith("actions"):
                rows.add_errors(key, texts)
            elif key == "conditions":
                self.add_error(None, texts)
            else:
                self.add_error(key if key in self.fields else None, texts)


@dataclass
class ActionRow:
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class ActionRows:
    """The action editor's rows as posted (or as saved), and the actions they make."""

    rows: list[ActionRow]
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_post(cls, data: Mapping[str, Any]) -> ActionRows:
        indexes = sorted(int(match.group(1)) for key in data if (match := _ROW_KEY.match(str(key))))
        rows = []
        for index in indexes:
            values = {name: str(data.get(f"action-{index}-{name}", "") or "").strip() for name in ACTION_ROW_FIELDS}
            if values["type"]:  # a row left on "choose…" is an empty row, not a mistake
                rows.append(ActionRow(values))
        return cls(rows)

    @classmethod
    def from_rule(cls, rule: AutomationRule | None) -> ActionRows:
        rows = []
        for action in (rule.actions if rule is not None else []) or []:
            values = dict.fromkeys(ACTION_ROW_FIELDS, "")
            values["type"] = str(action.get("type", ""))
            for key in ("team", "user", "field", "to", "text", "template"):
                if action.get(key) not in (None, ""):
                    values[key] = str(action[key])
            if action.get("type") == "set" and action.get("field"):
                values[f"value_{action['field']}"] = str(action.get("value", ""))
            rows.append(ActionRow(values))
        return cls(rows)

    def actions(self) -> list[dict[str, Any]]:
        """The rows as the services' actions (checked there: a wrong row comes back as "actions.N.key")."""
        out = []
        for row in self.rows:
            values = row.values
            kind = values["type"]
            action: dict[str, Any] = {"type": kind}
            if kind == "assign":
                action.update({key: _number(values[key]) for key in ("team", "user") if values[key]})
            elif kind == "set":
                action["field"] = values["field"]
                value = values.get(f"value_{values['field']}", "")
                action["value"] = _number(value) if values["field"] == "category" else value
            elif kind == "note":
                action["text"] = values["text"]
            elif kind == "notify_staff":
                action["to"] = values["to"]
                if values["to"] == "user":
                    action["user"] = _number(values["user"])
                if values["text"]:
                    action["text"] = values["text"]
            elif kind == "notify_customer":
                action["template"] = values["template"]
            out.append(action)
        return out

    def add_errors(self, key: str, texts: list[str]) -> None:
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(self.rows):
            self.rows[int(parts[1])].errors.extend(texts)
        else:
            self.errors.extend(texts)


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() and len(value) < 19 else value
