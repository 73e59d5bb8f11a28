"""Page forms for customers: they collect what was typed; services.py validates it and reports back per field.

The forms deliberately check nothing beyond lengths and choices: the same rules must hold for the API,
the importer and these pages, so they live in services.customer_create/customer_update, and the view
maps the ValidationError those raise back onto the fields here (`add_service_errors`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input, date_input_text
from peyvand.customers import page_queries
from peyvand.customers.models import (
    AddressKind,
    ContactChannel,
    Customer,
    CustomerKind,
    CustomFieldType,
    Direction,
    EmailKind,
    Gender,
    IncomeBracket,
    InteractionChannel,
    LifecycleStage,
    PhoneKind,
    SettlementHabit,
    Source,
    Tier,
)

Choices = list[tuple[str, StrOrPromise]]

EMPTY: Choices = [("", "—")]
PERSON_ONLY = ("first_name", "last_name", "gender", "birth_date", "income_bracket", "job_title", "organization_id")
ORGANIZATION_ONLY = ("name", "parent_id")
_ROW_KEY = re.compile(r"^(?P<prefix>[a-z]+)-(?P<index>\d+)-(?P<field>[a-z_]+)$")
_TAG_SPLIT = re.compile(r"[,،\n]+")
MAX_ROWS = 20


@dataclass
class Row:
    index: int
    values: dict[str, str]
    primary: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RowSet:
    """Repeated rows (phones, e-mails, addresses) posted as `<prefix>-<n>-<field>` and `<prefix>-primary`."""

    prefix: str
    fields: tuple[str, ...]
    kinds: Sequence[tuple[str, Any]]
    rows: list[Row] = field(default_factory=list)
    # Service error keys count only the rows sent (blank ones are dropped), so keep where each came from.
    sent: list[int] = field(default_factory=list)

    @classmethod
    def from_post(
        cls, prefix: str, fields: tuple[str, ...], kinds: Sequence[tuple[str, Any]], data: Mapping[str, Any]
    ) -> RowSet:
        found: dict[int, dict[str, str]] = {}
        for key in data:
            match = _ROW_KEY.match(key)
            if match and match["prefix"] == prefix and match["field"] in fields and int(match["index"]) < MAX_ROWS:
                found.setdefault(int(match["index"]), {})[match["field"]] = str(data.get(key, "")).strip()
        primary = str(data.get(f"{prefix}-primary", ""))
        rows = [
            Row(i, {f: values.get(f, "") for f in fields}, primary=str(i) == primary)
            for i, values in sorted(found.items())
        ]
        return cls(prefix, fields, kinds, rows)

    @classmethod
    def from_initial(
        cls, prefix: str, fields: tuple[str, ...], kinds: Sequence[tuple[str, Any]], items: Sequence[Mapping[str, Any]]
    ) -> RowSet:
        rows = [
            Row(i, {f: str(item.get(f) or "") for f in fields}, primary=bool(item.get("is_primary")))
            for i, item in enumerate(items)
        ]
        return cls(prefix, fields, kinds, rows)

    def ensure_one(self) -> None:
        if not self.rows:
            self.rows.append(Row(0, dict.fromkeys(self.fields, ""), primary=True))

    @property
    def next_index(self) -> int:
        return max((r.index for r in self.rows), default=-1) + 1

    def to_data(self) -> list[dict[str, Any]]:
        """The non-blank rows as the services' list of dicts (a row with only its type chosen is blank)."""
        out: list[dict[str, Any]] = []
        self.sent = []
        for row in self.rows:
            if not any(v for k, v in row.values.items() if k != "kind"):
                continue
            out.append({**row.values, "is_primary": row.primary})
            self.sent.append(row.index)
        return out

    def add_error(self, position: int, field_name: str, messages: list[str]) -> bool:
        if not 0 <= position < len(self.sent):
            return False
        index = self.sent[position]
        row = next(r for r in self.rows if r.index == index)
        row.errors.setdefault(field_name, []).extend(messages)
        return True

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)


class CustomerForm(forms.Form):
    first_name = forms.CharField(label=_("first name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=100, required=False)
    name = forms.CharField(label=_("organisation name"), max_length=200, required=False)
    gender = forms.ChoiceField(label=_("gender"), choices=[*EMPTY, *Gender.choices], required=False)
    birth_date = forms.CharField(label=_("birth date"), max_length=20, required=False)
    income_bracket = forms.ChoiceField(
        label=_("income bracket"), choices=[*EMPTY, *IncomeBracket.choices], required=False
    )
    national_id = forms.CharField(label=_("national code / national ID"), max_length=20, required=False)
    job_title = forms.CharField(label=_("job title"), max_length=120, required=False)
    # Selects searched as one types (see organization_options): any visible organisation can be chosen, and
    # the services check that the chosen one is visible and not a cycle.
    organization_id = forms.CharField(label=_("organisation"), required=False, max_length=20, widget=forms.Select)
    parent_id = forms.CharField(label=_("parent organisation"), required=False, max_length=20, widget=forms.Select)
    lifecycle_stage = forms.ChoiceField(label=_("lifecycle stage"), choices=LifecycleStage.choices)
    source = forms.ChoiceField(label=_("source"), choices=[*EMPTY, *Source.choices], required=False)
    owner_id = forms.ChoiceField(label=_("account manager"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)
    preferred_channel = forms.ChoiceField(
        label=_("preferred channel"), choices=[*EMPTY, *ContactChannel.choices], required=False
    )
    settlement_habit = forms.ChoiceField(
        label=_("settlement habit"), choices=[*EMPTY, *SettlementHabit.choices], required=False
    )
    tier = forms.ChoiceField(label=_("tier"), choices=[*EMPTY, *Tier.choices], required=False)
    tags = forms.CharField(label=_("tags"), max_length=1000, required=False, help_text=_("Separate tags with commas."))
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, user: User, kind: str, instance: Customer | None = None
    ) -> None:
        self.user = user
        self.instance = instance
        self.kind = instance.kind if instance is not None else kind
        if instance is not None:
            initial = self._initial_from(instance)
        else:
            initial = {"owner_id": user.pk, "team_id": user.team_id, "lifecycle_stage": LifecycleStage.PROSPECT}
        super().__init__(data, initial=initial)
        for name in ORGANIZATION_ONLY if self.kind == CustomerKind.PERSON else PERSON_ONLY:
            del self.fields[name]
        for name in ("organization_id", "parent_id"):
            if name in self.fields:
                chosen = data.get(name) if data is not None else self.initial.get(name)
                options = page_queries.organization_choices(
                    user=user, include=[chosen], exclude=instance.pk if instance is not None else None
                )
                widget = cast(forms.Select, self.fields[name].widget)
                widget.choices = EMPTY + [(str(pk), label) for pk, label in options]
        self._choice_field("owner_id").choices = EMPTY + [
            (str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")
        ]
        self._choice_field("team_id").choices = EMPTY + [(str(t.pk), t.name) for t in teams_visible_to(user)]
        self.custom_definitions = page_queries.custom_field_definitions(self.kind)
        for definition in self.custom_definitions:
            self.fields[f"cf_{definition.key}"] = self._custom_field(definition)
            if instance is not None:
                value = instance.custom_fields.get(definition.key)
                if definition.field_type == CustomFieldType.BOOLEAN and isinstance(value, bool):
                    value = "1" if value else "0"
                self.initial[f"cf_{definition.key}"] = value
        date_input(self.fields.get("birth_date"))
        bootstrap_styled(self)
        self.phones, self.emails, self.addresses = self._rowsets(data, instance)

    def _choice_field(self, name: str) -> forms.ChoiceField:
        bound = self.fields[name]
        if not isinstance(bound, forms.ChoiceField):
            raise TypeError(f"{name} is not a choice field")
        return bound

    # --- building ---------------------------------------------------------------------------------------

    @staticmethod
    def _initial_from(customer: Customer) -> dict[str, Any]:
        initial = {
            name: getattr(customer, name)
            for name in (
                "first_name",
                "last_name",
                "name",
                "gender",
                "income_bracket",
                "national_id",
                "job_title",
                "lifecycle_stage",
                "source",
                "preferred_channel",
                "settlement_habit",
                "tier",
                "notes",
                "organization_id",
                "parent_id",
                "owner_id",
                "team_id",
            )
        }
        if customer.birth_date:
            initial["birth_date"] = date_input_text(customer.birth_date)
        initial["tags"] = "، ".join(t.name for t in customer.tags.all())
        return initial

    def _custom_field(self, definition: Any) -> forms.Field:
        label = page_queries.custom_field_label(definition)
        if definition.field_type == CustomFieldType.CHOICE:
            choices = EMPTY + [(str(c), str(c)) for c in definition.choices]
            return forms.ChoiceField(label=label, choices=choices, required=False)
        if definition.field_type == CustomFieldType.BOOLEAN:
            return forms.ChoiceField(label=label, choices=[*EMPTY, ("1", _("Yes")), ("0", _("No"))], required=False)
        bound = forms.CharField(label=label, max_length=200, required=False)
        if definition.field_type == CustomFieldType.DATE:
            date_input(bound)
        return bound

    def _rowsets(self, data: Mapping[str, Any] | None, instance: Customer | None) -> tuple[RowSet, RowSet, RowSet]:
        specs = (
            ("phones", ("number", "kind"), PhoneKind.choices),
            ("emails", ("email", "kind"), EmailKind.choices),
            ("addresses", ("kind", "province", "city", "line", "postal_code"), AddressKind.choices),
        )
        sets = []
        for prefix, fields, kinds in specs:
            if data is not None:
                rowset = RowSet.from_post(prefix, fields, kinds, data)
            elif instance is not None:
                items = [
                    {f: getattr(obj, f) for f in (*fields, "is_primary")} for obj in getattr(instance, prefix).all()
                ]
                rowset = RowSet.from_initial(prefix, fields, kinds, items)
            else:
                rowset = RowSet(prefix, fields, kinds)
            rowset.ensure_one()
            sets.append(rowset)
        return sets[0], sets[1], sets[2]

    # --- talking to the services --------------------------------------------------------------------------

    def person_fields(self) -> list[forms.BoundField]:
        return [
            self[n]
            for n in ("first_name", "last_name", "gender", "birth_date", "national_id", "income_bracket")
            if n in self.fields
        ]

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"cf_{d.key}"] for d in self.custom_definitions]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as the data dict services.customer_create/customer_update document."""
        data: dict[str, Any] = {}
        if self.instance is None:
            data["kind"] = self.kind
        for name, value in self.cleaned_data.items():
            if name.startswith("cf_") or name == "tags":
                continue
            if name.endswith("_id") and value == "":
                if self.instance is None and name in ("owner_id", "team_id"):
                    continue  # left empty on a new record: the services put it in the creator's reach
                value = None
            data[name] = value
        data["tags"] = [t.strip() for t in _TAG_SPLIT.split(self.cleaned_data.get("tags") or "") if t.strip()]
        data["custom_fields"] = {d.key: self.cleaned_data.get(f"cf_{d.key}", "") for d in self.custom_definitions}
        for definition in self.custom_definitions:
            if definition.field_type == CustomFieldType.BOOLEAN and data["custom_fields"][definition.key] != "":
                data["custom_fields"][definition.key] = data["custom_fields"][definition.key] == "1"
        data["phones"] = self.phones.to_data()
        data["emails"] = self.emails.to_data()
        data["addresses"] = self.addresses.to_data()
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        """Show each of the services' errors next to its field (rows, custom fields, or the form's top)."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        rowsets = {"phones": self.phones, "emails": self.emails, "addresses": self.addresses}
        for key, texts in messages.items():
            parts = key.split(".")
            in_row = parts[0] in rowsets and len(parts) == 3 and parts[1].isdigit()
            if in_row and rowsets[parts[0]].add_error(int(parts[1]), parts[2], texts):
                continue
            if parts[0] == "custom_fields" and len(parts) == 2 and f"cf_{parts[1]}" in self.fields:
                self.add_error(f"cf_{parts[1]}", texts)
            elif key in self.fields:
                self.add_error(key, texts)
            else:
                self.add_error(None, texts)

    @property
    def has_row_errors(self) -> bool:
        return self.phones.has_errors or self.emails.has_errors or self.addresses.has_errors


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[(c.value, c.label) for c in InteractionChannel if c != InteractionChannel.SYSTEM],
        initial=InteractionChannel.CALL,
    )
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices, initial=Direction.OUTBOUND)
    subject = forms.CharField(label=_("subject"), max_length=255, required=False)
    body = forms.CharField(label=_("details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, texts)
