"""Page forms for orders, invoices and payments: they collect what was typed (amounts in the site's money unit,
Jalali dates); the services validate it and their field errors come back onto these fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled
from peyvand.core.money import format_money
from peyvand.sales.forms import EMPTY, JalaliDateField, MoneyField, ServiceErrorsForm
from peyvand.sales.models import PaymentMethod

# Selling on credit is an open invoice, not a payment (see services.invoices): the form does not offer it.
PAGE_METHODS = [(value, label) for value, label in PaymentMethod.choices if value != PaymentMethod.CREDIT]


def moment_of(day: dt.date | None) -> dt.datetime | None:
    """A day typed on a form as a moment: now for today (or no day), noon in the site's time zone for another."""
    if day is None or day == timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


class _RenamingForm(ServiceErrorsForm):
    """Puts the services' errors on this form's fields where the page names a field differently."""

    SERVICE_NAMES: dict[str, str] = {}

    def add_service_errors(self, error: Any) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = self.SERVICE_NAMES.get(key, key)
            self.add_error(name if name in self.fields else None, texts)


class _PeopleForm(_RenamingForm):
    owner_id = forms.ChoiceField(label=_("owner"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)

    def _people_choices(self, user: User) -> None:
        owners = users_visible_to(user).order_by("first_name", "last_name", "username")
        teams = list(teams_visible_to(user))
        if user.team is not None and user.team not in teams:
            teams.insert(0, user.team)
        owner = self.fields["owner_id"]
        team = self.fields["team_id"]
        assert isinstance(owner, forms.ChoiceField) and isinstance(team, forms.ChoiceField)
        owner.choices = EMPTY + [(str(u.pk), str(u)) for u in owners]
        team.choices = EMPTY + [(str(t.pk), t.name) for t in teams]

    def _number(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        return int(value) if value else None


class OrderForm(_PeopleForm):
    ordered_on = JalaliDateField(label=_("order date"), required=False, help_text=_("Empty: now."))
    deal_id = forms.ChoiceField(label=_("deal"), required=False)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["ordered_on", "deal_id", "owner_id", "team_id", "notes"]
    SERVICE_NAMES = {"ordered_at": "ordered_on"}

    def __init__(self, data: Any = None, *, user: User, deals: list[tuple[int, str]]) -> None:
        super().__init__(data, initial={"owner_id": user.pk, "team_id": user.team_id})
        self._people_choices(user)
        deal = self.fields["deal_id"]
        assert isinstance(deal, forms.ChoiceField)
        deal.choices = EMPTY + [(str(pk), title) for pk, title in deals]
        ordered_on = self.fields["ordered_on"]
        assert isinstance(ordered_on, JalaliDateField)
        ordered_on.for_language()
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        return {
            "ordered_at": moment_of(self.cleaned_data.get("ordered_on")),
            "deal_id": self._number("deal_id"),
            "owner_id": self._number("owner_id"),
            "team_id": self._number("team_id"),
            "notes": self.cleaned_data.get("notes") or "",
        }


class InvoiceForm(_PeopleForm):
    issue_date = JalaliDateField(label=_("date"), required=False, help_text=_("Empty: today."))
    due_date = JalaliDateField(label=_("due date"), required=False, help_text=_("Empty: 30 days after the date."))
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["issue_date", "due_date", "owner_id", "team_id", "notes"]

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, initial={"owner_id": user.pk, "team_id": user.team_id})
        self._people_choices(user)
        for name in ("issue_date", "due_date"):
            field = self.fields[name]
            assert isinstance(field, JalaliDateField)
            field.for_language()
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        return {
            "issue_date": self.cleaned_data.get("issue_date"),
            "due_date": self.cleaned_data.get("due_date"),
            "owner_id": self._number("owner_id"),
            "team_id": self._number("team_id"),
            "notes": self.cleaned_data.get("notes") or "",
        }


class InvoiceFromOrderForm(ServiceErrorsForm):
    issue_date = JalaliDateField(label=_("invoice date"), required=False, help_text=_("Empty: today."))
    due_date = JalaliDateField(label=_("due date"), required=False, help_text=_("Empty: 30 days after the date."))

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        for name in ("issue_date", "due_date"):
            field = self.fields[name]
            assert isinstance(field, JalaliDateField)
            field.for_language()
        bootstrap_styled(self)


class PaymentForm(_RenamingForm):
    amount = MoneyField(label=_("amount"))
    method = forms.ChoiceField(label=_("method"), choices=PAGE_METHODS)
    received_on = JalaliDateField(label=_("received on"), required=False, help_text=_("Empty: now."))
    reference = forms.CharField(
        label=_("reference"),
        max_length=64,
        required=False,
        help_text=_("Bank tracking or card terminal number."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    cheque_number = forms.CharField(
        label=_("cheque number"), max_length=32, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    cheque_bank = forms.CharField(label=_("bank"), max_length=100, required=False)
    cheque_due_date = JalaliDateField(label=_("cheque due date"), required=False)
    notes = forms.CharField(label=_("notes"), max_length=255, required=False)

    # The services name it received_at; the page asks for a day.
    SERVICE_NAMES = {"received_at": "received_on"}

    def __init__(self, data: Any = None, *, balance: int | None = None) -> None:
        super().__init__(data)
        for name in ("received_on", "cheque_due_date"):
            field = self.fields[name]
            assert isinstance(field, JalaliDateField)
            field.for_language()
        unit = format_money(0).split(" ", 1)[-1]
        self.fields["amount"].help_text = _("In %(unit)s.") % {"unit": unit}
        if balance is not None:
            self.fields["amount"].help_text += " " + _("Left to pay: %(balance)s.") % {"balance": format_money(balance)}
        bootstrap_styled(self)
        # The cheque's fields are shown only for a cheque (see the page's script); they stay in the form without it.
        for name in ("cheque_number", "cheque_bank", "cheque_due_date"):
            self.fields[name].widget.attrs["data-cheque-field"] = "1"

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "method": data["method"],
            "received_at": moment_of(data.get("received_on")),
            "reference": data.get("reference") or "",
            "cheque_number": data.get("cheque_number") or "",
            "cheque_bank": data.get("cheque_bank") or "",
            "cheque_due_date": data.get("cheque_due_date"),
            "notes": data.get("notes") or "",
        }


class ReasonForm(ServiceErrorsForm):
    reason = forms.CharField(label=_("reason"), max_length=2000, required=False)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        bootstrap_styled(self)
