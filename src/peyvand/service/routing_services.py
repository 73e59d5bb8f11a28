"""Routing rules: an administrator adds, changes, orders and removes them; a rule is checked whole on save
(a malformed one is refused with the reason), and a sample ticket can be tried against the rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.conditions import TicketFacts, conditions_explain
from peyvand.service.models import (
    AssignmentPolicy,
    RoutingRule,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
)
from peyvand.service.ordering import position_next, positions_reorder
from peyvand.service.routing import (
    REASON_CATEGORY,
    REASON_DEFAULT_QUEUE,
    REASON_NONE,
    REASON_RULE,
    RoutingTable,
    routing_table_changed,
)
from peyvand.service.rule_fields import rule_fields_clean
from peyvand.service.services.settings import service_settings

__all__ = [
    "ROUTING_KEYS",
    "RoutingTrial",
    "RuleTrial",
    "require_routing_admin",
    "require_routing_reader",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_rule_update",
    "routing_rules_reorder",
    "routing_try",
]

# What a routing rule may look at; a new ticket's status is always "new", and its team is what routing decides.
ROUTING_KEYS = ("kind", "category", "channel", "priority", "customer_stage", "customer_tier", "keywords")
RULE_FIELDS = {"name", "position", "is_active", "conditions", "team_id", "policy", "set_priority"}
TRY_FIELDS = {"subject", "description", "kind", "category_id", "channel", "priority", "customer_id"}


def require_routing_admin(by: User) -> None:
    """Where tickets go is the desk's policy: administrators set it."""
    if not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change routing rules."))


def require_routing_reader(by: User) -> None:
    """Managers may read the rules and try tickets against them (to see why a ticket reached their team)."""
    if not (by.is_admin_role or by.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators can see the routing rules."))


def _clean_rule(data: Mapping[str, Any], *, instance: RoutingRule | None) -> dict[str, Any]:
    errors = Errors()
    unknown_fields(data, RULE_FIELDS, errors)
    out: dict[str, Any] = {}
    creating = instance is None
    if "name" in data or creating:
        name = clean_line(data.get("name") or "", model=RoutingRule, field="name", errors=errors)
        if not name:
            errors.add("name", _("This field is required."))
        out["name"] = name
    if "team_id" in data or creating:
        team_id = data.get("team_id")
        if team_id in (None, ""):
            errors.add("team_id", _("Choose the team the tickets go to."))
        elif isinstance(team_id, bool) or not isinstance(team_id, int) or not Team.objects.filter(pk=team_id).exists():
            errors.add("team_id", _("No such team."))
        else:
            out["team_id"] = team_id
    if "policy" in data:
        if data["policy"] not in AssignmentPolicy.values:
            errors.add("policy", _("Choose one of: %(values)s.") % {"values": ", ".join(AssignmentPolicy.values)})
        else:
            out["policy"] = data["policy"]
    if "set_priority" in data:
        value = data["set_priority"] or ""
        if value and value not in TicketPriority.values:
            errors.add("set_priority", _("Choose one of: %(values)s.") % {"values": ", ".join(TicketPriority.values)})
        else:
            out["set_priority"] = value
    rule_fields_clean(data, allowed=ROUTING_KEYS, errors=errors, out=out)
    errors.raise_if_any()
    return out


@transaction.atomic
def routing_rule_create(*, by: User, data: Mapping[str, Any]) -> RoutingRule:
    """A new rule; without a position it goes after the last (tried last)."""
    require_routing_admin(by)
    values = _clean_rule(data, instance=None)
    if "position" not in values:
        values["position"] = position_next(RoutingRule)
    rule = RoutingRule.objects.create(**values)
    _changed()
    return rule


@transaction.atomic
def routing_rule_update(*, rule: RoutingRule, by: User, data: Mapping[str, Any]) -> RoutingRule:
    require_routing_admin(by)
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    values = _clean_rule(data, instance=rule)
    for name, value in values.items():
        setattr(rule, name, value)
    if values:
        rule.save(update_fields=[*values, "updated_at"])
        _changed()
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, by: User) -> None:
    """Tickets the rule routed keep their team; their routed_by is emptied."""
    require_routing_admin(by)
    RoutingRule.objects.filter(pk=rule.pk).delete()
    _changed()


@transaction.atomic
def routing_rules_reorder(*, by: User, ids: Sequence[Any]) -> list[RoutingRule]:
    """Put the rules in the order of `ids` (every rule once): positions 1, 2, 3 …"""
    require_routing_admin(by)
    ordered = positions_reorder(model=RoutingRule, ids=ids, message=_("List every rule's id once, in the new order."))
    _changed()
    return ordered


def _changed() -> None:
    # Now, for this process (the rest of this transaction routes by the new rules), and again once committed:
    # another thread may have compiled the old rules in between.
    routing_table_changed()
    transaction.on_commit(routing_table_changed)


# --- trying a ticket ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTrial:
    """One active rule and how the sample ticket fared against each of its conditions."""

    rule: RoutingRule
    matched: bool
    checks: dict[str, bool]


@dataclass(frozen=True)
class RoutingTrial:
    """Where the sample ticket would go, and why. Nobody is assigned and no cursor moves."""

    reason: str  # rule, category, default_queue, none
    team: Team | None
    rule: RoutingRule | None
    policy: str
    set_priority: str
    rules: list[RuleTrial] = field(default_factory=list)


def _clean_try(data: Mapping[str, Any], by: User) -> Ticket:
    errors = Errors()
    unknown_fields(data, TRY_FIELDS, errors)
    ticket = Ticket(
        subject=str(data.get("subject") or "")[:2000],
        description=str(data.get("description") or "")[:20000],
    )
    for name, choices in (("kind", TicketKind), ("channel", TicketChannel), ("priority", TicketPriority)):
        value = data.get(name)
        if value in (None, ""):
            continue
        if value not in choices.values:
            errors.add(name, _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)})
        else:
            setattr(ticket, name, value)
    category_id = data.get("category_id")
    if category_id not in (None, ""):
        category = None
        if isinstance(category_id, int) and not isinstance(category_id, bool):
            category = TicketCategory.objects.filter(pk=category_id).first()
        if category is None:
            errors.add("category_id", _("No such category."))
        else:
            ticket.category = category
    customer_id = data.get("customer_id")
    if customer_id not in (None, ""):
        customer: Customer | None = None
        if isinstance(customer_id, int) and not isinstance(customer_id, bool):
            customer = customers_visible_to(by).filter(pk=customer_id).first()
        if customer is None:
            errors.add("customer_id", _("No such customer, or not one you can see."))
        else:
            ticket.customer = customer
    errors.raise_if_any()
    return ticket


def routing_try(*, by: User, data: Mapping[str, Any]) -> RoutingTrial:
    """Which rule a ticket with this subject, description, kind, category, channel and customer would match,
    where it would go, and for every active rule which of its conditions the ticket meets."""
    require_routing_reader(by)
    ticket = _clean_try(data, by)
    facts = TicketFacts.of(ticket)
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("team").order_by("position", "id"))
    table = RoutingTable(rules)
    winner = table.first_match(facts)
    trials = [
        RuleTrial(rule=rule, matched=compiled.match(facts), checks=conditions_explain(rule.conditions or {}, facts))
        for rule, compiled in zip(rules, table.rules, strict=True)
    ]
    if winner is not None:
        rule = next(rule for rule in rules if rule.pk == winner.id)
        return RoutingTrial(
            reason=REASON_RULE,
            team=rule.team,
            rule=rule,
            policy=rule.policy,
            set_priority=rule.set_priority,
            rules=trials,
        )
    category = ticket.category if ticket.category_id else None
    team = category.default_team if category is not None else None
    reason = REASON_CATEGORY
    if team is None:
        team = service_settings().default_team
        reason = REASON_DEFAULT_QUEUE if team is not None else REASON_NONE
    return RoutingTrial(reason=reason, team=team, rule=None, policy="", set_priority="", rules=trials)
