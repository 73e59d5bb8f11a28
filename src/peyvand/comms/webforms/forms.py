"""The form builder's page forms: the form's settings, and its field rows as the editor posts them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team, User
from peyvand.comms.webforms.models import FormAction, WebForm
from peyvand.comms.webforms.schema import FIELD_TYPES, MAPS_TO
from peyvand.service.models import TicketCategory, TicketKind, TicketPriority

EMPTY = [("", "—")]
ROW_NAME = re.compile(r"field-(\d{1,3})-(key|label_fa|label_en|type|required|choices|maps_to)")


def _maps_to_choices() -> list[tuple[str, str]]:
    from peyvand.customers.models import CustomField

    custom = [
        (f"custom:{row.key}", f"{_('Custom field')}: {row.label_fa}")
        for row in CustomField.objects.filter(is_active=True).order_by("position", "key")
    ]
    return [(value, str(label)) for value, label in MAPS_TO] + custom


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, help_text=_("For staff; visitors see the title."))
    title_fa = forms.CharField(label=_("title (Persian)"), max_length=200)
    title_en = forms.CharField(label=_("title (English)"), max_length=200, required=False)
    intro_fa = forms.CharField(
        label=_("introduction (Persian)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    intro_en = forms.CharField(
        label=_("introduction (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = forms.ChoiceField(label=_("a submission becomes"), choices=FormAction.choices)
    lead_team_id = forms.ChoiceField(label=_("lead team"), required=False)
    lead_owner_id = forms.ChoiceField(label=_("lead owner"), required=False)
    ticket_kind = forms.ChoiceField(label=_("ticket kind"), choices=[*EMPTY, *TicketKind.choices], required=False)
    ticket_category_id = forms.ChoiceField(label=_("ticket category"), required=False)
    ticket_priority = forms.ChoiceField(
        label=_("ticket priority"), choices=[*EMPTY, *TicketPriority.choices], required=False
    )
    ticket_team_id = forms.ChoiceField(
        label=_("team for tickets"),
        required=False,
        help_text=_("Takes the tickets that no routing rule and no category's default team place."),
    )
    success_fa = forms.CharField(
        label=_("thank-you message (Persian)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    success_en = forms.CharField(
        label=_("thank-you message (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    redirect_url = forms.CharField(
        label=_("go to this address after sending"),
        max_length=500,
        required=False,
        help_text=_("Optional; on the hosted page only (an embedded form shows the thank-you message)."),
    )
    allowed_origins = forms.CharField(
        label=_("sites it may be embedded in"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One address a line, like https://shop.example.ir"),
    )
    rate_per_hour = forms.IntegerField(label=_("submissions per hour from one address"), min_value=1, max_value=10000)
    min_fill_seconds = forms.IntegerField(
        label=_("shortest believable filling time (seconds)"), min_value=0, max_value=600
    )
    is_active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, data: Any = None, *, web_form: WebForm | None = None) -> None:
        initial: dict[str, Any] = {"rate_per_hour": 10, "min_fill_seconds": 3, "is_active": True}
        if web_form is not None:
            initial = {
                name: getattr(web_form, name)
                for name in (
                    "name",
                    "title_fa",
                    "title_en",
                    "intro_fa",
                    "intro_en",
                    "action",
                    "ticket_kind",
                    "ticket_priority",
                    "success_fa",
                    "success_en",
                    "redirect_url",
                    "rate_per_hour",
                    "min_fill_seconds",
                    "is_active",
                )
            }
            initial["lead_team_id"] = str(web_form.lead_team_id or "")
            initial["lead_owner_id"] = str(web_form.lead_owner_id or "")
            initial["ticket_category_id"] = str(web_form.ticket_category_id or "")
            initial["ticket_team_id"] = str(web_form.ticket_team_id or "")
            initial["allowed_origins"] = "\n".join(web_form.allowed_origins or [])
        super().__init__(data, initial=initial)
        teams = [*EMPTY, *((str(t.pk), f"{'— ' * t.depth}{t.name}") for t in Team.objects.order_by("path"))]
        self.fields["lead_team_id"].choices = teams  # type: ignore[attr-defined]
        self.fields["ticket_team_id"].choices = teams  # type: ignore[attr-defined]
        self.fields["lead_owner_id"].choices = [  # type: ignore[attr-defined]
            *EMPTY,
            *(
                (str(u.pk), u.get_full_name() or u.username)
                for u in User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
            ),
        ]
        self.fields["ticket_category_id"].choices = [  # type: ignore[attr-defined]
            *EMPTY,
            *(
                (str(c.pk), f"{'— ' * c.depth}{c.label}")
                for c in TicketCategory.objects.filter(is_active=True).order_by("path")
            ),
        ]
        for name, widget_field in self.fields.items():
            widget = widget_field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)
            widget.attrs.setdefault("id", f"id_{name}")
        for name in ("redirect_url", "title_en"):
            self.fields[name].widget.attrs.setdefault("dir", "ltr" if name == "redirect_url" else "auto")

    def service_data(self, rows: FieldRows) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["allowed_origins"] = data.get("allowed_origins", "")
        data["fields"] = rows.fields()
        return data

    def add_service_errors(self, error: ValidationError, rows: FieldRows) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            if key.startswith("fields."):
                rows.add_errors(key, list(texts))
            elif key == "fields":
                rows.errors.extend(texts)
                self.add_error(None, list(texts))
            else:
                self.add_error(key if key in self.fields else None, list(texts))


@dataclass
class FieldRow:
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)


@dataclass
class FieldRows:
    """The editor's rows as posted (in the order the page holds them, which is the order the browser sends) or as
    saved; each row's errors come back from the services as `fields.<i>.<part>`."""

    rows: list[FieldRow]
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_post(cls, data: Mapping[str, Any]) -> FieldRows:
        order: list[str] = []
        for name in data:
            match = ROW_NAME.fullmatch(name)
            if match and match.group(1) not in order:
                order.append(match.group(1))
        rows = []
        for index in order:
            values: dict[str, Any] = {
                part: str(data.get(f"field-{index}-{part}", "") or "")
                for part in ("key", "label_fa", "label_en", "type", "choices", "maps_to")
            }
            values["required"] = bool(data.get(f"field-{index}-required"))
            # A row left entirely empty (added and never filled in) is no field.
            if any(str(values[part]).strip() for part in ("key", "label_fa", "label_en", "choices")):
                rows.append(FieldRow(values))
        return cls(rows)

    @classmethod
    def from_form(cls, web_form: WebForm | None) -> FieldRows:
        rows = []
        for spec in (web_form.fields if web_form is not None else []) or []:
            values = {**spec, "choices": "\n".join(spec.get("choices") or [])}
            rows.append(FieldRow(values))
        return cls(rows)

    def fields(self) -> list[dict[str, Any]]:
        return [
            {**row.values, "choices": [c for c in str(row.values.get("choices", "")).splitlines() if c.strip()]}
            for row in self.rows
        ]

    def add_errors(self, key: str, texts: list[str]) -> None:
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(self.rows):
            self.rows[int(parts[1])].errors.extend(texts)
        else:
            self.errors.extend(texts)

    @staticmethod
    def labels() -> dict[str, Any]:
        return {"types": [(v, str(lbl)) for v, lbl in FIELD_TYPES], "maps": _maps_to_choices()}
