"""Page forms of tickets and categories. The rules live in the ticket services (the API and the pages must
agree); these forms only read what was typed and put the services' errors next to the fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input
from peyvand.core.models import in_active_language
from peyvand.customers.models import Customer
from peyvand.sales.models import Contract, Order
from peyvand.service.models import TicketCategory, TicketChannel, TicketKind, TicketPriority, TicketStatus
from peyvand.service.ticket_selectors import category_tree

# The template's answers are posted as f_<key>.
ANSWER_PREFIX = "f_"
SERVICE_NAMES = {
    "category_id": "category",
    "customer_id": "customer",
    "order_id": "order",
    "contract_id": "contract",
    "team_id": "team",
    "assignee_id": "assignee",
    "kb_article": "body",
    "set_status": "action",
    "attachments": "attachments",
    "parent_id": "parent",
    "default_team_id": "default_team",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the services (size, type by name and by content)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def set_choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class ServiceErrors(forms.Form):
    # The names this form gives some service fields, beyond SERVICE_NAMES.
    own_names: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        """Each of the services' field errors next to its field (`fields.<key>` next to its answer)."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = self.own_names.get(key) or SERVICE_NAMES.get(key, key)
            if key.startswith("fields."):
                name = ANSWER_PREFIX + key[len("fields.") :]
            self.add_error(name if name in self.fields else None, texts)


def category_choices(*, active_only: bool = True) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(c.pk), "— " * c.depth + c.label) for c in category_tree(active_only=active_only)]


def answer_fields(category: TicketCategory | None) -> dict[str, forms.Field]:
    """The form fields of a category's template, in order, named f_<key>."""
    out: dict[str, forms.Field] = {}
    for spec in category.fields if category else []:
        label = in_active_language(spec.get("label", ""), spec.get("label_en", "")) or spec.get("key")
        required = bool(spec.get("required"))
        kind = spec.get("type", "text")
        field: forms.Field
        if kind == "textarea":
            field = forms.CharField(label=label, required=required, max_length=5000, widget=forms.Textarea({"rows": 3}))
        elif kind == "number":
            field = forms.CharField(label=label, required=required, max_length=40)
            field.widget.attrs.update({"inputmode": "decimal", "dir": "ltr"})
        elif kind == "date":
            field = forms.CharField(label=label, required=required, max_length=20)
            date_input(field)
        elif kind == "choice":
            choices = [("", "—")] + [(c, c) for c in spec.get("choices", [])]
            field = forms.ChoiceField(label=label, required=required, choices=choices)
        elif kind == "yes_no":
            field = forms.ChoiceField(
                label=label, required=required, choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))]
            )
        else:
            field = forms.CharField(label=label, required=required, max_length=500)
        out[ANSWER_PREFIX + str(spec.get("key"))] = field
    return out


class TicketForm(ServiceErrors):
    """A new ticket (and, without customer and contact fields, the edit form)."""

    category = forms.ChoiceField(label=_("category"), required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=TicketKind.choices, initial=TicketKind.REQUEST)
    priority = forms.ChoiceField(
        label=_("priority"), required=False, choices=[("", _("As the category says")), *TicketPriority.choices]
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("description"), required=False, max_length=50_000, widget=forms.Textarea({"rows": 5})
    )
    channel = forms.ChoiceField(label=_("channel"), choices=TicketChannel.choices, initial=TicketChannel.PHONE)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact_name = forms.CharField(label=_("contact name"), required=False, max_length=200)
    contact_email = forms.CharField(label=_("contact e-mail"), required=False, max_length=254)
    contact_phone = forms.CharField(label=_("contact phone"), required=False, max_length=40)
    order = forms.ChoiceField(label=_("order"), required=False)
    contract = forms.ChoiceField(label=_("contract"), required=False)
    team = forms.ChoiceField(label=_("team"), required=False)
    assignee = forms.ChoiceField(label=_("assignee"), required=False)
    attachments = MultipleFileField(label=_("files"))

    def __init__(
        self,
        *args: Any,
        user: User,
        customer: Customer | None,
        category: TicketCategory | None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        set_choices(self, "category", category_choices())
        set_choices(
            self,
            "order",
            (
                [("", "—")]
                + [(str(o.pk), o.number) for o in Order.objects.filter(customer=customer).order_by("-id")[:100]]
                if customer
                else [("", "—")]
            ),
        )
        set_choices(
            self,
            "contract",
            (
                [("", "—")]
                + [
                    (str(c.pk), f"{c.number} {c.title}")
                    for c in Contract.objects.filter(customer=customer).order_by("-id")[:100]
                ]
                if customer
                else [("", "—")]
            ),
        )
        set_choices(self, "team", [("", _("Routing decides"))] + [(str(t.pk), str(t)) for t in teams_visible_to(user)])
        set_choices(
            self,
            "assignee",
            [("", _("Routing decides"))]
            + [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")],
        )
        if editing:
            for name in (
                "channel",
                "customer",
                "contact_name",
                "contact_email",
                "contact_phone",
                "team",
                "assignee",
                "attachments",
            ):
                del self.fields[name]
        self.fields.update(answer_fields(category))
        bootstrap_styled(self)

    @property
    def answer_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(ANSWER_PREFIX)]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {
            "kind": data["kind"],
            "subject": data["subject"],
            "description": data.get("description") or "",
            "category_id": int(data["category"]) if data.get("category") else None,
            "order_id": int(data["order"]) if data.get("order") else None,
            "contract_id": int(data["contract"]) if data.get("contract") else None,
            "fields": {
                name[len(ANSWER_PREFIX) :]: data[name] for name in self.answer_names if data.get(name) not in (None, "")
            },
        }
        if data.get("priority"):
            out["priority"] = data["priority"]
        if not self.editing:
            if data.get("customer"):
                out["customer_id"] = data["customer"]
            for name in ("contact_name", "contact_email", "contact_phone"):
                if data.get(name):
                    out[name] = data[name]
            if data.get("team"):
                out["team_id"] = int(data["team"])
            if data.get("assignee"):
                out["assignee_id"] = int(data["assignee"])
        return out


ACTIONS = (
    ("reply", _("Reply")),
    ("note", _("Internal note")),
    ("waiting", _("Reply and set waiting")),
    ("resolve", _("Reply and resolve")),
)


class MessageForm(ServiceErrors):
    action = forms.ChoiceField(choices=ACTIONS, initial="reply")
    body = forms.CharField(label=_("text"), max_length=50_000, widget=forms.Textarea({"rows": 5}))
    kb_article = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    attachments = MultipleFileField(label=_("files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)


class AssignForm(ServiceErrors):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    team = forms.ChoiceField(label=_("team"), required=False)
    assignee = forms.ChoiceField(label=_("assignee"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from peyvand.accounts.models import Team

        # Any team may be handed a ticket (a transfer); people only those the user may assign to.
        set_choices(self, "team", [("", _("Keep the team"))] + [(str(t.pk), str(t)) for t in Team.objects.all()])
        set_choices(
            self,
            "assignee",
            [("", _("Nobody (the team's queue)"))]
            + [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")],
        )
        bootstrap_styled(self)


class StatusForm(ServiceErrors):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label=_("status"), choices=TicketStatus.choices)
    resolution = forms.CharField(
        label=_("resolution"), required=False, max_length=10_000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)


class AttachmentForm(ServiceErrors):
    file = forms.FileField(label=_("file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_styled(self)


class CategoryForm(ServiceErrors):
    own_names = {"fields": "template"}

    name = forms.CharField(label=_("name"), max_length=120)
    name_en = forms.CharField(label=_("name in English"), max_length=120, required=False)
    parent = forms.ChoiceField(label=_("parent category"), required=False)
    position = forms.IntegerField(label=_("position"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    description = forms.CharField(
        label=_("description"), required=False, max_length=5000, widget=forms.Textarea({"rows": 2})
    )
    default_team = forms.ChoiceField(label=_("default team"), required=False)
    default_priority = forms.ChoiceField(
        label=_("default priority"), required=False, choices=[("", "—"), *TicketPriority.choices]
    )
    template = forms.CharField(
        label=_("fields to ask for"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea({"rows": 8, "dir": "ltr", "class": "font-monospace"}),
        help_text=_(
            'A JSON list, e.g. [{"key": "serial", "label": "سریال", "label_en": "Serial", "type": "text", '
            '"required": true}]. Types: text, textarea, number, date, choice (with "choices"), yes_no.'
        ),
    )

    def __init__(self, *args: Any, category: TicketCategory | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from peyvand.accounts.models import Team

        # Not under itself or one of its own sub-categories.
        set_choices(
            self,
            "parent",
            [("", _("(top level)"))]
            + [
                (str(c.pk), "— " * c.depth + c.label)
                for c in category_tree()
                if category is None or not c.path.startswith(category.path)
            ],
        )
        set_choices(self, "default_team", [("", "—")] + [(str(t.pk), str(t)) for t in Team.objects.all()])
        bootstrap_styled(self)

    def clean_template(self) -> Any:
        text = (self.cleaned_data.get("template") or "").strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError:
            raise ValidationError(_("This is not valid JSON.")) from None

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "name_en": data.get("name_en") or "",
            "parent_id": int(data["parent"]) if data.get("parent") else None,
            "position": data.get("position") or 0,
            "is_active": bool(data.get("is_active")),
            "description": data.get("description") or "",
            "default_team_id": int(data["default_team"]) if data.get("default_team") else None,
            "default_priority": data.get("default_priority") or "",
            "fields": data.get("template") or [],
        }
