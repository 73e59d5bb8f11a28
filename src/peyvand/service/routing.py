"""Routing: which team a new ticket goes to and whom it is assigned to (rules, then the category's default team,
then the default queue). OWNED BY THE ROUTING WORK: the interface below is fixed, the body is to be completed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peyvand.accounts.models import Team, User
from peyvand.service.models import RoutingRule, Ticket
from peyvand.service.services.settings import service_settings


@dataclass(frozen=True)
class RoutingDecision:
    team: Team | None
    assignee: User | None
    rule: RoutingRule | None
    # Why: "rule", "category", "default_queue", "none".
    reason: str


def route_ticket(ticket: Ticket, *, now: datetime | None = None) -> RoutingDecision:
    """Decide `ticket`'s team and assignee and set them (and routed_by, and the priority a rule sets) on the
    instance without saving it. The caller saves, in its transaction, and writes the history."""
    category = ticket.category if ticket.category_id else None
    team = category.default_team if category and category.default_team_id else None
    reason = "category" if team else "default_queue"
    if team is None:
        team = service_settings().default_team
        reason = "default_queue" if team else "none"
    ticket.team = team
    return RoutingDecision(team=team, assignee=None, rule=None, reason=reason)
