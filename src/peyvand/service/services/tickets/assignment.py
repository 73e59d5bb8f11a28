"""Who works on a ticket: which team holds it and who of it is assigned, within the caller's reach."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.sales.services._common import Errors
from peyvand.service.models import Ticket, TicketStatus
from peyvand.service.services.history import ticket_event
from peyvand.service.services.tickets.common import locked, notify_later, require_visible, save_versioned


def _id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Team | User):
        return int(value.pk)
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 19 else -1


def check_assignment(
    *, by: User, team_id: Any, assignee_id: Any, current_team: Team | None, errors: Errors
) -> tuple[Team | None, User | None]:
    """The team and the assignee `by` asks for, checked: the assignee is an active member of the team (or of
    one of its sub-teams) and someone `by` may assign to; a team outside `by`'s reach may be given the ticket
    (a transfer to another desk) but not with one of its people chosen for it. No team given: the current one,
    or the assignee's own."""
    team: Team | None = current_team
    wanted_team = _id(team_id)
    if wanted_team is not None:
        team = Team.objects.filter(pk=wanted_team).first() if wanted_team > 0 else None
        if team is None:
            errors.add("team_id", _("No such team."))
            return None, None
    assignee: User | None = None
    wanted_user = _id(assignee_id)
    if wanted_user is not None:
        assignee = User.objects.filter(pk=wanted_user, is_active=True).select_related("team").first()
        if assignee is None or not (
            by.is_admin_role or assignee.pk == by.pk or users_visible_to(by).filter(pk=assignee.pk).exists()
        ):
            errors.add("assignee_id", _("No such user, or not one you can assign to."))
            return team, None
        if team is None:
            team = assignee.team
        elif assignee.team is None or not assignee.team.path.startswith(team.path):
            errors.add("assignee_id", _("This person is not a member of the ticket's team."))
    if (
        assignee is not None
        and team is not None
        and not by.is_admin_role
        and team.pk != by.team_id
        and not teams_visible_to(by).filter(pk=team.pk).exists()
    ):
        errors.add("team_id", _("You can hand the ticket to another team, but its people are theirs to choose."))
    return team, assignee


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    by: User,
    version: int,
    team: Team | int | None = None,
    assignee: User | int | None = None,
) -> Ticket:
    """Give a ticket the caller can see to a team (None: keep its team) and one of its people (None: nobody, back
    to the team's queue). A new ticket becomes assigned; the customer hears who took it."""
    require_visible(ticket, by)
    ticket = locked(ticket, version=version)
    errors = Errors()
    current = Team.objects.filter(pk=ticket.team_id).first() if ticket.team_id else None
    new_team, new_assignee = check_assignment(
        by=by, team_id=team, assignee_id=assignee, current_team=current, errors=errors
    )
    errors.raise_if_any()
    before = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    ticket.team = new_team
    ticket.assignee = new_assignee
    fields = ["team", "assignee"]
    old_status = ticket.status
    if new_assignee is not None and ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.ASSIGNED
    elif new_assignee is None and ticket.status == TicketStatus.ASSIGNED:
        ticket.status = TicketStatus.NEW
    if ticket.status != old_status:
        fields.append("status")
    save_versioned(ticket, fields=fields)
    after = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    ticket_event(ticket, "assigned", by=by, data={"from": before, "to": after})
    if ticket.status != old_status:
        ticket_event(ticket, "status", by=by, data={"from": old_status, "to": ticket.status})
    if new_assignee is not None and before["assignee"] != new_assignee.pk:
        notify_later(ticket, "ticket_assigned")
    return ticket
