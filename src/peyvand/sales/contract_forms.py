"""Page forms for contracts and sales targets: they collect what was typed; the services validate it and report
back per field (as the deal forms do)."""

from __future__ import annotations

from typing import Any

import jdatetime
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input_text
from peyvand.core.jalali import JALALI_MONTHS
from peyvand.core.money import format_money
from peyvand.sales.forms import EMPTY, JalaliDateField, MoneyField, ServiceErrorsForm, _money_text
from peyvand.sales.models import Contract, Deal, TargetMetric, TargetPeriod
from peyvand.sales.services.contracts import MAX_NOTICE_DAYS


def _unit_help(form: forms.Form, *names: str) -> None:
    # Amounts are typed in the site's unit (Toman or Rial); the unit's name is the one the site shows.
    unit = format_money(0).split(" ", 1)[-1]
    for name in names:
        form.fields[name].help_text = _("In %(unit)s.") % {"unit": unit}


def _dates_for_language(form: forms.Form, *names: str) -> None:
    for name in names:
        field = form.fields[name]
        assert isinstance(field, JalaliDateField)
        field.for_language()


class ContractForm(ServiceErrorsForm):
    title = forms.CharField(label=_("title"), max_length=200)
    deal_id = forms.ChoiceField(label=_("deal"), required=False)
    start_date = JalaliDateField(label=_("start date"))
    end_date = JalaliDateField(label=_("end date"))
    value = MoneyField(label=_("value"), required=False)
    signed_at = JalaliDateField(label=_("signed on"), required=False)
    auto_renew = forms.BooleanField(label=_("renews automatically"), required=False)
    renewal_notice_days = forms.IntegerField(
        label=_("renewal reminder (days before end)"), min_value=0, max_value=MAX_NOTICE_DAYS, initial=30
    )
    owner_id = forms.ChoiceField(label=_("owner"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)
    terms = forms.CharField(label=_("terms"), required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        deals: list[Deal],
        contract: Contract | None = None,
        deal: Deal | None = None,
    ) -> None:
        self.user = user
        self.contract = contract
        super().__init__(data, initial=self._initial(user, contract, deal))
        deal_field = self.fields["deal_id"]
        assert isinstance(deal_field, forms.ChoiceField)
        deal_field.choices = EMPTY + [(str(d.pk), d.title) for d in deals]
        owners = [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")]
        teams = list(teams_visible_to(user))
        if user.team is not None and user.team not in teams:
            teams.insert(0, user.team)
        team_choices = [(str(t.pk), t.name) for t in teams]
        if contract is not None:
            # The current owner and team stay selectable even when out of the editor's own lists.
            if contract.owner is not None and str(contract.owner_id) not in dict(owners):
                owners.append((str(contract.owner_id), str(contract.owner)))
            if contract.team is not None and str(contract.team_id) not in dict(team_choices):
                team_choices.append((str(contract.team_id), contract.team.name))
        for name, choices in (("owner_id", owners), ("team_id", team_choices)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = EMPTY + choices
        _dates_for_language(self, "start_date", "end_date", "signed_at")
        _unit_help(self, "value")
        bootstrap_styled(self)

    @staticmethod
    def _initial(user: User, contract: Contract | None, deal: Deal | None) -> dict[str, Any]:
        if contract is None:
            return {
                "owner_id": user.pk,
                "team_id": user.team_id,
                "renewal_notice_days": 30,
                "deal_id": deal.pk if deal else "",
                "title": deal.title if deal else "",
                "value": _money_text(deal.amount) if deal and deal.amount else "",
            }
        return {
            "title": contract.title,
            "deal_id": contract.deal_id or "",
            "start_date": date_input_text(contract.start_date),
            "end_date": date_input_text(contract.end_date),
            "value": _money_text(contract.value),
            "signed_at": date_input_text(contract.signed_at),
            "auto_renew": contract.auto_renew,
            "renewal_notice_days": contract.renewal_notice_days,
            "owner_id": contract.owner_id or "",
            "team_id": contract.team_id or "",
            "terms": contract.terms,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data

        def number(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        return {
            "title": data["title"],
            "deal_id": number("deal_id"),
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "value": data.get("value") or 0,
            "signed_at": data.get("signed_at"),
            "auto_renew": bool(data.get("auto_renew")),
            "renewal_notice_days": data["renewal_notice_days"],
            "owner_id": number("owner_id"),
            "team_id": number("team_id"),
            "terms": data.get("terms") or "",
        }


class ContractRenewForm(ServiceErrorsForm):
    start_date = JalaliDateField(label=_("new start date"), required=False)
    end_date = JalaliDateField(label=_("new end date"), required=False)
    value = MoneyField(label=_("new value"), required=False)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        _dates_for_language(self, "start_date", "end_date")
        _unit_help(self, "value")
        self.fields["start_date"].help_text = _("Empty: the day after the contract ends.")
        self.fields["end_date"].help_text = _("Empty: a term as long as this one.")
        bootstrap_styled(self)


class ContractTerminateForm(ServiceErrorsForm):
    reason = forms.CharField(label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        bootstrap_styled(self)


class ContractFileForm(ServiceErrorsForm):
    file = forms.FileField(label=_("file"))

    def __init__(self, data: Any = None, files: Any = None) -> None:
        super().__init__(data, files)
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.odt"
        self.fields["file"].help_text = _("PDF, JPG, PNG, DOCX, XLSX or ODT; at most 20 MB.")
        bootstrap_styled(self)


def jalali_year_now() -> int:
    return int(jdatetime.date.fromgregorian(date=timezone.localdate()).year)


def period_number_choices(period: str) -> list[tuple[str, str]]:
    if period == TargetPeriod.MONTH:
        return [(str(n), f"{n} · {JALALI_MONTHS[n - 1]}") for n in range(1, 13)]
    if period == TargetPeriod.QUARTER:
        return [(str(n), str(_("Quarter %(n)d")) % {"n": n}) for n in range(1, 5)]
    return [("0", str(_("The whole year")))]


class TargetForm(ServiceErrorsForm):
    """One target: whose (a person or a team, as "user:5" / "team:3"), which period and measure, how much."""

    subject = forms.ChoiceField(label=_("person or team"))
    metric = forms.ChoiceField(label=_("measure"), choices=TargetMetric.choices)
    period = forms.ChoiceField(label=_("period"), choices=TargetPeriod.choices)
    jalali_year = forms.IntegerField(label=_("year (Jalali)"), min_value=1380, max_value=1500)
    period_number = forms.IntegerField(
        label=_("month or quarter"), min_value=0, max_value=12, required=False, help_text=_("0 for a whole year.")
    )
    amount = MoneyField(label=_("target"))

    def __init__(self, data: Any = None, *, user: User, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial or {})
        teams = [(f"team:{t.pk}", str(_("Team: %(name)s")) % {"name": t.name}) for t in teams_visible_to(user)]
        people = [
            (f"user:{u.pk}", str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")
        ]
        field = self.fields["subject"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = EMPTY + teams + people
        _unit_help(self, "amount")
        bootstrap_styled(self)

    def add_service_errors(self, error: ValidationError) -> None:
        # The services name the person or team as user_id / team_id; the page has one field for both.
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = "subject" if key in ("user_id", "team_id") else key
            self.add_error(name if name in self.fields else None, texts)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind, _sep, pk = str(data["subject"]).partition(":")
        period = data["period"]
        number = data.get("period_number") or 0
        return {
            "user_id": int(pk) if kind == "user" else None,
            "team_id": int(pk) if kind == "team" else None,
            "metric": data["metric"],
            "period": period,
            "jalali_year": data["jalali_year"],
            "period_number": 0 if period == TargetPeriod.YEAR else number,
            "amount": data["amount"],
        }
