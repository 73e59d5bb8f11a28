"""The routing pages: the rule list with its order, the editor (no code; a malformed rule is shown again with the
reason), trying a ticket, and who may do what."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from factories import TeamFactory
from peyvand.service.models import RoutingRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(db):
    return TeamFactory(name="پشتیبانی")


def _client(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _rules(*names, team):
    return [RoutingRule.objects.create(name=name, team=team, position=i) for i, name in enumerate(names, start=1)]


def test_an_agent_is_refused_every_routing_page(agent_a, support):
    rule = _rules("a", team=support)[0]
    client = _client(agent_a)
    assert client.get(reverse("service:routing_rules")).status_code == 403
    assert client.get(reverse("service:routing_rule_create")).status_code == 403
    assert client.get(reverse("service:routing_rule_edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("service:routing_rule_delete", args=[rule.pk])).status_code == 403
    assert client.post(reverse("service:routing_rule_move", args=[rule.pk]), {"direction": "up"}).status_code == 403
    assert client.post(reverse("service:routing_rules_order"), {"ids": str(rule.pk)}).status_code == 403
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


def test_a_manager_reads_the_rules_but_may_not_edit(manager_a, support):
    _rules("VIP", team=support)
    client = _client(manager_a)
    response = client.get(reverse("service:routing_rules"))
    assert response.status_code == 200
    assert "VIP" in response.content.decode()
    assert reverse("service:routing_rule_create") not in response.content.decode()
    assert client.get(reverse("service:routing_rule_create")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(reverse("service:routing_rules"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_list_puts_conditions_in_words(admin, support, technical):
    RoutingRule.objects.create(
        name="VIP outages",
        team=support,
        conditions={"customer_tier": ["gold"], "category": [technical.pk], "keywords": ["قطعی"]},
        policy="round_robin",
    )
    page = _client(admin).get(reverse("service:routing_rules")).content.decode()
    for text in ("VIP outages", "Gold", "Technical", "قطعی", "Round robin", "پشتیبانی"):
        assert text in page


def test_an_admin_makes_a_rule_without_code(admin, support, technical):
    response = _client(admin).post(
        reverse("service:routing_rule_create"),
        {
            "name": "VIP outages",
            "team_id": str(support.pk),
            "policy": "account_manager",
            "set_priority": "high",
            "is_active": "on",
            "kind": ["complaint", "request"],
            "category": [str(technical.pk)],
            "customer_tier": ["gold"],
            "keywords": "قطعي، خرابی\nکندی",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("service:routing_rules")
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.team, rule.policy, rule.set_priority, rule.is_active) == (
        "VIP outages",
        support,
        "account_manager",
        "high",
        True,
    )
    assert rule.conditions == {
        "kind": ["complaint", "request"],
        "category": [technical.pk],
        "customer_tier": ["gold"],
        "keywords": sorted(["قطعی", "خرابی", "کندی"]),
    }


def test_a_malformed_rule_is_shown_again_with_the_reason(admin, support):
    response = _client(admin).post(
        reverse("service:routing_rule_create"),
        {"name": "bad", "team_id": str(support.pk), "policy": "queue", "keywords": "؟؟؟"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "has no letters or digits" in page
    assert "Nothing was saved" in page
    assert not RoutingRule.objects.exists()


def test_a_rule_without_a_team_is_refused(admin):
    response = _client(admin).post(reverse("service:routing_rule_create"), {"name": "x", "policy": "queue"})
    assert response.status_code == 422
    assert response.context["form"].errors["team_id"]
    assert not RoutingRule.objects.exists()


def test_editing_shows_the_rule_and_saves_changes(admin, support):
    rule = RoutingRule.objects.create(
        name="outages", team=support, conditions={"keywords": ["قطعی", "خرابی"], "channel": ["phone"]}
    )
    client = _client(admin)
    page = client.get(reverse("service:routing_rule_edit", args=[rule.pk])).content.decode()
    assert "قطعی" in page and "خرابی" in page

    response = client.post(
        reverse("service:routing_rule_edit", args=[rule.pk]),
        {"name": "outages", "team_id": str(support.pk), "policy": "least_loaded", "channel": ["sms"]},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.policy, rule.conditions, rule.is_active) == ("least_loaded", {"channel": ["sms"]}, False)


def test_an_unknown_rule_answers_404(admin):
    assert _client(admin).get(reverse("service:routing_rule_edit", args=[999999])).status_code == 404


def test_arrows_move_a_rule_up_and_down(admin, support):
    a, b, c = _rules("a", "b", "c", team=support)
    client = _client(admin)
    client.post(reverse("service:routing_rule_move", args=[c.pk]), {"direction": "up"})
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["a", "c", "b"]
    client.post(reverse("service:routing_rule_move", args=[a.pk]), {"direction": "down"})
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["c", "a", "b"]
    client.post(reverse("service:routing_rule_move", args=[b.pk]), {"direction": "down"})  # already last
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["c", "a", "b"]


def test_dragging_saves_a_whole_new_order(admin, support):
    a, b, c = _rules("a", "b", "c", team=support)
    client = _client(admin)
    response = client.post(reverse("service:routing_rules_order"), {"ids": f"{b.pk},{c.pk},{a.pk}"})
    assert response.status_code == 302
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["b", "c", "a"]
    client.post(reverse("service:routing_rules_order"), {"ids": f"{b.pk}"})  # not every rule: refused
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["b", "c", "a"]


def test_removing_a_rule(admin, support):
    rule = _rules("a", team=support)[0]
    response = _client(admin).post(reverse("service:routing_rule_delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not RoutingRule.objects.exists()


def test_trying_a_ticket_shows_which_rule_matches(admin, support):
    vip = TeamFactory(name="Key accounts")
    RoutingRule.objects.create(name="gold", team=vip, position=1, conditions={"customer_tier": ["gold"]})
    RoutingRule.objects.create(name="outages", team=support, position=2, conditions={"keywords": ["قطعی"]})
    response = _client(admin).get(reverse("service:routing_rules"), {"try": "1", "subject": "قطعي اینترنت"})
    assert response.status_code == 200
    trial = response.context["trial"]["trial"]
    assert (trial.reason, trial.rule.name, trial.team) == ("rule", "outages", support)
    page = response.content.decode()
    assert "Matches the rule “outages”" in page


def test_trying_a_ticket_with_a_bad_category_shows_the_error(admin):
    response = _client(admin).get(reverse("service:routing_rules"), {"try": "1", "category_id": "999999"})
    assert response.status_code == 200
    assert response.context["trial"] is None
    assert response.context["try_form"].errors["category_id"]
