"""Page forms for activities: they collect what was typed (a Jalali day and a time); the services validate it
and report back per field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import users_visible_to
from peyvand.core.forms import bootstrap_styled, date_input_text
from peyvand.sales.forms import EMPTY, JalaliDateField, ServiceErrorsForm
from peyvand.sales.models import Activity, ActivityKind

NO_REMINDER = "none"
# Minutes before the due time a reminder can be set to on the page (the API takes any number).
REMINDER_CHOICES = [
    (NO_REMINDER, _("No reminder")),
    ("0", _("When it is due")),
    ("5", _("5 minutes before")),
    ("15", _("15 minutes before")),
    ("30", _("30 minutes before")),
    ("60", _("1 hour before")),
    ("120", _("2 hours before")),
    ("1440", _("1 day before")),
]
# The services name the due time `due_at`; the page asks for its day and its time.
FIELD_NAMES = {"due_at": "due_date"}


class ActivityForm(ServiceErrorsForm):
    kind = forms.ChoiceField(label=_("kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("subject"), max_length=200)
    due_date = JalaliDateField(label=_("day"))
    due_time = forms.TimeField(
        label=_("time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    duration_minutes = forms.IntegerField(label=_("duration (minutes)"), required=False, min_value=1)
    location = forms.CharField(label=_("place"), max_length=200, required=False)
    assigned_to_id = forms.ChoiceField(label=_("assigned to"))
    remind = forms.ChoiceField(label=_("reminder"), choices=REMINDER_CHOICES, required=False)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, data: Any = None, *, user: User, activity: Activity | None = None, kind: str | None = None
    ) -> None:
        self.user = user
        self.activity = activity
        initial = self._initial(user, activity)
        if activity is None and kind in ActivityKind.values:
            # "Plan a call" and "Plan a meeting" open the form with their kind chosen.
            initial["kind"] = kind
        super().__init__(data, initial=initial)
        people = [(str(u.pk), str(u)) for u in users_visible_to(user).order_by("first_name", "last_name", "username")]
        if str(user.pk) not in dict(people):
            people.insert(0, (str(user.pk), str(user)))
        if activity is not None and str(activity.assigned_to_id) not in dict(people):
            people.append((str(activity.assigned_to_id), str(activity.assigned_to)))
        field = self.fields["assigned_to_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = EMPTY + people
        due = self.fields["due_date"]
        assert isinstance(due, JalaliDateField)
        due.for_language()
        bootstrap_styled(self)

    @staticmethod
    def _initial(user: User, activity: Activity | None) -> dict[str, Any]:
        if activity is None:
            # A new one: tomorrow at ten by default, the site's usual reminder.
            start = timezone.localtime() + dt.timedelta(days=1)
            return {
                "kind": ActivityKind.TASK,
                "due_date": date_input_text(start.date()),
                "due_time": "10:00",
                "assigned_to_id": user.pk,
                "remind": str(settings.PEYVAND_REMINDER_MINUTES),
            }
        due = timezone.localtime(activity.due_at)
        minutes = activity.remind_minutes_before
        return {
            "kind": activity.kind,
            "subject": activity.subject,
            "due_date": date_input_text(due.date()),
            "due_time": due.strftime("%H:%M"),
            "duration_minutes": activity.duration_minutes,
            "location": activity.location,
            "assigned_to_id": activity.assigned_to_id,
            "remind": NO_REMINDER if minutes is None else str(minutes),
            "notes": activity.notes,
        }

    def add_service_errors(self, error: Any) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, texts in messages.items():
            name = FIELD_NAMES.get(key, key)
            if name == "remind_minutes_before":
                name = "remind"
            self.add_error(name if name in self.fields else None, texts)

    def due_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("due_date")
        if day is None:
            return None
        # A day without a time: the start of the working day, in the company's time zone.
        moment = self.cleaned_data.get("due_time") or dt.time(9, 0)
        return timezone.make_aware(dt.datetime.combine(day, moment))

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        remind = data.get("remind") or NO_REMINDER
        chosen = data.get("assigned_to_id")
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "due_at": self.due_at(),
            "duration_minutes": data.get("duration_minutes"),
            "location": data.get("location") or "",
            "assigned_to_id": int(chosen) if chosen else None,
            "remind_minutes_before": None if remind == NO_REMINDER else int(remind),
            "notes": data.get("notes") or "",
        }


class ActivityCompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("outcome"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        bootstrap_styled(self)
