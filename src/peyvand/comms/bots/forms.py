"""The forms of the bot pages: an answer into a chat (with at most one file), and choosing the bot for a
customer's link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.comms.bots.telegram import MAX_TEXT


class ChatReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto", "class": "form-control"}),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
        help_text=_("Optional: one PDF, JPG or PNG image, or office file; its text is at most 1024 characters."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("file") and "text" not in self.errors:
            self.add_error("text", forms.Field.default_error_messages["required"])
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        messages: Any = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, texts)


class LinkBotForm(forms.Form):
    account = forms.ChoiceField(label=_("Bot"))

    def __init__(self, *args: Any, accounts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = accounts
