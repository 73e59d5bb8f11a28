"""Page forms for leads: they collect what was typed; the lead services validate it and report back per field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled
from peyvand.core.money import format_money
from peyvand.core.phone import format_phone
from peyvand.customers.models import Customer
from peyvand.sales.forms import EMPTY, MoneyField, ServiceErrorsForm, _money_text
from peyvand.sales.models import Lead, LeadSource, LeadStatus
from peyvand.sales.selectors import pipeline_list

# Where a lead typed in by hand may come from; `import` and `api` are set by those routes themselves.
HAND_SOURCES = [(value, label) for value, label in LeadSource.choices if value not in ("import", "api")]


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _unit_help() -> str:
    unit = format_money(0).split(" ", 1)[-1]
    return str(_("In %(unit)s.") % {"unit": unit})


class LeadForm(ServiceErrorsForm):
    first_name = forms.CharField(label=_("first name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=100, required=False)
    company_name = forms.CharField(label=_("company"), max_length=200, required=False)
    job_title = forms.CharField(label=_("job title"), max_length=120, required=False)
    phone = forms.CharField(
        label=_("phone"), max_length=40, required=False, widget=forms.TextInput(attrs={"dir": "ltr", "type": "tel"})
    )
    email = forms.CharField(
        label=_("e-mail"), max_length=254, required=False, widget=forms.TextInput(attrs={"dir": "ltr", "type": "email"})
    )
    city = forms.CharField(label=_("city"), max_length=100, required=False)
    source = forms.ChoiceField(label=_("source"), choices=HAND_SOURCES)
    source_detail = forms.CharField(
        label=_("source detail"),
        max_length=200,
        required=False,
        help_text=_("e.g. the form, campaign or referrer"),
    )
    estimated_amount = MoneyField(label=_("estimated amount"), required=False)
    interest = forms.CharField(
        label=_("what they are interested in"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_id = forms.ChoiceField(label=_("owner"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)

    def __init__(self, data: Any = None, *, user: User, lead: Lead | None = None) -> None:
        self.user = user
        self.lead = lead
        super().__init__(data, initial=self._initial(user, lead))
        sources = list(HAND_SOURCES)
        if lead is not None and lead.source not in dict(sources):
            # A lead that came by import or the API keeps its source when edited by hand.
            sources.append((lead.source, LeadSource(lead.source).label))
        _choice(self, "source").choices = sources
        owners = [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")]
        teams = list(teams_visible_to(user))
        if user.team is not None and user.team not in teams:
            teams.insert(0, user.team)
        team_choices = [(str(t.pk), t.name) for t in teams]
        if str(user.pk) not in dict(owners):
            owners.insert(0, (str(user.pk), str(user)))
        if lead is not None:
            # The current owner and team stay selectable even when out of the editor's own lists.
            if lead.owner is not None and str(lead.owner.pk) not in dict(owners):
                owners.append((str(lead.owner.pk), str(lead.owner)))
            if lead.team is not None and str(lead.team.pk) not in dict(team_choices):
                team_choices.append((str(lead.team.pk), lead.team.name))
        _choice(self, "owner_id").choices = EMPTY + owners
        _choice(self, "team_id").choices = EMPTY + team_choices
        self.fields["estimated_amount"].help_text = _unit_help()
        bootstrap_styled(self)

    @staticmethod
    def _initial(user: User, lead: Lead | None) -> dict[str, Any]:
        if lead is None:
            return {"owner_id": user.pk, "team_id": user.team_id, "source": LeadSource.MANUAL}
        return {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company_name": lead.company_name,
            "job_title": lead.job_title,
            "phone": format_phone(lead.phone, lang="en") if lead.phone else "",
            "email": lead.email,
            "city": lead.city,
            "source": lead.source,
            "source_detail": lead.source_detail,
            "estimated_amount": _money_text(lead.estimated_amount),
            "interest": lead.interest,
            "notes": lead.notes,
            "owner_id": lead.owner_id,
            "team_id": lead.team_id,
        }

    def service_data(self) -> dict[str, Any]:
        """The fields as the lead services take them (the source apart: lead_create takes it on its own)."""
        data = self.cleaned_data

        def number(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        return {
            **{
                name: data.get(name) or ""
                for name in (
                    "first_name",
                    "last_name",
                    "company_name",
                    "job_title",
                    "phone",
                    "email",
                    "city",
                    "source_detail",
                    "interest",
                    "notes",
                )
            },
            "estimated_amount": data.get("estimated_amount") or 0,
            "owner_id": number("owner_id"),
            "team_id": number("team_id"),
        }


class LeadStatusForm(ServiceErrorsForm):
    status = forms.ChoiceField(
        label=_("status"), choices=[(v, label) for v, label in LeadStatus.choices if v != LeadStatus.CONVERTED]
    )
    reason = forms.CharField(
        label=_("reason disqualified"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        bootstrap_styled(self)


class LeadConvertForm(ServiceErrorsForm):
    """Link the lead to a customer it matches, or make a new one; and the deal to open for it."""

    customer = forms.ChoiceField(label=_("customer"), widget=forms.RadioSelect, required=False)
    create_deal = forms.BooleanField(label=_("open a deal"), required=False, initial=True)
    deal_title = forms.CharField(label=_("deal title"), max_length=200, required=False)
    deal_amount = MoneyField(label=_("deal amount"), required=False)
    pipeline = forms.ChoiceField(label=_("pipeline"), required=False)

    def __init__(self, data: Any = None, *, lead: Lead, matches: list[Customer]) -> None:
        interest = lead.interest.strip().splitlines()[0] if lead.interest.strip() else ""
        super().__init__(
            data,
            initial={
                "customer": "",
                "create_deal": True,
                "deal_title": interest[:200] or lead.display_name[:200],
                "deal_amount": _money_text(lead.estimated_amount) if lead.estimated_amount else "",
            },
        )
        _choice(self, "customer").choices = [("", _("Create a new customer from the lead"))] + [
            (str(c.pk), _("Link to %(name)s") % {"name": c.display_name}) for c in matches
        ]
        pipelines = list(pipeline_list())
        _choice(self, "pipeline").choices = [(str(p.pk), p.label) for p in pipelines]
        self.several_pipelines = len(pipelines) > 1
        self.fields["deal_amount"].help_text = _unit_help()
        bootstrap_styled(self)
        # RadioSelect's options are laid out by the template, each as a form-check.
        self.fields["customer"].widget.attrs["class"] = "form-check-input"

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        customer = data.get("customer")
        pipeline = data.get("pipeline")
        return {
            "customer_id": int(customer) if customer else None,
            "create_deal": bool(data.get("create_deal")),
            "deal_title": data.get("deal_title") or None,
            "deal_amount": data.get("deal_amount"),
            "pipeline_id": int(pipeline) if pipeline else None,
        }


class LeadImportForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV or Excel (.xlsx), at most 5,000 rows, with headings in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    source_detail = forms.CharField(
        label=_("source detail"),
        max_length=200,
        required=False,
        help_text=_("Which list these leads came from, for rows without a «منبع» (source) column."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)
