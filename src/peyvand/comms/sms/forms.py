"""The SMS compose form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import Channel, ChannelAccount
from peyvand.core.forms import bootstrap_styled


class SmsComposeForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        help_text=_("You can use {name}, {first_name}, {last_name} and {today}."),
    )
    numbers = forms.CharField(
        label=_("Other numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One a line; managers and administrators only."),
    )
    account = forms.ModelChoiceField(
        label=_("Send by"), queryset=ChannelAccount.objects.none(), required=False, empty_label=_("Default account")
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args: Any, can_use_numbers: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ChannelAccount.objects.filter(channel=Channel.SMS, is_active=True)  # type: ignore[attr-defined]
        if not can_use_numbers:
            del self.fields["numbers"]
        bootstrap_styled(self)

    def number_list(self) -> list[str]:
        raw = self.cleaned_data.get("numbers") or ""
        return [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]

    def add_service_errors(self, exc: ValidationError) -> None:
        fields = {"customers": None, "text": "text", "numbers": "numbers", "account": "account"}
        for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
            target = fields.get(name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
