"""Routing: which team a new ticket goes to and whom it is assigned to (rules, then the category's default team,
then the default queue)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from peyvand.accounts.models import Team, User
from peyvand.service.conditions import TicketFacts, compile_conditions
from peyvand.service.models import OPEN_STATUSES, AssignmentPolicy, RoundRobinCursor, RoutingRule, Ticket
from peyvand.service.services.settings import service_settings

__all__ = [
    "RoutingDecision",
    "RoutingTable",
    "TableRule",
    "route_ticket",
    "routing_table",
    "routing_table_changed",
]

# Why a decision went the way it did (RoutingDecision.reason).
REASON_RULE = "rule"
REASON_CATEGORY = "category"
REASON_CHANNEL = "channel"
REASON_DEFAULT_QUEUE = "default_queue"
REASON_NONE = "none"

# What happened to the assignment (RoutingDecision.note); empty when the policy did what it says.
NOTE_NO_ACCOUNT_MANAGER = "account_manager_unavailable"  # fell back to round robin
NOTE_NO_MEMBERS = "no_active_members"  # nobody to give it to: left in the team's queue


@dataclass(frozen=True)
class RoutingDecision:
    team: Team | None
    assignee: User | None
    rule: RoutingRule | None
    # Why: "rule", "category", "channel", "default_queue", "none".
    reason: str
    # The policy that chose the assignee ("" without a rule), and what got in its way ("" when nothing did).
    policy: str = ""
    note: str = ""


# --- the compiled rules -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableRule:
    id: int
    name: str
    team_id: int
    policy: str
    set_priority: str
    match: Callable[[TicketFacts], bool]


class RoutingTable:
    """The active rules, in position order, each compiled once to one function of a ticket's facts."""

    def __init__(self, rules: Iterable[RoutingRule]) -> None:
        self.rules: tuple[TableRule, ...] = tuple(
            TableRule(
                id=rule.pk,
                name=rule.name,
                team_id=rule.team_id,
                policy=rule.policy,
                set_priority=rule.set_priority,
                match=compile_conditions(rule.conditions or {}),
            )
            for rule in rules
        )

    def first_match(self, facts: TicketFacts) -> TableRule | None:
        for rule in self.rules:
            if rule.match(facts):
                return rule
        return None

    def __len__(self) -> int:
        return len(self.rules)


_VERSION_KEY = "service:routing:version"
_memo_lock = threading.Lock()
_memo: tuple[tuple[object, ...], RoutingTable] | None = None


def routing_table_changed() -> None:
    """Called by every service that changes a rule: the next ticket compiles the table afresh."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)


def routing_table() -> RoutingTable:
    """The compiled table of the active rules, compiled again only when the rules changed.

    The key holds the version the rule services bump in the cache, and a fingerprint of the rules read from
    the database (how many, the latest change, the highest id). The cache is per process, so another process
    (a worker, a second web server) that changed a rule shows here only through the database; and a table
    trusted for a while without looking would route by a rule an administrator has just switched off. The
    fingerprint is one indexed aggregate over a few hundred rows at most (well under a millisecond)."""
    global _memo
    stamp = RoutingRule.objects.aggregate(count=Count("id"), last=Max("updated_at"), top=Max("id"))
    key = (cache.get(_VERSION_KEY, 0), stamp["count"], stamp["last"], stamp["top"])
    memo = _memo
    if memo is not None and memo[0] == key:
        return memo[1]
    with _memo_lock:
        table = RoutingTable(RoutingRule.objects.filter(is_active=True).order_by("position", "id"))
        _memo = (key, table)
    return table


# --- routing ------------------------------------------------------------------------------------------------


def route_ticket(
    ticket: Ticket,
    *,
    now: datetime | None = None,
    table: RoutingTable | None = None,
    channel_team: Team | None = None,
) -> RoutingDecision:
    """Decide `ticket`'s team and assignee and set them (and routed_by, and the priority a rule sets) on the
    instance without saving it. The caller saves, in its transaction, and writes the history.

    The first active rule in position order whose conditions match wins. Without one, the ticket goes to its
    category's default team, else to `channel_team` (the team of the mailbox or web form it came through), else
    to the desk's default team (the default queue), else to no team at all.
    Round robin moves the team's cursor (a row lock), so call it inside the transaction that saves the ticket.
    `now` is not needed by the rules today; `table` lets a caller routing many tickets pass one it holds."""
    del now
    table = table if table is not None else routing_table()
    matched = table.first_match(TicketFacts.of(ticket))
    if matched is None:
        return _route_by_default(ticket, channel_team)
    rule = RoutingRule.objects.select_related("team").filter(pk=matched.id).first()
    if rule is None:  # deleted since the table was compiled
        return _route_by_default(ticket, channel_team)
    team = rule.team
    assignee, policy, note = _assign(matched.policy, team=team, ticket=ticket)
    ticket.team = team
    ticket.assignee = assignee
    ticket.routed_by = rule
    if matched.set_priority:
        ticket.priority = matched.set_priority
    return RoutingDecision(team=team, assignee=assignee, rule=rule, reason=REASON_RULE, policy=policy, note=note)


def _route_by_default(ticket: Ticket, channel_team: Team | None = None) -> RoutingDecision:
    category = ticket.category if ticket.category_id else None
    team = category.default_team if category is not None and category.default_team_id else None
    reason = REASON_CATEGORY
    if team is None and channel_team is not None:
        team, reason = channel_team, REASON_CHANNEL
    if team is None:
        team = service_settings().default_team
        reason = REASON_DEFAULT_QUEUE if team is not None else REASON_NONE
    ticket.team = team
    ticket.routed_by = None
    return RoutingDecision(team=team, assignee=None, rule=None, reason=reason)


def _assign(policy: str, *, team: Team, ticket: Ticket) -> tuple[User | None, str, str]:
    """(assignee, the policy that chose them, note)."""
    if policy == AssignmentPolicy.QUEUE:
        return None, policy, ""
    if policy == AssignmentPolicy.ACCOUNT_MANAGER:
        owner = _account_manager(team=team, ticket=ticket)
        if owner is not None:
            return owner, policy, ""
        user = _round_robin(team)
        return user, AssignmentPolicy.ROUND_ROBIN, NOTE_NO_ACCOUNT_MANAGER if user else NOTE_NO_MEMBERS
    user = _least_loaded(team) if policy == AssignmentPolicy.LEAST_LOADED else _round_robin(team)
    return user, policy, "" if user else NOTE_NO_MEMBERS


def _members(team: Team) -> Q:
    return Q(team_id=team.pk, is_active=True)


def _account_manager(*, team: Team, ticket: Ticket) -> User | None:
    """The customer's owner when they are active and work in the team or one of its sub-teams."""
    customer = ticket.customer if ticket.customer_id else None
    if customer is None or not customer.owner_id:
        return None
    owner = User.objects.select_related("team").filter(pk=customer.owner_id, is_active=True).first()
    if owner is None or owner.team is None or not owner.team.path.startswith(team.path or "\0"):
        return None
    return owner


def _round_robin(team: Team) -> User | None:
    """The next active member after the one the team's cursor names, by id (wrapping round), and the cursor
    moved to them. The cursor row is locked (and on SQLite the write taken first), so two tickets routed at
    once wait for each other instead of both going to the same person."""
    with transaction.atomic():
        cursor = _locked_cursor(team)
        members = User.objects.filter(_members(team)).order_by("id")
        last = cursor.last_user_id or 0
        user = members.filter(id__gt=last).first() or members.first()
        if user is not None and user.pk != cursor.last_user_id:
            cursor.last_user = user
            cursor.save(update_fields=["last_user", "updated_at"])
    return user


def _locked_cursor(team: Team) -> RoundRobinCursor:
    # The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before anything is read; a
    # plain SELECT … FOR UPDATE is not enough on SQLite, where two readers could both see the old cursor.
    if not RoundRobinCursor.objects.filter(team_id=team.pk).update(team_id=team.pk):
        try:
            with transaction.atomic():
                RoundRobinCursor.objects.create(team=team)
        except IntegrityError:
            pass  # made meanwhile by the other ticket; locked below
    return RoundRobinCursor.objects.select_for_update().get(team_id=team.pk)


def _least_loaded(team: Team) -> User | None:
    """The active member with the fewest open tickets (wherever those are), ties to the lowest id."""
    return (
        User.objects.filter(_members(team))
        .annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
        .order_by("load", "id")
        .first()
    )
