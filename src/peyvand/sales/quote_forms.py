"""Page forms for quotes: the document's own fields (its lines are the shared line editor's), sending by e-mail,
and the reason a quote was rejected. The services check everything; these only turn text into their values."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input_text
from peyvand.customers.models import Customer
from peyvand.sales.forms import EMPTY, JalaliDateField, ServiceErrorsForm
from peyvand.sales.models import Quote
from peyvand.sales.selectors import deals_visible_to

# The services' names for a few fields → the form's.
SERVICE_FIELD_NAMES = {"deal_id": "deal", "customer_id": "__all__", "status": "__all__", "lines": "__all__"}


class QuoteForm(ServiceErrorsForm):
    title = forms.CharField(label=_("subject"), max_length=200, required=False)
    deal = forms.ChoiceField(label=_("deal"), required=False)
    issue_date = JalaliDateField(label=_("date"), required=False)
    valid_until = JalaliDateField(label=_("valid until"), required=False)
    owner_id = forms.ChoiceField(label=_("owner"), required=False)
    team_id = forms.ChoiceField(label=_("team"), required=False)
    notes = forms.CharField(
        label=_("notes and technical reasons"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this proposal fits: printed under the lines."),
    )
    terms = forms.CharField(
        label=_("terms"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Payment, delivery and warranty terms: printed under the notes."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        customer: Customer,
        quote: Quote | None = None,
        initial: dict[str, Any] | None = None,
        editing: bool = False,
    ) -> None:
        self.user = user
        self.editing = editing
        start = self._initial(user, quote) if quote is not None else {"owner_id": user.pk, "team_id": user.team_id}
        start.update(initial or {})
        super().__init__(data, initial=start)
        if not editing:
            del self.fields["version"]
        deals = deals_visible_to(user).filter(customer=customer).order_by("-id")[:200]
        deal_choices = [(str(d.pk), d.title) for d in deals]
        if quote is not None and quote.deal is not None and str(quote.deal_id) not in dict(deal_choices):
            deal_choices.append((str(quote.deal_id), quote.deal.title))
        self._choice("deal").choices = EMPTY + deal_choices
        owners = [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")]
        teams = list(teams_visible_to(user))
        if user.team is not None and user.team not in teams:
            teams.insert(0, user.team)
        team_choices = [(str(t.pk), t.name) for t in teams]
        if quote is not None:
            if quote.owner is not None and str(quote.owner_id) not in dict(owners):
                owners.append((str(quote.owner_id), str(quote.owner)))
            if quote.team is not None and str(quote.team_id) not in dict(team_choices):
                team_choices.append((str(quote.team_id), quote.team.name))
        self._choice("owner_id").choices = EMPTY + owners
        self._choice("team_id").choices = EMPTY + team_choices
        for name in ("issue_date", "valid_until"):
            field = self.fields[name]
            assert isinstance(field, JalaliDateField)
            field.for_language()
        bootstrap_styled(self)

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    @staticmethod
    def _initial(user: User, quote: Quote) -> dict[str, Any]:
        return {
            "title": quote.title,
            "deal": quote.deal_id or "",
            "issue_date": date_input_text(quote.issue_date),
            "valid_until": date_input_text(quote.valid_until),
            "owner_id": quote.owner_id,
            "team_id": quote.team_id,
            "notes": quote.notes,
            "terms": quote.terms,
            "version": quote.version,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.editing and not cleaned.get("version") and "version" not in self.errors:
            self.add_error(None, _("This form is incomplete; open the quote again."))
        return cleaned

    def add_service_errors(self, error: Any) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = SERVICE_FIELD_NAMES.get(key, key)
            self.add_error(name if name in self.fields else None, texts)

    def service_data(self) -> dict[str, Any]:
        """The document's fields as the services take them (without the lines)."""
        data = self.cleaned_data

        def number(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value else None

        out: dict[str, Any] = {
            "title": data.get("title") or "",
            "deal_id": number("deal"),
            "valid_until": data.get("valid_until"),
            "notes": data.get("notes") or "",
            "terms": data.get("terms") or "",
            "owner_id": number("owner_id"),
            "team_id": number("team_id"),
        }
        if data.get("issue_date"):
            out["issue_date"] = data["issue_date"]
        return out


class QuoteSendForm(ServiceErrorsForm):
    to = forms.CharField(
        label=pgettext_lazy("e-mail recipient", "to"),
        max_length=254,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "email"}),
        help_text=_("Several addresses may be separated by commas."),
    )
    subject = forms.CharField(label=_("subject"), max_length=255)
    message = forms.CharField(label=_("message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 7}))
    lang = forms.ChoiceField(
        label=_("language of the PDF"), choices=[("fa", "فارسی"), ("en", "English")], required=False
    )

    def __init__(self, data: Any = None, *, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        bootstrap_styled(self)


class QuoteRejectForm(ServiceErrorsForm):
    reason = forms.CharField(label=_("reason"), max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        bootstrap_styled(self)
