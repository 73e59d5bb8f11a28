"""Page forms for sales: they collect what was typed; the services validate it and report back per field.

As with the customer forms, the rules live in services (the API and these pages must agree), so the forms
only turn text into the values the services take (amounts in the site's money unit into Rials, Jalali dates
into dates) and map the services' ValidationError back onto their fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input, date_input_text
from peyvand.core.jalali import parse_date
from peyvand.core.money import RIALS_PER_UNIT, format_money, parse_money
from peyvand.core.text import normalize_digits
from peyvand.sales.models import Deal, DealContactRole, Product, ProductKind, StageOutcome
from peyvand.sales.selectors import pipeline_list

EMPTY = [("", "—")]
# Services name some fields by what the API takes; the forms name them by what the page shows.
SERVICE_FIELD_NAMES = {"customer_id": "__all__", "pipeline_id": "pipeline", "stage_id": "stage"}


def _money_text(rial: int | None) -> str:
    """An amount in Rials as the number a person types in the site's unit (ASCII digits, like the dates)."""
    if rial is None:
        return ""
    return str(rial // RIALS_PER_UNIT[str(settings.PEYVAND_MONEY_UNIT)])


class ServiceErrorsForm(forms.Form):
    def add_service_errors(self, error: ValidationError) -> None:
        """Put each of the services' field errors next to its field, the rest at the top of the form."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = SERVICE_FIELD_NAMES.get(key, key)
            self.add_error(name if name in self.fields else None, texts)


class MoneyField(forms.CharField):
    """An amount typed in the site's unit (Toman or Rial), with any digits and thousands separators: Rials."""

    def __init__(self, **kwargs: Any) -> None:
        # No max_length: its validator would measure the number made from the text.
        super().__init__(**kwargs)
        self.widget.attrs.update({"maxlength": "40", "inputmode": "numeric", "dir": "ltr"})

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_money(text)
        except (ValueError, TypeError):
            raise ValidationError(_("Write the amount as a whole number, like 12500000."), code="invalid") from None


class JalaliDateField(forms.CharField):
    """A date typed as 1405/10/15 (Jalali) or 2027-01-05, picked with the Jalali date picker."""

    def __init__(self, **kwargs: Any) -> None:
        # No max_length: its validator would measure the date made from the text.
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = "20"

    def for_language(self) -> None:
        """The Jalali picker (app.js watches inputs with data-jdp) in Persian, the browser's date input in English,
        as on the customer forms; called per form, once the page's language is known."""
        date_input(self)

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_date(text)
        except (ValueError, TypeError):
            raise ValidationError(_("Enter a date like 1403/01/15 or 2024-04-03."), code="invalid") from None


class DealForm(ServiceErrorsForm):
    title = forms.CharField(label=_("title"), max_length=200)
    pipeline = forms.ChoiceField(label=_("pipeline"), required=False)
    stage = forms.ChoiceField(label=_("stage"), required=False)
    amount = MoneyField(label=_("amount"), required=False)
    expected_close_date = JalaliDateField(label=_("expected close date"), required=False)
    owner_id = forms.ChoiceField(label=_("owner"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)
    next_step = forms.CharField(label=_("next step"), max_length=255, required=False)
    next_step_due_date = JalaliDateField(label=_("next step due date"), required=False)
    next_step_due_time = forms.TimeField(
        label=_("next step due time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, data: Any = None, *, user: User, deal: Deal | None = None) -> None:
        self.user = user
        self.deal = deal
        super().__init__(data, initial=self._initial(user, deal))
        if deal is not None:
            # The customer and the pipeline are fixed when a deal is made; the stage changes by a move.
            del self.fields["pipeline"]
            del self.fields["stage"]
        else:
            del self.fields["version"]
            pipelines = list(pipeline_list())
            self.pipeline_field.choices = [(str(p.pk), p.label) for p in pipelines]
            self.stage_field.choices = EMPTY + [
                (str(s.pk), f"{p.label} · {s.label}" if len(pipelines) > 1 else s.label)
                for p in pipelines
                for s in p.stages.all()
                if s.outcome == StageOutcome.OPEN
            ]
        owners = users_visible_to(user).order_by("first_name", "last_name", "username")
        owner_choices = [(str(u.pk), str(u)) for u in owners]
        teams = list(teams_visible_to(user))
        if user.team is not None and user.team not in teams:
            teams.insert(0, user.team)
        team_choices = [(str(t.pk), t.name) for t in teams]
        if deal is not None:
            # The current owner and team stay selectable even when out of the editor's own lists.
            if deal.owner is not None and str(deal.owner.pk) not in dict(owner_choices):
                owner_choices.append((str(deal.owner.pk), str(deal.owner)))
            if deal.team is not None and str(deal.team.pk) not in dict(team_choices):
                team_choices.append((str(deal.team.pk), deal.team.name))
        self.owner_field.choices = EMPTY + owner_choices
        self.team_field.choices = EMPTY + team_choices
        for name in ("expected_close_date", "next_step_due_date"):
            date_field = self.fields[name]
            assert isinstance(date_field, JalaliDateField)
            date_field.for_language()
        # Amounts are typed in the site's unit (Toman or Rial); the unit's name is the one the site shows.
        unit = format_money(0).split(" ", 1)[-1]
        self.fields["amount"].help_text = _("In %(unit)s.") % {"unit": unit}
        bootstrap_styled(self)

    @property
    def pipeline_field(self) -> forms.ChoiceField:
        field = self.fields["pipeline"]
        assert isinstance(field, forms.ChoiceField)
        return field

    @property
    def stage_field(self) -> forms.ChoiceField:
        field = self.fields["stage"]
        assert isinstance(field, forms.ChoiceField)
        return field

    @property
    def owner_field(self) -> forms.ChoiceField:
        field = self.fields["owner_id"]
        assert isinstance(field, forms.ChoiceField)
        return field

    @property
    def team_field(self) -> forms.ChoiceField:
        field = self.fields["team_id"]
        assert isinstance(field, forms.ChoiceField)
        return field

    @staticmethod
    def _initial(user: User, deal: Deal | None) -> dict[str, Any]:
        if deal is None:
            return {"owner_id": user.pk, "team_id": user.team_id}
        due = timezone.localtime(deal.next_step_due_at) if deal.next_step_due_at else None
        return {
            "title": deal.title,
            "amount": _money_text(deal.amount),
            "expected_close_date": date_input_text(deal.expected_close_date),
            "owner_id": deal.owner_id,
            "team_id": deal.team_id,
            "next_step": deal.next_step,
            "next_step_due_date": date_input_text(due.date()) if due else "",
            "next_step_due_time": due.strftime("%H:%M") if due else "",
            "version": deal.version,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day = cleaned.get("next_step_due_date")
        moment = cleaned.get("next_step_due_time")
        if moment and not day:
            self.add_error("next_step_due_date", _("Give the day as well as the time."))
        if self.deal is not None and not cleaned.get("version") and "version" not in self.errors:
            self.add_error(None, _("This form is incomplete; open the deal again."))
        return cleaned

    def due_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("next_step_due_date")
        if day is None:
            return None
        # A due day without a time means the end of the working day, in the company's time zone.
        moment = self.cleaned_data.get("next_step_due_time") or dt.time(17, 0)
        return timezone.make_aware(dt.datetime.combine(day, moment))

    def service_data(self) -> dict[str, Any]:
        """The changeable fields as the services take them."""
        data = self.cleaned_data

        def number(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        return {
            "title": data["title"],
            "amount": data.get("amount") or 0,
            "expected_close_date": data.get("expected_close_date"),
            "owner_id": number("owner_id"),
            "team_id": number("team_id"),
            "next_step": data.get("next_step") or "",
            "next_step_due_at": self.due_at(),
        }


class DealContactForm(ServiceErrorsForm):
    contact_id = forms.ChoiceField(label=_("person"))
    role = forms.ChoiceField(label=_("role"), choices=DealContactRole.choices)

    def __init__(self, data: Any = None, *, people: list[tuple[int, str]]) -> None:
        super().__init__(data)
        field = self.fields["contact_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = EMPTY + [(str(pk), name) for pk, name in people]
        bootstrap_styled(self)


class ProductForm(ServiceErrorsForm):
    name = forms.CharField(label=_("name"), max_length=200)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False, widget=forms.TextInput(attrs={"dir": "ltr"}))
    kind = forms.ChoiceField(label=_("kind"), choices=ProductKind.choices)
    unit = forms.CharField(label=_("unit"), max_length=30, required=False, help_text=_("e.g. piece, hour, licence"))
    unit_price = MoneyField(label=_("unit price"), required=False)
    unit_cost = MoneyField(label=_("unit cost"), required=False)
    vat_applies = forms.BooleanField(label=_("VAT applies"), required=False)
    is_active = forms.BooleanField(label=_("active"), required=False)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data: Any = None, *, product: Product | None = None) -> None:
        if product is None:
            initial: dict[str, Any] = {"kind": ProductKind.PRODUCT, "vat_applies": True, "is_active": True}
        else:
            initial = {
                "name": product.name,
                "sku": product.sku,
                "kind": product.kind,
                "unit": product.unit,
                "unit_price": _money_text(product.unit_price),
                "unit_cost": _money_text(product.unit_cost),
                "vat_applies": product.vat_applies,
                "is_active": product.is_active,
                "description": product.description,
            }
        super().__init__(data, initial=initial)
        unit = format_money(0).split(" ", 1)[-1]
        for name in ("unit_price", "unit_cost"):
            self.fields[name].help_text = _("In %(unit)s.") % {"unit": unit}
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["sku"] = normalize_digits(data.get("sku") or "")
        data["unit_price"] = data.get("unit_price") or 0
        data["unit_cost"] = data.get("unit_cost") or 0
        return data
