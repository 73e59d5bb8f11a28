"""Page forms of e-mail: writing a mail to a customer. The rules live in comms.mail.compose (the API and the
page must agree); the form reads what was typed and puts the service's errors next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import ChannelAccount
from peyvand.core.forms import bootstrap_styled


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their size together is checked by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


# The service's names for what the form calls otherwise.
SERVICE_NAMES = {"account_id": "account", "files": "attachments"}


class ComposeForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    account = forms.ChoiceField(label=_("from"))
    to = forms.ChoiceField(label=_("to"))
    subject = forms.CharField(label=_("subject"), max_length=255)
    body = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}))
    attachments = MultipleFileField(label=_("files"))
    fill_fields = forms.BooleanField(
        label=_("Fill in the customer's fields"),
        required=False,
        help_text=_("{first_name}, {name}, {organization}, {today} … are replaced; write {{ or }} for a brace."),
    )
    marketing = forms.BooleanField(
        label=_("This is marketing"),
        required=False,
        help_text=_("Sent only with the customer's consent to e-mail, and waits for the end of quiet hours."),
    )

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        mailboxes: list[ChannelAccount],
        addresses: list[str],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, files, initial=initial)
        account = self.fields["account"]
        to = self.fields["to"]
        assert isinstance(account, forms.ChoiceField) and isinstance(to, forms.ChoiceField)
        account.choices = [(str(a.pk), a.name) for a in mailboxes]
        to.choices = [(address, address) for address in addresses]
        to.widget.attrs["dir"] = "ltr"
        self.fields["subject"].widget.attrs["dir"] = "auto"
        bootstrap_styled(self)

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = SERVICE_NAMES.get(key, key)
            # The token's error ("open the form again") and the customer's belong to the whole form.
            self.add_error(name if name in self.fields and name != "token" else None, list(texts))
