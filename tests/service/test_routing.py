"""Routing a new ticket: rules in order, the assignment policies, the fallbacks, and the compiled table's cache."""

from collections import Counter

import pytest

from factories import CustomerFactory, TeamFactory, UserFactory
from peyvand.accounts.models import Role
from peyvand.service import routing
from peyvand.service.conditions import conditions_clean
from peyvand.service.models import RoundRobinCursor, RoutingRule, Ticket
from peyvand.service.routing import route_ticket, routing_table
from peyvand.service.routing_services import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    routing_rules_reorder,
)
from peyvand.service.services.settings import service_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(db):
    return TeamFactory(name="پشتیبانی")


@pytest.fixture
def members(support):
    """Three active agents of the support team, in id order."""
    return [UserFactory(role=Role.AGENT, team=support) for _ in range(3)]


@pytest.fixture
def key_accounts(db):
    return TeamFactory(name="مشتریان کلیدی")


def _rule(team, *, conditions=None, position=None, **fields):
    rule = RoutingRule.objects.create(
        name=fields.pop("name", "rule"),
        team=team,
        conditions=conditions_clean(conditions or {}),
        position=position if position is not None else RoutingRule.objects.count() + 1,
        **fields,
    )
    return rule


def _ticket(**fields):
    fields.setdefault("subject", "سلام")
    if not fields.get("customer"):
        fields.setdefault("contact_name", "مراجعه‌کننده")
    return Ticket(**fields)


# --- rules ------------------------------------------------------------------------------------------------


def test_the_first_matching_rule_in_position_order_wins(support, key_accounts):
    _rule(support, name="every complaint", conditions={"kind": ["complaint"]}, position=2)
    first = _rule(key_accounts, name="outages", conditions={"keywords": ["قطعی"]}, position=1)
    ticket = _ticket(kind="complaint", subject="قطعی اینترنت")

    decision = route_ticket(ticket)

    assert decision.rule == first
    assert decision.reason == "rule"
    assert ticket.team == key_accounts
    assert ticket.routed_by == first


def test_an_inactive_rule_is_skipped(support, key_accounts):
    _rule(key_accounts, conditions={"kind": ["complaint"]}, is_active=False)
    second = _rule(support, conditions={"kind": ["complaint"]})
    assert route_ticket(_ticket(kind="complaint")).rule == second


def test_key_accounts_go_to_their_dedicated_team_with_high_priority(support, key_accounts, team_a):
    _rule(key_accounts, name="key accounts", conditions={"customer_tier": ["gold"]}, set_priority="high")
    _rule(support, name="everyone else")
    gold = CustomerFactory(team=team_a, tier="gold")
    bronze = CustomerFactory(team=team_a, tier="bronze")

    vip_ticket = _ticket(customer=gold)
    other_ticket = _ticket(customer=bronze)
    route_ticket(vip_ticket)
    route_ticket(other_ticket)

    assert (vip_ticket.team, vip_ticket.priority) == (key_accounts, "high")
    assert (other_ticket.team, other_ticket.priority) == (support, "normal")


def test_keywords_route_whatever_the_keyboard(support):
    _rule(support, conditions={"keywords": ["کیف پول"]})
    ticket = _ticket(subject="مشکل", description="كيف پول من شارژ نمی‌شود")  # Arabic kaf and yeh
    assert route_ticket(ticket).rule is not None


def test_a_category_rule_catches_the_sub_categories(support, technical, installation, billing_category):
    _rule(support, conditions={"category": [technical.pk]})
    assert route_ticket(_ticket(category=installation)).reason == "rule"
    assert route_ticket(_ticket(category=billing_category)).reason != "rule"


# --- fallbacks ------------------------------------------------------------------------------------------


def test_without_a_matching_rule_the_category_default_team_takes_it(support, key_accounts, make_category):
    _rule(key_accounts, conditions={"kind": ["suggestion"]})
    category = make_category("شبکه", default_team=support)
    ticket = _ticket(kind="complaint", category=category)

    decision = route_ticket(ticket)

    assert (decision.reason, decision.team, decision.rule, decision.assignee) == ("category", support, None, None)
    assert ticket.team == support and ticket.routed_by is None


def test_then_the_desks_default_queue(support, technical):
    desk = service_settings()
    desk.default_team = support
    desk.save()
    ticket = _ticket(category=technical)
    decision = route_ticket(ticket)
    assert (decision.reason, ticket.team) == ("default_queue", support)


def test_with_no_default_queue_the_ticket_has_no_team():
    ticket = _ticket()
    decision = route_ticket(ticket)
    assert (decision.reason, decision.team, ticket.team) == ("none", None, None)


# --- assignment policies --------------------------------------------------------------------------------


def test_queue_policy_leaves_the_ticket_unassigned(support, members):
    _rule(support, policy="queue")
    ticket = _ticket()
    decision = route_ticket(ticket)
    assert decision.assignee is None and ticket.assignee is None and ticket.team == support


def test_round_robin_is_fair_across_six_tickets(support, members):
    _rule(support, policy="round_robin")
    given = [route_ticket(_ticket()).assignee for _ in range(6)]
    assert given == [*members, *members]  # in id order, round and round
    assert Counter(user.pk for user in given) == {user.pk: 2 for user in members}
    assert RoundRobinCursor.objects.get(team=support).last_user == members[-1]


def test_round_robin_skips_inactive_members_and_other_teams(support, members, team_a):
    members[1].is_active = False
    members[1].save()
    UserFactory(role=Role.AGENT, team=team_a)
    _rule(support, policy="round_robin")
    given = [route_ticket(_ticket()).assignee for _ in range(4)]
    assert given == [members[0], members[2], members[0], members[2]]


def test_round_robin_goes_on_after_the_cursor_when_that_member_left(support, members):
    RoundRobinCursor.objects.create(team=support, last_user=members[0])
    members[0].is_active = False
    members[0].save()
    _rule(support, policy="round_robin")
    assert route_ticket(_ticket()).assignee == members[1]


def test_least_loaded_picks_the_fewest_open_tickets_ties_by_id(support, members, make_ticket):
    _rule(support, policy="least_loaded")
    make_ticket(assignee=members[0], status="in_progress")
    make_ticket(assignee=members[1], status="new")
    for _ in range(3):  # closed work does not count as load
        make_ticket(assignee=members[2], status="closed")

    first = route_ticket(_ticket())
    assert first.assignee == members[2]
    make_ticket(assignee=members[2], status="assigned")
    # now all three carry one open ticket: the lowest id wins the tie
    assert route_ticket(_ticket()).assignee == members[0]


def test_least_loaded_skips_inactive_members(support, members):
    members[0].is_active = False
    members[0].save()
    _rule(support, policy="least_loaded")
    assert route_ticket(_ticket()).assignee == members[1]


def test_account_manager_gets_their_customers_ticket(support, members):
    _rule(support, policy="account_manager")
    customer = CustomerFactory(team=support, owner=members[2])
    decision = route_ticket(_ticket(customer=customer))
    assert (decision.assignee, decision.policy, decision.note) == (members[2], "account_manager", "")


def test_account_manager_in_a_sub_team_counts_as_within_the_team(support):
    sub = TeamFactory(name="پشتیبانی شمال", parent=support)
    manager = UserFactory(role=Role.AGENT, team=sub)
    _rule(support, policy="account_manager")
    customer = CustomerFactory(team=sub, owner=manager)
    assert route_ticket(_ticket(customer=customer)).assignee == manager


def test_account_manager_outside_the_team_falls_back_to_round_robin_and_says_so(support, members, team_a, agent_a):
    _rule(support, policy="account_manager")
    customer = CustomerFactory(team=team_a, owner=agent_a)
    ticket = _ticket(customer=customer)

    decision = route_ticket(ticket)

    assert decision.assignee == members[0]
    assert (decision.policy, decision.note) == ("round_robin", "account_manager_unavailable")
    assert ticket.assignee == members[0]


def test_an_inactive_account_manager_is_passed_over(support, members):
    members[1].is_active = False
    members[1].save()
    _rule(support, policy="account_manager")
    customer = CustomerFactory(team=support, owner=members[1])
    decision = route_ticket(_ticket(customer=customer))
    assert decision.assignee == members[0]
    assert decision.note == "account_manager_unavailable"


def test_a_ticket_without_a_customer_gets_round_robin_under_account_manager(support, members):
    _rule(support, policy="account_manager")
    assert route_ticket(_ticket()).assignee == members[0]


def test_a_team_without_active_members_keeps_the_ticket_in_its_queue(support):
    UserFactory(role=Role.AGENT, team=support, is_active=False)
    _rule(support, policy="round_robin")
    decision = route_ticket(_ticket())
    assert (decision.team, decision.assignee, decision.note) == (support, None, "no_active_members")


# --- the compiled table ---------------------------------------------------------------------------------


def test_the_table_is_compiled_once_while_nothing_changes(support):
    _rule(support)
    assert routing_table() is routing_table()


def test_a_changed_rule_takes_effect_at_once(admin, support, key_accounts):
    data = {"name": "r", "team_id": support.pk, "conditions": {"kind": ["complaint"]}}
    rule = routing_rule_create(by=admin, data=data)
    assert route_ticket(_ticket(kind="complaint")).team == support

    routing_rule_update(rule=rule, by=admin, data={"team_id": key_accounts.pk})
    assert route_ticket(_ticket(kind="complaint")).team == key_accounts

    routing_rule_update(rule=rule, by=admin, data={"is_active": False})
    assert route_ticket(_ticket(kind="complaint")).reason == "none"


def test_reordering_changes_which_rule_wins(admin, support, key_accounts):
    first = routing_rule_create(by=admin, data={"name": "a", "team_id": support.pk})
    second = routing_rule_create(by=admin, data={"name": "b", "team_id": key_accounts.pk})
    assert route_ticket(_ticket()).rule == first
    routing_rules_reorder(by=admin, ids=[second.pk, first.pk])
    assert route_ticket(_ticket()).rule == second


def test_a_deleted_rule_routes_no_more(admin, support):
    rule = routing_rule_create(by=admin, data={"name": "a", "team_id": support.pk})
    assert route_ticket(_ticket()).rule == rule
    routing_rule_delete(rule=rule, by=admin)
    assert route_ticket(_ticket()).rule is None


def test_a_change_made_by_another_process_is_seen(support, key_accounts):
    rule = _rule(support)
    assert route_ticket(_ticket()).team == support
    # written straight to the database, as another server would: no version bump in this process's cache
    RoutingRule.objects.filter(pk=rule.pk).update(team=key_accounts, updated_at=rule.updated_at.replace(year=2030))
    assert route_ticket(_ticket()).team == key_accounts


def test_a_rule_deleted_after_the_table_was_compiled_falls_back(support):
    rule = _rule(support)
    table = routing_table()
    rule.delete()
    assert route_ticket(_ticket(), table=table).reason == "none"


def test_routing_module_names_its_reasons():
    assert {routing.REASON_RULE, routing.REASON_CATEGORY, routing.REASON_DEFAULT_QUEUE, routing.REASON_NONE} == {
        "rule",
        "category",
        "default_queue",
        "none",
    }


# --- a channel's own team --------------------------------------------------------------------------------


def test_a_channels_team_takes_what_no_rule_and_no_category_placed(support, key_accounts, technical):
    desk = service_settings()
    desk.default_team = key_accounts
    desk.save()
    ticket = _ticket(category=technical)
    decision = route_ticket(ticket, channel_team=support)
    assert (decision.reason, ticket.team) == ("channel", support)


def test_a_rule_and_a_category_default_outrank_the_channels_team(support, key_accounts, make_category):
    other = TeamFactory(name="فروش")
    _rule(key_accounts, conditions={"kind": ["complaint"]})
    assert route_ticket(_ticket(kind="complaint"), channel_team=support).team == key_accounts
    category = make_category("صورتحساب", default_team=other)
    decision = route_ticket(_ticket(kind="question", category=category), channel_team=support)
    assert (decision.reason, decision.team) == ("category", other)


def test_ticket_create_from_a_channel_goes_to_the_channels_team(support):
    from peyvand.service.models import TicketChannel
    from peyvand.service.services.tickets.editing import ticket_create

    ticket = ticket_create(
        by=None,
        data={"subject": "فرم تماس", "contact_name": "مراجعه‌کننده"},
        channel=TicketChannel.FORM,
        channel_team=support,
    )
    assert ticket.team == support
    assert ticket.events.filter(kind="routed", data__reason="channel").exists()
