"""The forms of the chat pages: a widget (administrators) and a saved reply (managers); the services check what
they are given."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team
from peyvand.comms.chat.models import CannedReply, ChatWidget
from peyvand.comms.chat.services import max_message_length
from peyvand.core.forms import bootstrap_styled


class ChatWidgetForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    team_id = forms.ChoiceField(label=_("team that answers"))
    allowed_origins = forms.CharField(
        label=_("allowed sites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr", "placeholder": "https://shop.example.ir"}),
        help_text=_("One origin a line (scheme, host and port, no path). Pages elsewhere cannot open this chat."),
    )
    greeting_fa = forms.CharField(label=_("greeting (Persian)"), max_length=300, required=False)
    greeting_en = forms.CharField(label=_("greeting (English)"), max_length=300, required=False)
    offline_form = forms.BooleanField(
        label=_("when nobody is online, take a message as a ticket"), required=False, initial=True
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args: Any, widget: ChatWidget | None = None, **kwargs: Any) -> None:
        if widget is not None and not args:
            kwargs["initial"] = {
                "name": widget.name,
                "team_id": widget.team_id,
                "allowed_origins": "\n".join(widget.allowed_origins or []),
                "greeting_fa": widget.greeting_fa,
                "greeting_en": widget.greeting_en,
                "offline_form": widget.offline_form,
                "is_active": widget.is_active,
            }
        super().__init__(*args, **kwargs)
        team_field = self.fields["team_id"]
        assert isinstance(team_field, forms.ChoiceField)
        team_field.choices = [
            ("", "—"),
            *((str(t.pk), f"{'— ' * t.depth}{t.name}") for t in Team.objects.order_by("path")),
        ]
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "team_id": int(data["team_id"]),
            "allowed_origins": data.get("allowed_origins", ""),
            "greeting_fa": data.get("greeting_fa", ""),
            "greeting_en": data.get("greeting_en", ""),
            "offline_form": bool(data.get("offline_form")),
            "is_active": bool(data.get("is_active")),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, list(texts))


class CannedReplyForm(forms.Form):
    """A saved reply on the managers' page: the team list holds the teams the user may write for."""

    title = forms.CharField(label=_("title"), max_length=120)
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 5}))
    team_id = forms.ChoiceField(label=_("team"), required=False, help_text=_("Empty: every agent may use it."))

    def __init__(self, *args: Any, teams: Any, everyone: bool, reply: CannedReply | None = None, **kwargs: Any) -> None:
        if reply is not None and not args:
            kwargs["initial"] = {"title": reply.title, "text": reply.text, "team_id": reply.team_id or ""}
        super().__init__(*args, **kwargs)
        team_field = self.fields["team_id"]
        assert isinstance(team_field, forms.ChoiceField)
        team_field.choices = [
            *([("", _("Everyone"))] if everyone else []),
            *((str(t.pk), f"{'— ' * t.depth}{t.name}") for t in teams),
        ]
        team_field.required = not everyone
        self.fields["text"].widget.attrs["maxlength"] = str(max_message_length())
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "text": data["text"], "team_id": data.get("team_id") or None}

    def add_service_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            self.add_error(key if key in self.fields else None, list(texts))
