"""Satisfaction (CSAT): the question sent when a ticket is resolved, the answer by link, and what a low score
sets off (a follow-up task for the team's manager)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.accounts.services import notify_user
from peyvand.core.text import clean_text
from peyvand.sales.models import Activity, ActivityKind, ActivityStatus
from peyvand.service.models import Ticket, TicketSatisfaction

__all__ = [
    "MAX_COMMENT",
    "SCORES",
    "FeedbackWindow",
    "answer_window",
    "feedback_link",
    "satisfaction_answer",
    "satisfaction_request",
]

logger = logging.getLogger(__name__)

SCORES = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000
# 32 bytes of randomness, 43 URL-safe characters: a link nobody can guess, within the column's 64.
TOKEN_BYTES = 32


def _answer_days() -> int:
    return int(getattr(settings, "PEYVAND_SATISFACTION_DAYS", 7))


def feedback_link(token: str) -> str:
    """The answer page's address: absolute when the site says where it is (PEYVAND_SITE_URL), else the path."""
    path = reverse("service:feedback", args=[token])
    base = str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")
    return base + path


def satisfaction_request(ticket: Ticket) -> TicketSatisfaction | None:
    """On resolve: make the ticket's satisfaction row (a token for the link; agent, team and category as they
    are now) and send the question. Once per ticket; a reopened and again resolved ticket asks again: the
    earlier answer is cleared and a new link replaces the old one. Asking twice for one resolution sends
    nothing the second time."""
    # Imported here: the ticket services, which the desk's other modules import, call this module.
    from peyvand.service.notify import notify_customer
    from peyvand.service.services.history import ticket_event

    with transaction.atomic():
        row = TicketSatisfaction.objects.select_for_update().filter(ticket=ticket).first()
        resolved_at = Ticket.objects.filter(pk=ticket.pk).values_list("resolved_at", flat=True).first()
        if row is not None and resolved_at is not None and row.created_at >= resolved_at:
            # Asked already for this resolution (the ticket services and a rule may both ask): once is enough.
            return row
        again = row is not None
        if row is None:
            row = TicketSatisfaction(ticket=ticket)
        row.token = secrets.token_urlsafe(TOKEN_BYTES)
        row.score = None
        row.comment = ""
        row.answered_at = None
        row.follow_up = None
        row.agent_id = ticket.assignee_id
        row.team_id = ticket.team_id
        row.category_id = ticket.category_id
        row.save()
        if again:
            # The question is new: its answer window starts now, as for a first one.
            TicketSatisfaction.objects.filter(pk=row.pk).update(created_at=timezone.now())
            row.refresh_from_db(fields=["created_at"])
        ticket_event(ticket, "satisfaction", data={"asked": True, "again": again})
    try:
        notify_customer(ticket=ticket, template="ticket_satisfaction", extra={"link": feedback_link(row.token)})
    except Exception:
        # Called once the resolution is committed: a notice that cannot go out must not turn the resolve into an
        # error page. The row stands, and the ticket page shows the question as asked.
        logger.exception("Sending the satisfaction question of ticket %s failed", ticket.pk)
    return row


@dataclass(frozen=True)
class FeedbackWindow:
    """Until when a question may be answered (and an answer changed)."""

    closes_at: datetime

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.closes_at


def answer_window(row: TicketSatisfaction) -> FeedbackWindow:
    """A question takes answers for PEYVAND_SATISFACTION_DAYS (7) days after it was sent; within them the
    customer may change their answer, after them the link only says thank you."""
    return FeedbackWindow(closes_at=row.created_at + timedelta(days=_answer_days()))


def _clean_score(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    return value


def _follow_up_owner(row: TicketSatisfaction, ticket: Ticket) -> User | None:
    """Who takes up a low score: a manager of the team (the nearest above it when it has none), else the agent
    who handled the ticket, else an administrator."""
    team = row.team or ticket.team
    if team is not None:
        ids = [int(part) for part in team.path.strip("/").split("/") if part.isdigit()] or [team.pk]
        for team_id in reversed(ids):
            manager = User.objects.filter(team_id=team_id, role=Role.MANAGER, is_active=True).order_by("id").first()
            if manager is not None:
                return manager
    for user_id in (ticket.assignee_id, row.agent_id):
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is not None:
                return user
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()


def _next_working_day_end(now: datetime) -> datetime:
    """The close of the next working day after today (Tehran time): the follow-up is due then."""
    from peyvand.service.calendar import working_calendar

    calendar = working_calendar()
    day = now.astimezone(calendar.zone).date()
    for _step in range(60):
        day += timedelta(days=1)
        hours = calendar.hours_of(day)
        if hours is not None:
            return hours[1]
    return now + timedelta(days=1)


def _make_follow_up(row: TicketSatisfaction, ticket: Ticket, now: datetime) -> Activity | None:
    """A task for whoever takes up a low score. Made directly rather than through activity_create: the
    customer, not a member of staff, set it off, so there is no caller whose reach to check."""
    owner = _follow_up_owner(row, ticket)
    if owner is None:
        return None
    due_at = _next_working_day_end(now)
    minutes = settings.PEYVAND_REMINDER_MINUTES
    activity = Activity.objects.create(
        kind=ActivityKind.TASK,
        subject=_("Low satisfaction (%(score)s of 5) on ticket %(number)s")
        % {"score": row.score, "number": ticket.number},
        notes=_("Call the customer, find out what went wrong and put it right.")
        + (f"\n\n{row.comment}" if row.comment else ""),
        due_at=due_at,
        status=ActivityStatus.PLANNED,
        customer=ticket.customer,
        related_type=ContentType.objects.get_for_model(Ticket),
        related_id=str(ticket.pk),
        assigned_to=owner,
        team_id=owner.team_id or row.team_id,
        remind_minutes_before=minutes,
        remind_at=due_at - timedelta(minutes=minutes) if minutes is not None else None,
    )
    notify_user(
        user=owner,
        kind="satisfaction_low",
        title=_("A customer gave ticket %(number)s %(score)s of 5") % {"number": ticket.number, "score": row.score},
        body=row.comment[:500],
        url=reverse("sales:activity_detail", args=[activity.pk]),
    )
    return activity


@transaction.atomic
def satisfaction_answer(
    *, token: str, score: object, comment: str = "", now: datetime | None = None
) -> TicketSatisfaction:
    """The customer's answer by link: a score of 1 to 5 and a comment. Answering again within the window
    changes the answer. A score at or below the desk's "low satisfaction" setting makes a follow-up task (once
    per question) and both go into the ticket's history. An unknown token: TicketSatisfaction.DoesNotExist."""
    from peyvand.service.services.history import ticket_event
    from peyvand.service.services.settings import service_settings

    now = now or timezone.now()
    row = (
        TicketSatisfaction.objects.select_for_update(of=("self",))
        .select_related("ticket", "team")
        .get(token=str(token)[:64])
    )
    value = _clean_score(score)
    text = clean_text(str(comment or "")).strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError(
            {"comment": [_("This is too long: at most %(limit)d characters.") % {"limit": MAX_COMMENT}]}
        )
    if not answer_window(row).is_open(now):
        raise ValidationError({"score": [_("This question is closed; thank you all the same.")]})
    previous = row.score
    row.score = value
    row.comment = text
    row.answered_at = now
    ticket = row.ticket
    low = value <= service_settings().low_satisfaction
    if low and row.follow_up_id is None:
        row.follow_up = _make_follow_up(row, ticket, now)
    row.save(update_fields=["score", "comment", "answered_at", "follow_up", "updated_at"])
    data: dict[str, object] = {"score": value, "from": previous}
    if text:
        data["comment"] = text[:500]
    if low and row.follow_up_id is not None:
        data["follow_up"] = row.follow_up_id
    ticket_event(ticket, "satisfaction", data=data)
    return row
