"""/api/v1/routing-rules: administrators keep the rules, a malformed rule is refused with the reason, and a
sample ticket can be tried against them."""

import pytest

from factories import CustomerFactory, TeamFactory
from peyvand.service.models import RoutingRule
from peyvand.service.services.settings import service_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing-rules"


@pytest.fixture
def support(db):
    return TeamFactory(name="پشتیبانی")


@pytest.fixture
def admin_api(api_client, admin):
    return api_client(admin)


def _post(client, url, body):
    return client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def _patch(client, url, body):
    return client.patch(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_an_admin_adds_a_rule_and_it_is_stored_clean(admin_api, support, technical):
    response = _post(
        admin_api,
        URL,
        {
            "name": "VIP outages",
            "team_id": support.pk,
            "policy": "round_robin",
            "set_priority": "high",
            "conditions": {"customer_tier": ["gold"], "keywords": ["قطعي"], "category": [str(technical.pk)]},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team_name"] == "پشتیبانی"
    assert body["conditions"] == {"customer_tier": ["gold"], "keywords": ["قطعی"], "category": [technical.pk]}
    assert body["position"] == 1
    rule = RoutingRule.objects.get(pk=body["id"])
    assert (rule.policy, rule.set_priority) == ("round_robin", "high")


def test_a_new_rule_goes_after_the_last(admin_api, support):
    positions = [_post(admin_api, URL, {"name": n, "team_id": support.pk}).json()["position"] for n in "abc"]
    assert positions == [1, 2, 3]


@pytest.mark.parametrize(
    ("conditions", "reason"),
    [
        ({"colour": ["red"]}, "Unknown condition “colour”."),
        ({"status": ["new"]}, "Unknown condition “status”."),  # a new ticket's status is always new
        ({"kind": ["praise"]}, "Condition “kind” has values that do not exist: praise."),
        ({"category": [99999]}, "Condition “category” names ids that do not exist: 99999."),
        ({"keywords": ["..."]}, "The keyword “...” has no letters or digits."),
    ],
)
def test_a_malformed_rule_is_refused_with_the_reason(admin_api, support, conditions, reason):
    response = _post(admin_api, URL, {"name": "bad", "team_id": support.pk, "conditions": conditions})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["conditions"] == [reason]
    assert not RoutingRule.objects.exists()


def test_a_rule_without_a_real_team_is_refused(admin_api):
    response = _post(admin_api, URL, {"name": "x", "team_id": 987654})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"team_id": ["No such team."]}
    response = _post(admin_api, URL, {"name": "x"})
    assert response.status_code == 422
    assert "team_id" in response.json()["error"]["fields"]


def test_bad_policy_priority_and_unknown_fields_are_refused(admin_api, support):
    response = _post(admin_api, URL, {"name": "x", "team_id": support.pk, "policy": "lottery", "colour": 1})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"policy", "colour"}
    response = _post(admin_api, URL, {"name": "x", "team_id": support.pk, "set_priority": "asap"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"set_priority"}


def test_a_blank_name_is_refused(admin_api, support):
    response = _post(admin_api, URL, {"name": "   ", "team_id": support.pk})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["This field is required."]}


def test_an_admin_changes_and_removes_a_rule(admin_api, support):
    rule_id = _post(admin_api, URL, {"name": "a", "team_id": support.pk, "set_priority": "high"}).json()["id"]

    response = _patch(admin_api, f"{URL}/{rule_id}", {"conditions": {"channel": ["phone"]}, "set_priority": ""})
    assert response.status_code == 200
    assert response.json()["conditions"] == {"channel": ["phone"]}
    assert response.json()["set_priority"] == ""

    response = _patch(admin_api, f"{URL}/{rule_id}", {"conditions": {"channel": ["fax"]}})
    assert response.status_code == 422
    assert RoutingRule.objects.get(pk=rule_id).conditions == {"channel": ["phone"]}  # nothing half-written

    assert admin_api.delete(f"{URL}/{rule_id}").status_code == 204
    assert not RoutingRule.objects.filter(pk=rule_id).exists()
    assert admin_api.delete(f"{URL}/{rule_id}").status_code == 404


def test_reorder_puts_the_rules_in_the_given_order(admin_api, support):
    ids = [_post(admin_api, URL, {"name": n, "team_id": support.pk}).json()["id"] for n in "abc"]
    response = _post(admin_api, f"{URL}/reorder", {"ids": [ids[2], ids[0], ids[1]]})
    assert response.status_code == 200
    assert [(r["id"], r["position"]) for r in response.json()] == [(ids[2], 1), (ids[0], 2), (ids[1], 3)]
    assert [r["name"] for r in admin_api.get(URL).json()] == ["c", "a", "b"]


def test_reorder_must_name_every_rule_once(admin_api, support):
    ids = [_post(admin_api, URL, {"name": n, "team_id": support.pk}).json()["id"] for n in "ab"]
    for wrong in ([ids[0]], [ids[0], ids[0]], [ids[0], ids[1], 99999]):
        response = _post(admin_api, f"{URL}/reorder", {"ids": wrong})
        assert response.status_code == 422
        assert "ids" in response.json()["error"]["fields"]


def test_agents_may_not_read_or_change_rules(api_client, agent_a, support):
    rule = RoutingRule.objects.create(name="a", team=support)
    client = api_client(agent_a)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{rule.pk}").status_code == 403
    assert _post(client, URL, {"name": "x", "team_id": support.pk}).status_code == 403
    assert _patch(client, f"{URL}/{rule.pk}", {"name": "y"}).status_code == 403
    assert client.delete(f"{URL}/{rule.pk}").status_code == 403
    assert _post(client, f"{URL}/reorder", {"ids": [rule.pk]}).status_code == 403
    assert _post(client, f"{URL}/test", {"subject": "x"}).status_code == 403
    assert RoutingRule.objects.get(pk=rule.pk).name == "a"


def test_managers_read_and_try_but_do_not_change(api_client, manager_a, support):
    rule = RoutingRule.objects.create(name="a", team=support)
    client = api_client(manager_a)
    assert [r["id"] for r in client.get(URL).json()] == [rule.pk]
    assert _post(client, f"{URL}/test", {"subject": "x"}).status_code == 200
    assert _post(client, URL, {"name": "x", "team_id": support.pk}).status_code == 403
    assert _patch(client, f"{URL}/{rule.pk}", {"name": "y"}).status_code == 403


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get(URL).status_code == 401


def test_trying_a_ticket_says_which_rule_matches_and_why(admin_api, support, team_a, technical, installation):
    vip = TeamFactory(name="کلیدی")
    first = _post(
        admin_api,
        URL,
        {"name": "gold", "team_id": vip.pk, "policy": "account_manager", "conditions": {"customer_tier": ["gold"]}},
    ).json()
    second = _post(
        admin_api,
        URL,
        {
            "name": "technical outages",
            "team_id": support.pk,
            "set_priority": "urgent",
            "conditions": {"category": [technical.pk], "keywords": ["قطعی"]},
        },
    ).json()
    customer = CustomerFactory(team=team_a, tier="silver")

    response = _post(
        admin_api,
        f"{URL}/test",
        {"subject": "قطعي سرویس", "category_id": installation.pk, "customer_id": customer.pk, "kind": "complaint"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["reason"], body["rule_id"], body["team_id"]) == ("rule", second["id"], support.pk)
    assert (body["policy"], body["set_priority"]) == ("queue", "urgent")
    assert body["rules"] == [
        {"id": first["id"], "name": "gold", "position": 1, "matched": False, "checks": {"customer_tier": False}},
        {
            "id": second["id"],
            "name": "technical outages",
            "position": 2,
            "matched": True,
            "checks": {"category": True, "keywords": True},
        },
    ]


def test_trying_a_ticket_no_rule_matches_shows_the_default_queue(admin_api, support):
    desk = service_settings()
    desk.default_team = support
    desk.save()
    body = _post(admin_api, f"{URL}/test", {"subject": "سلام"}).json()
    assert (body["reason"], body["rule_id"], body["team_name"]) == ("default_queue", None, "پشتیبانی")


def test_trying_a_ticket_checks_its_input(admin_api, api_client, manager_a, customer_b):
    response = _post(admin_api, f"{URL}/test", {"category_id": 99999, "kind": "praise"})
    assert response.status_code == 422
    response = _post(admin_api, f"{URL}/test", {"category_id": 99999})
    assert response.json()["error"]["fields"] == {"category_id": ["No such category."]}
    # a manager of another team cannot learn about a customer they may not see
    response = _post(api_client(manager_a), f"{URL}/test", {"customer_id": customer_b.pk})
    assert response.status_code == 422
    assert "customer_id" in response.json()["error"]["fields"]


def test_trying_does_not_move_the_round_robin(admin_api, support):
    from peyvand.service.models import RoundRobinCursor

    _post(admin_api, URL, {"name": "rr", "team_id": support.pk, "policy": "round_robin"})
    _post(admin_api, f"{URL}/test", {"subject": "x"})
    assert not RoundRobinCursor.objects.exists()
