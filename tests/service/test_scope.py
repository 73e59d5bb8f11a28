"""The one ticket scope: an agent sees their own and their team's tickets, a manager their teams' and
sub-teams', an administrator all; a deleted customer's tickets are hidden with it."""

import pytest
from django.utils import timezone

from peyvand.service.selectors import tickets_visible_to

pytestmark = pytest.mark.django_db


def test_an_agent_sees_only_their_teams_tickets(agent_a, agent_b, customer_a, customer_b, make_ticket):
    mine = make_ticket(customer=customer_a)
    theirs = make_ticket(customer=customer_b)
    assert list(tickets_visible_to(agent_a)) == [mine]
    assert list(tickets_visible_to(agent_b)) == [theirs]


def test_a_manager_sees_sub_teams_and_an_admin_everything(
    admin, manager_a, agent_a_sub, team_a_sub, customer_a, customer_b, make_ticket
):
    own_team = make_ticket(customer=customer_a)
    sub_team = make_ticket(customer=customer_a, team=team_a_sub)
    other = make_ticket(customer=customer_b)
    assert set(tickets_visible_to(manager_a)) == {own_team, sub_team}
    assert set(tickets_visible_to(agent_a_sub)) == {sub_team}
    assert set(tickets_visible_to(admin)) == {own_team, sub_team, other}


def test_an_assignee_sees_their_ticket_in_another_team(agent_b, customer_a, make_ticket):
    assigned = make_ticket(customer=customer_a, assignee=agent_b)
    assert list(tickets_visible_to(agent_b)) == [assigned]


def test_a_deleted_customers_tickets_are_hidden_but_not_contact_tickets(admin, customer_a, make_ticket):
    gone = make_ticket(customer=customer_a)
    walk_in = make_ticket(contact_email="x@example.ir")
    customer_a.deleted_at = timezone.now()
    customer_a.save(update_fields=["deleted_at"])
    visible = set(tickets_visible_to(admin))
    assert gone not in visible and walk_in in visible


def test_nobody_logged_in_sees_nothing(make_ticket, customer_a):
    from django.contrib.auth.models import AnonymousUser

    make_ticket(customer=customer_a)
    assert not tickets_visible_to(AnonymousUser()).exists()
    assert not tickets_visible_to(None).exists()
