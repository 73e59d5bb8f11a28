"""Who may see and change which deal: the customers' scope (own deals, the team's, a manager's sub-teams; an
administrator everything), with everything out of reach answering exactly as a deal that does not exist."""

import pytest

from factories import CustomerFactory
from peyvand.customers.models import Interaction
from peyvand.sales.models import Deal

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


def test_an_agent_of_another_team_cannot_see_change_or_move_a_deal(api_client, agent_b, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a, amount=1000)
    client = api_client(agent_b)
    assert_not_found(client.get(f"/api/v1/deals/{deal.pk}"))
    assert_not_found(patch(client, f"/api/v1/deals/{deal.pk}", {"version": 1, "amount": 1}))
    assert_not_found(post(client, f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["won"].pk, "version": 1}))
    assert_not_found(
        client.put(
            f"/api/v1/deals/{deal.pk}/contacts/{customer_a.pk}", {"role": "user"}, content_type="application/json"
        )
    )
    assert client.get("/api/v1/deals").json()["items"] == []
    board = client.get("/api/v1/deals/board").json()
    assert sum(column["count"] for column in board["columns"]) == 0
    deal.refresh_from_db()
    assert (deal.amount, deal.stage.code, deal.version) == (1000, "introduction", 1)
    assert not Interaction.objects.exists()


def test_an_agent_cannot_create_a_deal_for_a_customer_they_cannot_see(api_client, agent_b, customer_a):
    response = post(api_client(agent_b), "/api/v1/deals", {"title": "فروش", "customer_id": customer_a.pk})
    assert response.status_code == 422, response.content
    assert set(response.json()["error"]["fields"]) == {"customer_id"}
    assert not Deal.objects.exists()


def test_an_agent_sees_their_teams_deals_and_their_own_anywhere(api_client, agent_a, customer_a, team_b, make_deal):
    teammates = make_deal(customer=customer_a, owner=None)
    # The customer is another team's, but the deal is the agent's own: it is theirs to see.
    own_elsewhere = make_deal(customer=CustomerFactory(team=team_b), owner=agent_a, team=team_b)
    listed = {item["id"] for item in api_client(agent_a).get("/api/v1/deals").json()["items"]}
    assert listed == {teammates.pk, own_elsewhere.pk}


def test_a_manager_sees_the_deals_of_their_team_and_its_sub_teams_only(
    api_client, manager_a, agent_a_sub, team_a_sub, customer_a, customer_b, make_deal
):
    mine = make_deal(customer=customer_a)
    below = make_deal(customer=CustomerFactory(team=team_a_sub, owner=agent_a_sub))
    other = make_deal(customer=customer_b)
    client = api_client(manager_a)
    assert {item["id"] for item in client.get("/api/v1/deals").json()["items"]} == {mine.pk, below.pk}
    assert patch(client, f"/api/v1/deals/{below.pk}", {"version": 1, "next_step": "جلسه"}).status_code == 200
    assert_not_found(client.get(f"/api/v1/deals/{other.pk}"))


def test_an_administrator_sees_and_changes_every_deal(api_client, admin, customer_a, customer_b, make_deal):
    deals = {make_deal(customer=customer_a).pk, make_deal(customer=customer_b).pk}
    client = api_client(admin)
    assert {item["id"] for item in client.get("/api/v1/deals").json()["items"]} == deals
    for pk in deals:
        assert patch(client, f"/api/v1/deals/{pk}", {"version": 1, "amount": 5}).status_code == 200


def test_an_agent_cannot_hand_a_deal_to_another_team(api_client, agent_a, agent_b, team_b, customer_a, make_deal):
    client = api_client(agent_a)
    response = post(client, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "owner_id": agent_b.pk})
    assert set(response.json()["error"]["fields"]) == {"owner_id"}
    response = post(client, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "team_id": team_b.pk})
    assert set(response.json()["error"]["fields"]) == {"team_id"}
    deal = make_deal(customer=customer_a)
    response = patch(client, f"/api/v1/deals/{deal.pk}", {"version": 1, "owner_id": agent_b.pk})
    assert set(response.json()["error"]["fields"]) == {"owner_id"}
    deal.refresh_from_db()
    assert (deal.owner_id, deal.version) == (agent_a.pk, 1)


def test_an_agent_cannot_move_a_deal_out_of_their_own_sight(api_client, agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    # No team and no owner: nobody but an administrator would see it again.
    response = patch(api_client(agent_a), f"/api/v1/deals/{deal.pk}", {"version": 1, "team_id": None, "owner_id": None})
    assert response.status_code == 422, response.content
    assert set(response.json()["error"]["fields"]) == {"owner_id"}


def test_a_manager_assigns_a_deal_to_an_agent_of_a_sub_team(api_client, manager_a, agent_a_sub, team_a_sub, customer_a):
    response = post(
        api_client(manager_a),
        "/api/v1/deals",
        {"title": "x", "customer_id": customer_a.pk, "owner_id": agent_a_sub.pk, "team_id": team_a_sub.pk},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["owner_id"], response.json()["team_id"]) == (agent_a_sub.pk, team_a_sub.pk)


def test_deals_of_a_deleted_customer_are_hidden_with_it(api_client, manager_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    client = api_client(manager_a)
    assert client.delete(f"/api/v1/customers/{customer_a.pk}").status_code == 204
    assert_not_found(client.get(f"/api/v1/deals/{deal.pk}"))
