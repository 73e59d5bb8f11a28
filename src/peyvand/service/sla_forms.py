"""Page forms of the SLA and working calendar pages: they collect what was typed; the services check it and
report back per field, as every page form does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Team
from peyvand.core.forms import bootstrap_styled
from peyvand.customers.models import LifecycleStage, Tier
from peyvand.sales.forms import JalaliDateField
from peyvand.service.models import (
    ClosedTicketReply,
    ServiceSettings,
    SlaPolicy,
    ThursdayHours,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
)
from peyvand.service.sla_services import MAX_CLOSE_AFTER_DAYS, MAX_TARGET_MINUTES

EMPTY = [("", "—")]
# The condition keys of a policy and the form fields that choose them.
CONDITION_FIELDS = {
    "priority": "priorities",
    "category": "categories",
    "kind": "kinds",
    "channel": "channels",
    "customer_tier": "tiers",
    "customer_stage": "stages",
}


class _ServiceErrors(forms.Form):
    # The services name a few fields as the API does; the forms name them as the page shows them.
    service_names: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        """Each of the services' field errors next to its field, the rest at the top of the form."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = self.service_names.get(key, key)
            self.add_error(name if name in self.fields else None, texts)


def _team_choices() -> list[tuple[str, str]]:
    return EMPTY + [(str(team.pk), "— " * team.depth + team.name) for team in Team.objects.order_by("path")]


class SlaPolicyForm(_ServiceErrors):
    service_names = {"escalate_to_id": "escalate_to", "conditions": "__all__"}

    name = forms.CharField(label=_("name"), max_length=120)
    first_response_minutes = forms.IntegerField(
        label=_("first response within (business minutes)"), min_value=1, max_value=MAX_TARGET_MINUTES
    )
    resolution_minutes = forms.IntegerField(
        label=_("resolution within (business minutes)"), min_value=1, max_value=MAX_TARGET_MINUTES
    )
    # xgettext:no-python-format
    warn_percent = forms.IntegerField(label=_("warn at (% of the time)"), min_value=1, max_value=99, initial=80)
    escalate_to = forms.ChoiceField(
        label=_("escalate to team"), required=False, help_text=_("On a breach the ticket moves to this team.")
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    priorities = forms.MultipleChoiceField(label=_("priority"), choices=TicketPriority.choices, required=False)
    categories = forms.MultipleChoiceField(
        label=_("category"), required=False, help_text=_("A category includes its sub-categories.")
    )
    kinds = forms.MultipleChoiceField(label=_("kind"), choices=TicketKind.choices, required=False)
    channels = forms.MultipleChoiceField(label=_("channel"), choices=TicketChannel.choices, required=False)
    tiers = forms.MultipleChoiceField(label=_("customer tier"), choices=Tier.choices, required=False)
    stages = forms.MultipleChoiceField(label=_("customer stage"), choices=LifecycleStage.choices, required=False)

    def __init__(self, data: Any = None, *, policy: SlaPolicy | None = None) -> None:
        initial: dict[str, Any] = {}
        if policy is not None:
            initial = {
                "name": policy.name,
                "first_response_minutes": policy.first_response_minutes,
                "resolution_minutes": policy.resolution_minutes,
                "warn_percent": policy.warn_percent,
                "escalate_to": str(policy.escalate_to_id or ""),
                "is_active": policy.is_active,
            }
            for key, field in CONDITION_FIELDS.items():
                initial[field] = [str(value) for value in (policy.conditions or {}).get(key, [])]
        super().__init__(data, initial=initial)
        self.fields["escalate_to"].choices = _team_choices()  # type: ignore[attr-defined]
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (str(category.pk), "— " * category.depth + category.label)
            for category in TicketCategory.objects.order_by("path")
        ]
        for field in CONDITION_FIELDS.values():
            self.fields[field].widget.attrs["size"] = "5"
        bootstrap_styled(self)

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in CONDITION_FIELDS.values()]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions: dict[str, list[Any]] = {}
        for key, field in CONDITION_FIELDS.items():
            values = data.get(field) or []
            if values:
                conditions[key] = [int(value) for value in values] if key == "category" else list(values)
        return {
            "name": data["name"],
            "first_response_minutes": data["first_response_minutes"],
            "resolution_minutes": data["resolution_minutes"],
            "warn_percent": data["warn_percent"],
            "escalate_to_id": int(data["escalate_to"]) if data.get("escalate_to") else None,
            "is_active": bool(data.get("is_active")),
            "conditions": conditions,
        }


class _TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M", attrs={"dir": "ltr"})


class ServiceSettingsForm(_ServiceErrors):
    service_names = {"default_team_id": "default_team"}

    day_starts = forms.TimeField(label=_("working day starts"), widget=_TimeInput())
    day_ends = forms.TimeField(label=_("working day ends"), widget=_TimeInput())
    thursday = forms.ChoiceField(label=_("Thursday"), choices=ThursdayHours.choices)
    thursday_ends = forms.TimeField(
        label=_("Thursday ends"), widget=_TimeInput(), help_text=_("When Thursday is until noon.")
    )
    default_team = forms.ChoiceField(
        label=_("default team"), required=False, help_text=_("Where a ticket goes when no rule and no category says.")
    )
    closed_ticket_reply = forms.ChoiceField(
        label=_("when a customer writes to a closed ticket"), choices=ClosedTicketReply.choices
    )
    close_resolved_after_days = forms.IntegerField(
        label=_("close resolved tickets after (days)"),
        min_value=0,
        max_value=MAX_CLOSE_AFTER_DAYS,
        help_text=_("0: never by itself."),
    )
    low_satisfaction = forms.IntegerField(label=_("low satisfaction score"), min_value=1, max_value=4)

    def __init__(self, data: Any = None, *, row: ServiceSettings) -> None:
        initial = {
            "day_starts": row.day_starts,
            "day_ends": row.day_ends,
            "thursday": row.thursday,
            "thursday_ends": row.thursday_ends,
            "default_team": str(row.default_team_id or ""),
            "closed_ticket_reply": row.closed_ticket_reply,
            "close_resolved_after_days": row.close_resolved_after_days,
            "low_satisfaction": row.low_satisfaction,
        }
        super().__init__(data, initial=initial)
        self.fields["default_team"].choices = _team_choices()  # type: ignore[attr-defined]
        bootstrap_styled(self)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        team = data.pop("default_team", "")
        data["default_team_id"] = int(team) if team else None
        return data


class HolidayForm(_ServiceErrors):
    date = JalaliDateField(label=_("date"))
    name = forms.CharField(label=_("name"), max_length=200)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.fields["date"].for_language()  # type: ignore[attr-defined]
        bootstrap_styled(self)


class DueTimeForm(forms.Form):
    """The due time calculator: a start (a Jalali date and a Tehran time) and a number of business minutes."""

    start_date = JalaliDateField(label=_("start date"))
    start_time = forms.TimeField(label=_("start time"), widget=_TimeInput(), initial=dt.time(15, 0))
    minutes = forms.IntegerField(label=_("business minutes"), min_value=0, max_value=MAX_TARGET_MINUTES, initial=120)

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, prefix="calc")
        self.fields["start_date"].for_language()  # type: ignore[attr-defined]
        bootstrap_styled(self)
