"""The routing rule editor's form (multi-selects and a keyword list, no code) and the "try a ticket" form."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team
from peyvand.customers.models import LifecycleStage, Tier
from peyvand.service.models import (
    AssignmentPolicy,
    RoutingRule,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
)

EMPTY = [("", "—")]
# Keywords are typed one after another: a comma (Latin or Persian), a semicolon or a new line ends one.
KEYWORD_SPLIT = re.compile(r"[,،;؛\n\r]+")
CONDITION_FIELDS = ("kind", "category", "channel", "priority", "customer_stage", "customer_tier", "keywords")


def team_choices() -> list[tuple[str, str]]:
    return [(str(team.pk), f"{'— ' * team.depth}{team.name}") for team in Team.objects.order_by("path")]


def category_choices() -> list[tuple[str, str]]:
    return [
        (str(category.pk), f"{'— ' * category.depth}{category.label}")
        for category in TicketCategory.objects.order_by("path")
    ]


def split_keywords(text: str) -> list[str]:
    return [word.strip() for word in KEYWORD_SPLIT.split(text or "") if word.strip()]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    team_id = forms.ChoiceField(label=_("send to team"))
    policy = forms.ChoiceField(label=_("assign"), choices=AssignmentPolicy.choices, initial=AssignmentPolicy.QUEUE)
    set_priority = forms.ChoiceField(
        label=_("set priority"),
        choices=[("", _("Leave as it is")), *TicketPriority.choices],
        required=False,
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    kind = forms.MultipleChoiceField(
        label=_("kind"), choices=TicketKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    category = forms.MultipleChoiceField(
        label=_("category"),
        required=False,
        help_text=_("A category includes its sub-categories."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    channel = forms.MultipleChoiceField(
        label=_("channel"), choices=TicketChannel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.MultipleChoiceField(
        label=_("priority"), choices=TicketPriority.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    customer_stage = forms.MultipleChoiceField(
        label=_("customer's stage"),
        choices=LifecycleStage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    customer_tier = forms.MultipleChoiceField(
        label=_("customer's tier"), choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    keywords = forms.CharField(
        label=_("keywords"),
        required=False,
        max_length=20000,
        help_text=_(
            "Found in the subject or the description. Separate them with commas or new lines; any one is enough."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "data-pv-tags": "1"}),
    )

    def __init__(self, data: Any = None, *, rule: RoutingRule | None = None) -> None:
        initial = None
        if rule is not None and data is None:
            conditions = rule.conditions or {}
            initial = {
                "name": rule.name,
                "team_id": str(rule.team_id),
                "policy": rule.policy,
                "set_priority": rule.set_priority,
                "is_active": rule.is_active,
                **{key: [str(v) for v in conditions.get(key, [])] for key in CONDITION_FIELDS if key != "keywords"},
                "keywords": "، ".join(conditions.get("keywords", [])),
            }
        super().__init__(data, initial=initial)
        self.fields["team_id"].choices = [*EMPTY, *team_choices()]  # type: ignore[attr-defined]
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-select"
            if isinstance(field.widget, forms.TextInput | forms.Textarea):
                css = "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")
        # Errors the services give on the conditions as a whole (an unknown key, an id gone meanwhile).
        self.condition_errors: list[str] = []

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions: dict[str, list[Any]] = {}
        for key in CONDITION_FIELDS:
            if key == "keywords":
                words = split_keywords(data.get("keywords", ""))
                if words:
                    conditions["keywords"] = words
            elif data.get(key):
                conditions[key] = [int(v) for v in data[key]] if key == "category" else list(data[key])
        return {
            "name": data["name"],
            "team_id": int(data["team_id"]),
            "policy": data["policy"],
            "set_priority": data.get("set_priority") or "",
            "is_active": bool(data.get("is_active")),
            "conditions": conditions,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            if key == "conditions":
                self.condition_errors.extend(texts)
                self.add_error(None, list(texts))
            else:
                self.add_error(key if key in self.fields else None, list(texts))


class RoutingTryForm(forms.Form):
    """A sample ticket: what a new ticket would say and who it would be from."""

    subject = forms.CharField(label=_("subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("description"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("kind"), choices=[*EMPTY, *TicketKind.choices], required=False)
    category_id = forms.ChoiceField(label=_("category"), required=False)
    channel = forms.ChoiceField(label=_("channel"), choices=[*EMPTY, *TicketChannel.choices], required=False)
    priority = forms.ChoiceField(label=_("priority"), choices=[*EMPTY, *TicketPriority.choices], required=False)
    customer_id = forms.IntegerField(
        label=_("customer number"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("The number in the customer's page address, to use their tier and stage."),
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.fields["category_id"].choices = [*EMPTY, *category_choices()]  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"try_{name}")

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"subject": data.get("subject", ""), "description": data.get("description", "")}
        for name in ("kind", "channel", "priority"):
            if data.get(name):
                out[name] = data[name]
        if data.get("category_id"):
            out["category_id"] = int(data["category_id"])
        if data.get("customer_id"):
            out["customer_id"] = data["customer_id"]
        return out

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, list(texts))
