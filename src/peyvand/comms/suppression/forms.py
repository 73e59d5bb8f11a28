"""Forms of the suppression list page: the filters, and an administrator's addresses to add."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import Channel, SuppressionReason
from peyvand.comms.suppression.selectors import SuppressionFilters
from peyvand.comms.suppression.services import SUPPRESSIBLE
from peyvand.core.forms import bootstrap_styled

__all__ = ["SuppressionAddForm", "SuppressionFilterForm"]


def _channels() -> list[tuple[str, str]]:
    return [(str(c.value), str(c.label)) for c in Channel if c in SUPPRESSIBLE]


class SuppressionFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=255)
    channel = forms.ChoiceField(label=_("channel"), required=False)
    reason = forms.ChoiceField(label=_("reason"), required=False)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.fields["channel"].choices = [("", _("All")), *_channels()]  # type: ignore[attr-defined]
        self.fields["reason"].choices = [("", _("All")), *SuppressionReason.choices]  # type: ignore[attr-defined]
        bootstrap_styled(self)

    def filters(self) -> SuppressionFilters:
        data = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return SuppressionFilters(
            q=(data.get("q") or "").strip(), channel=data.get("channel") or "", reason=data.get("reason") or ""
        )


class SuppressionAddForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"))
    addresses = forms.CharField(
        label=_("addresses"),
        max_length=400_000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        help_text=_("One or many: one a line, or separated by commas."),
    )
    reason = forms.ChoiceField(label=_("reason"), initial=SuppressionReason.MANUAL)
    source = forms.CharField(label=_("note"), required=False, max_length=255)

    def __init__(self, data: Any = None) -> None:
        # Its own ids: the filter form on the same page has a channel and a reason too.
        super().__init__(data, auto_id="add_%s")
        self.fields["channel"].choices = _channels()  # type: ignore[attr-defined]
        self.fields["reason"].choices = SuppressionReason.choices  # type: ignore[attr-defined]
        bootstrap_styled(self)
