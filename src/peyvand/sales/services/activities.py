"""Writes to activities (tasks, calls, meetings): plan them against a customer, deal or lead, change, complete
and cancel them; a completed one becomes an interaction on the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.services import notify_user
from peyvand.customers.models import Customer, Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import interaction_create
from peyvand.sales.activity_selectors import activities_visible_to
from peyvand.sales.models import Activity, ActivityKind, ActivityStatus, Lead
from peyvand.sales.selectors import deals_visible_to, owned_visible_to, within_reach
from peyvand.sales.services._common import Errors, clean_line, clean_moment, clean_people, unknown_fields

# What a new activity may be given; PATCH takes the same fields.
FIELDS = {
    "kind",
    "subject",
    "notes",
    "due_at",
    "duration_minutes",
    "location",
    "customer_id",
    "deal_id",
    "lead_id",
    "assigned_to_id",
    "team_id",
    "remind_minutes_before",
}
# A week: longer than any meeting, short enough to catch a duration typed in seconds.
MAX_DURATION_MINUTES = 7 * 24 * 60
# Thirty days ahead is the furthest a reminder is useful.
MAX_REMIND_MINUTES = 30 * 24 * 60
MAX_NOTES = 20000
# How a done activity appears on the timeline: the channel it happened on, and whether it reached the customer.
TIMELINE_CHANNEL = {
    ActivityKind.CALL: (InteractionChannel.CALL, Direction.OUTBOUND),
    ActivityKind.MEETING: (InteractionChannel.MEETING, Direction.OUTBOUND),
    ActivityKind.TASK: (InteractionChannel.NOTE, Direction.INTERNAL),
}
# A completion time a little ahead of the server's clock is a clock skew, not a claim about the future.
CLOCK_SKEW = timedelta(minutes=5)


def _require_visible(activity: Activity, by: User) -> None:
    if not activities_visible_to(by).filter(pk=activity.pk).exists():
        raise Activity.DoesNotExist


def _whole_number(value: Any, *, field: str, low: int, high: int, errors: Errors) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, _("Enter a whole number."))
        return None
    if not low <= value <= high:
        errors.add(field, _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return None
    return value


def _clean_fields(data: Mapping[str, Any], by: User, errors: Errors) -> dict[str, Any]:
    """The fields given in `data`, checked and normalised (only those given, so PATCH is partial); the linked
    records come back as objects."""
    out: dict[str, Any] = {}
    if "kind" in data:
        if data["kind"] not in ActivityKind.values:
            errors.add("kind", _("Choose a task, a call or a meeting."))
        else:
            out["kind"] = data["kind"]
    if "subject" in data:
        out["subject"] = clean_line(data["subject"], model=Activity, field="subject", errors=errors)
        if not out["subject"]:
            errors.add("subject", _("This field is required."))
    if "notes" in data:
        out["notes"] = str(data["notes"] or "").strip()
        if len(out["notes"]) > MAX_NOTES:
            errors.add("notes", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_NOTES})
    if "location" in data:
        out["location"] = clean_line(data["location"] or "", model=Activity, field="location", errors=errors)
    if "due_at" in data:
        out["due_at"] = clean_moment(data["due_at"], errors, "due_at")
        if data["due_at"] is None:
            errors.add("due_at", _("Say when it is due."))
    if "duration_minutes" in data:
        out["duration_minutes"] = _whole_number(
            data["duration_minutes"], field="duration_minutes", low=1, high=MAX_DURATION_MINUTES, errors=errors
        )
    if "remind_minutes_before" in data:
        out["remind_minutes_before"] = _whole_number(
            data["remind_minutes_before"], field="remind_minutes_before", low=0, high=MAX_REMIND_MINUTES, errors=errors
        )
    if "customer_id" in data:
        out["customer"] = None
        if data["customer_id"] is not None:
            out["customer"] = customers_visible_to(by).filter(pk=data["customer_id"]).first()
            if out["customer"] is None:
                # The same answer for a customer that does not exist and one the caller may not see.
                errors.add("customer_id", _("No such customer."))
    if "deal_id" in data:
        out["deal"] = None
        if data["deal_id"] is not None:
            out["deal"] = deals_visible_to(by).select_related("customer").filter(pk=data["deal_id"]).first()
            if out["deal"] is None:
                errors.add("deal_id", _("No such deal."))
    if "lead_id" in data:
        out["lead"] = None
        if data["lead_id"] is not None:
            out["lead"] = owned_visible_to(Lead.objects.all(), by).filter(pk=data["lead_id"]).first()
            if out["lead"] is None:
                errors.add("lead_id", _("No such lead."))
    # The assignee and team follow the owner and team rules of every sales record.
    people: dict[str, Any] = {}
    if "assigned_to_id" in data:
        if data["assigned_to_id"] is None:
            errors.add("assigned_to_id", _("Someone must be responsible for it."))
        else:
            clean_people({"owner_id": data["assigned_to_id"]}, by, errors, people)
            if "owner_id" in people:
                out["assigned_to_id"] = people["owner_id"]
            else:
                errors.fields["assigned_to_id"] = errors.fields.pop("owner_id", [])
    if "team_id" in data:
        clean_people({"team_id": data["team_id"]}, by, errors, people)
        if "team_id" in people:
            out["team_id"] = people["team_id"]
    return out


def _link(activity: Activity, errors: Errors) -> None:
    """A deal is its customer's: an activity on a deal is on that customer too, and never on another one."""
    deal = activity.deal
    if deal is None:
        return
    if activity.customer_id is None:
        activity.customer = deal.customer
    elif activity.customer_id != deal.customer_id:
        errors.add("deal_id", _("This deal belongs to another customer."))


def _schedule_reminder(activity: Activity) -> None:
    """Keep `remind_at` in step with the due time; a new reminder time is a new reminder, owed again."""
    minutes = activity.remind_minutes_before
    remind_at = activity.due_at - timedelta(minutes=minutes) if minutes is not None and activity.due_at else None
    if remind_at != activity.remind_at:
        activity.remind_at = remind_at
        activity.reminded_at = None


def _check_reach(by: User, activity: Activity, errors: Errors) -> None:
    # As with deals: a member of staff may hand an activity to a colleague, but not out of their own sight.
    if not within_reach(by, owner_id=activity.assigned_to_id, team_id=activity.team_id):
        errors.add(
            "assigned_to_id", _("This would put the activity out of your reach: keep yourself or your team on it.")
        )


def _team_of(assignee_id: int, by: User) -> int | None:
    """An activity sits with its assignee's team (that is whose calendar it is on), else the caller's."""
    team = User.objects.filter(pk=assignee_id).values_list("team_id", flat=True).first()
    return team if team is not None else by.team_id


def _tell_assignee(activity: Activity, by: User) -> None:
    """Someone given an activity by a colleague hears of it in the page (the reminder comes later by e-mail)."""
    if activity.assigned_to_id == by.pk:
        return
    assignee = User.objects.get(pk=activity.assigned_to_id)
    notify_user(
        user=assignee,
        kind="activity_assigned",
        title=_("%(name)s gave you an activity: %(subject)s") % {"name": str(by), "subject": activity.subject},
        body=activity.notes[:500],
        url=reverse("sales:activity_detail", args=[activity.pk]),
    )


@transaction.atomic
def activity_create(*, by: User, data: Mapping[str, Any]) -> Activity:
    """Plan a task, call or meeting for the caller or someone they may assign to, against a customer, deal or
    lead the caller can see (or none: a task of one's own). The assignee's reminder is set
    PEYVAND_REMINDER_MINUTES before the due time unless `remind_minutes_before` says otherwise (None: none)."""
    errors = Errors()
    unknown_fields(data, FIELDS, errors)
    given = dict(data)
    given.setdefault("kind", ActivityKind.TASK)
    given.setdefault("subject", "")
    given.setdefault("due_at", None)
    given.setdefault("assigned_to_id", by.pk)
    given.setdefault("remind_minutes_before", settings.PEYVAND_REMINDER_MINUTES)
    values = _clean_fields(given, by, errors)
    errors.raise_if_any()
    if "team_id" not in given:
        values["team_id"] = _team_of(values["assigned_to_id"], by)
    activity = Activity(created_by=by, status=ActivityStatus.PLANNED, **values)
    _link(activity, errors)
    _check_reach(by, activity, errors)
    errors.raise_if_any()
    _schedule_reminder(activity)
    activity.save()
    _tell_assignee(activity, by)
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, by: User, data: Mapping[str, Any]) -> Activity:
    """Change a planned activity the caller can see; a done or cancelled one is history and stays as it was."""
    _require_visible(activity, by)
    errors = Errors()
    unknown_fields(data, FIELDS, errors)
    errors.raise_if_any()
    activity = Activity.objects.select_for_update(of=("self",)).select_related("deal").get(pk=activity.pk)
    if activity.status != ActivityStatus.PLANNED:
        errors.add("status", _("A done or cancelled activity cannot be changed."))
        errors.raise_if_any()
    previous_assignee = activity.assigned_to_id
    values = _clean_fields(data, by, errors)
    errors.raise_if_any()
    if "assigned_to_id" in values and "team_id" not in values and values["assigned_to_id"] != previous_assignee:
        values["team_id"] = _team_of(values["assigned_to_id"], by)
    for field, value in values.items():
        setattr(activity, field, value)
    if "deal" in values and values["deal"] is not None and "customer" not in values:
        # Moved to another deal: it follows the deal to its customer.
        activity.customer = values["deal"].customer
    _link(activity, errors)
    if "assigned_to_id" in values or "team_id" in values:
        _check_reach(by, activity, errors)
    errors.raise_if_any()
    _schedule_reminder(activity)
    activity.save()
    if activity.assigned_to_id != previous_assignee:
        _tell_assignee(activity, by)
    return activity


def _timeline_customer(activity: Activity) -> Customer | None:
    """Whose timeline a done activity goes on: its customer's, or, for a lead's, the customer the lead became."""
    if activity.customer is not None:
        return activity.customer
    lead = activity.lead
    if lead is not None and lead.converted_customer_id is not None:
        return lead.converted_customer
    return None


def _claim(activity: Activity, by: User, status: str, **fields: Any) -> Activity:
    """Move a planned activity to `status` only if it is still planned: of two people completing it at once,
    one wins and the other is told it is done already (on SQLite too, where rows are not locked)."""
    _require_visible(activity, by)
    now = timezone.now()
    moved = Activity.objects.filter(pk=activity.pk, status=ActivityStatus.PLANNED).update(
        status=status, updated_at=now, **fields
    )
    if moved != 1:
        errors = Errors()
        errors.add("status", _("This activity is done or cancelled already."))
        errors.raise_if_any()
    activity.refresh_from_db()
    return activity


@transaction.atomic
def activity_complete(
    *, activity: Activity, by: User, outcome: str = "", completed_at: datetime | None = None
) -> Activity:
    """Mark an activity done, with what came of it; the call, meeting or task goes on the customer's timeline
    (a lead's activity only once the lead is a customer: the conversion takes its activities along)."""
    errors = Errors()
    text = str(outcome or "").strip()
    if len(text) > MAX_NOTES:
        errors.add("outcome", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_NOTES})
    when = clean_moment(completed_at, errors, "completed_at") if completed_at is not None else timezone.now()
    if when is not None and when > timezone.now() + CLOCK_SKEW:
        errors.add("completed_at", _("It cannot be done in the future."))
    errors.raise_if_any()
    activity = _claim(activity, by, ActivityStatus.DONE, completed_at=when, outcome=text)
    customer = _timeline_customer(activity)
    if customer is not None:
        channel, direction = TIMELINE_CHANNEL[ActivityKind(activity.kind)]
        interaction = interaction_create(
            customer=customer,
            by=by,
            channel=channel,
            direction=direction,
            subject=activity.subject,
            body=text,
            occurred_at=when,
            duration_seconds=activity.duration_minutes * 60 if activity.duration_minutes else None,
            related=activity,
            # The caller's right to the activity was checked; its customer may be out of their own sight.
            check_visible=False,
        )
        activity.interaction = interaction
        activity.save(update_fields=["interaction", "updated_at"])
    return activity


@transaction.atomic
def activity_cancel(*, activity: Activity, by: User, reason: str = "") -> Activity:
    """Call off a planned activity; it leaves the agenda and calendar and sends no reminder. A reason given is
    kept as its outcome."""
    text = str(reason or "").strip()
    if len(text) > MAX_NOTES:
        errors = Errors()
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_NOTES})
        errors.raise_if_any()
    return _claim(activity, by, ActivityStatus.CANCELLED, outcome=text)
