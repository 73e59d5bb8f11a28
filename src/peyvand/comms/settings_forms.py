"""Page forms of the channel settings (an account's form, built from its provider's settings; the test send)
and of the outbox's filters. The rules live in settings_services; these forms collect what was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus
from peyvand.comms.providers import ConfigField
from peyvand.comms.settings_selectors import MessageFilters
from peyvand.comms.settings_services import MAX_RATE, ProviderInfo
from peyvand.core.forms import bootstrap_styled
from peyvand.sales.forms import JalaliDateField

__all__ = ["AccountForm", "OutboxFilterForm", "SendTestForm"]

SETTING_PREFIX = "cfg_"


class AccountForm(forms.Form):
    """An account's common fields, then one field per setting of its provider. Secret settings are never shown
    back: their box is empty, and left empty keeps the secret that is stored."""

    name = forms.CharField(label=_("name"), max_length=100)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    is_default = forms.BooleanField(
        label=_("default for its channel"),
        required=False,
        help_text=_("Messages of this channel go out by the default account unless another is named."),
    )
    rate_per_minute = forms.IntegerField(
        label=_("messages per minute"),
        required=False,
        min_value=1,
        max_value=MAX_RATE,
        help_text=_("The most the provider takes from us in a minute; empty for no limit."),
    )

    def __init__(self, data: Any = None, *, provider: ProviderInfo, account: ChannelAccount | None = None) -> None:
        initial: dict[str, Any] = {"is_active": True}
        if account is not None:
            initial = {
                "name": account.name,
                "is_active": account.is_active,
                "is_default": account.is_default,
                "rate_per_minute": account.rate_per_minute,
            }
        super().__init__(data, initial=initial)
        self.provider = provider
        self.secret_state: dict[str, bool] = {}
        for item in provider.fields:
            name = SETTING_PREFIX + item.name
            self.fields[name] = self._setting_field(item, account)
            if item.secret:
                self.secret_state[name] = bool(account is not None and account.secrets.get(item.name))
        bootstrap_styled(self)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"

    @staticmethod
    def _setting_field(item: ConfigField, account: ChannelAccount | None) -> forms.Field:
        label = gettext(item.label) if item.label else item.name
        help_text = gettext(item.help) if item.help else ""
        if item.secret:
            # Required only when nothing is stored yet: an empty box on an edit keeps the stored secret.
            stored = account is not None and bool(account.secrets.get(item.name))
            return forms.CharField(
                label=label,
                required=item.required and not stored,
                max_length=5000,
                help_text=help_text,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "dir": "ltr"}),
            )
        value = account.config.get(item.name, "") if account is not None else item.default
        if item.choices:
            return forms.ChoiceField(
                label=label,
                required=item.required,
                choices=[("", "—"), *((v, gettext(text)) for v, text in item.choices)],
                initial=value,
                help_text=help_text,
            )
        return forms.CharField(
            label=label,
            required=item.required,
            max_length=5000,
            initial=value,
            help_text=help_text,
            widget=forms.TextInput(attrs={"dir": "ltr"}),
        )

    def setting_fields(self) -> list[tuple[forms.BoundField, bool | None]]:
        """The provider's fields, each with whether its secret is stored (None for a field that is not secret)."""
        return [
            (self[SETTING_PREFIX + item.name], self.secret_state.get(SETTING_PREFIX + item.name))
            for item in self.provider.fields
        ]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, str] = {}
        secrets: dict[str, str] = {}
        for item in self.provider.fields:
            value = data.get(SETTING_PREFIX + item.name) or ""
            if item.secret:
                if value:
                    secrets[item.name] = value
            else:
                config[item.name] = value
        out: dict[str, Any] = {
            "name": data["name"],
            "is_active": bool(data.get("is_active")),
            "is_default": bool(data.get("is_default")),
            "rate_per_minute": data.get("rate_per_minute"),
        }
        if self.provider.ok:
            out["config"], out["secrets"] = config, secrets
        return out

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = key.split(".", 1)[1] if key.startswith(("config.", "secrets.")) else key
            field = SETTING_PREFIX + name if key != name else name
            self.add_error(field if field in self.fields else None, list(texts))


class SendTestForm(forms.Form):
    to = forms.CharField(label=_("send to"), max_length=255)
    text = forms.CharField(
        label=_("text"),
        max_length=1000,
        required=False,
        help_text=_("Empty: a short standard test text."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any = None, *, channel: str) -> None:
        super().__init__(data)
        to = self.fields["to"]
        to.widget.attrs["dir"] = "ltr"
        if channel == Channel.SMS:
            to.help_text, to.widget.attrs["placeholder"] = _("A mobile number."), "0912 123 4567"
        elif channel == Channel.EMAIL:
            to.help_text, to.widget.attrs["placeholder"] = _("An e-mail address."), "name@example.com"
        else:
            to.help_text = _("The chat's id (a number; the bot must have been started in it) or a channel's @name.")
        bootstrap_styled(self)

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, list(texts))


class OutboxFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False)
    batch = forms.CharField(label=_("batch"), required=False, max_length=60)
    customer = forms.IntegerField(label=_("customer number"), required=False, min_value=1, max_value=2**63 - 1)
    to = forms.CharField(label=_("to"), required=False, max_length=255)
    date_from = JalaliDateField(label=_("from"), required=False)
    date_to = JalaliDateField(label=_("to date"), required=False)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.fields["channel"].choices = [("", _("All")), *Channel.choices]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("All")), *MessageStatus.choices]  # type: ignore[attr-defined]
        for name in ("date_from", "date_to"):
            field = self.fields[name]
            assert isinstance(field, JalaliDateField)
            field.for_language()
        bootstrap_styled(self)

    def filters(self) -> MessageFilters:
        """The filters that were valid; a field typed wrong is left out (and marked on the form)."""
        data = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return MessageFilters(
            channel=data.get("channel") or "",
            status=data.get("status") or "",
            batch=(data.get("batch") or "").strip(),
            customer_id=data.get("customer"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            to=(data.get("to") or "").strip(),
        )
