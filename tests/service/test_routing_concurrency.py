"""Round robin under load: two tickets routed at the same moment go to two different people (PostgreSQL, where
several web processes really do route at once)."""

import threading
import time

import pytest
from django.db import connection, transaction

from factories import TeamFactory, UserFactory
from peyvand.accounts.models import Role
from peyvand.service.models import RoundRobinCursor, RoutingRule, Ticket
from peyvand.service.routing import route_ticket


@pytest.mark.django_db(transaction=True)
def test_two_tickets_routed_at_once_do_not_go_to_the_same_person():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the row lock is what PostgreSQL needs")
    team = TeamFactory(name="پشتیبانی")
    members = [UserFactory(role=Role.AGENT, team=team) for _ in range(3)]
    RoutingRule.objects.create(name="all", team=team, policy="round_robin")
    RoundRobinCursor.objects.create(team=team)
    given: dict[str, object] = {}
    first_routed = threading.Event()

    def route(name: str, hold: float) -> None:
        try:
            with transaction.atomic():
                decision = route_ticket(Ticket(subject="سلام", contact_name="x"))
                given[name] = decision.assignee
                if hold:
                    first_routed.set()
                    time.sleep(hold)  # still inside the transaction: the cursor stays locked
        finally:
            connection.close()

    first = threading.Thread(target=route, args=("first", 0.5))
    first.start()
    assert first_routed.wait(10)
    second = threading.Thread(target=route, args=("second", 0))
    second.start()
    first.join(10)
    second.join(10)

    assert given["first"] == members[0]
    assert given["second"] == members[1]
    assert RoundRobinCursor.objects.get(team=team).last_user == members[1]
