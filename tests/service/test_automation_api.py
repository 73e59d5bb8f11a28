"""The automation rules API: administrators add, change, reorder and remove rules (a malformed one refused with
the field and the reason), managers read them, agents are refused; the run log, scoped to the tickets a reader
may see."""

from __future__ import annotations

import json

import pytest

from peyvand.service.automation_engine import run_rules
from peyvand.service.automation_rules import automation_rule_create
from peyvand.service.models import AutomationRule

pytestmark = pytest.mark.django_db

URL = "/api/v1/automation-rules"
RULE = {
    "name": "مشتریان طلایی",
    "event": "created",
    "conditions": {"customer_tier": ["gold"]},
    "actions": [
        {"type": "set", "field": "priority", "value": "high"},
        {"type": "notify_staff", "to": "team_managers", "text": "مشتری طلایی"},
    ],
}


def send(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None, content_type="application/json")


@pytest.fixture
def rule(admin):
    return automation_rule_create(
        by=admin, data={"name": "note", "event": "created", "actions": [{"type": "note", "text": "x"}]}
    )


def test_an_administrator_adds_reads_changes_and_removes_a_rule(api_client, admin):
    client = api_client(admin)

    created = send(client, "post", URL, RULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["conditions"] == {"customer_tier": ["gold"]} and body["position"] == 1 and body["hours"] is None
    rule_id = body["id"]

    assert client.get(f"{URL}/{rule_id}").json()["name"] == "مشتریان طلایی"
    changed = send(client, "patch", f"{URL}/{rule_id}", {"event": "no_reply", "hours": 4, "is_active": False})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["event"], changed.json()["hours"], changed.json()["is_active"]) == ("no_reply", 4, False)
    assert [r["id"] for r in client.get(URL).json()] == [rule_id]

    assert client.delete(f"{URL}/{rule_id}").status_code == 204
    assert client.get(f"{URL}/{rule_id}").status_code == 404


def test_a_malformed_action_is_refused_with_the_field_and_reason(api_client, admin):
    bad = {**RULE, "actions": [{"type": "set", "field": "priority", "value": "asap"}, {"type": "teleport"}]}
    response = send(api_client(admin), "post", URL, bad)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"actions.0.value", "actions.1.type"}
    assert not AutomationRule.objects.exists()


def test_unknown_fields_and_events_are_refused(api_client, admin):
    response = send(api_client(admin), "post", URL, {**RULE, "event": "someday", "colour": "red"})
    assert response.status_code == 422
    assert {"event", "colour"} <= set(response.json()["error"]["fields"])


def test_a_manager_reads_but_does_not_change(api_client, manager_a, rule):
    client = api_client(manager_a)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/{rule.pk}").status_code == 200
    assert send(client, "post", URL, RULE).status_code == 403
    assert send(client, "patch", f"{URL}/{rule.pk}", {"name": "x"}).status_code == 403
    assert client.delete(f"{URL}/{rule.pk}").status_code == 403
    assert AutomationRule.objects.get().name == "note"


def test_an_agent_is_refused_everything(api_client, agent_a, rule):
    client = api_client(agent_a)
    for response in (
        client.get(URL),
        client.get(f"{URL}/{rule.pk}"),
        client.get(f"{URL}/{rule.pk}/runs"),
        client.get(f"{URL}/runs"),
        send(client, "post", URL, RULE),
        send(client, "post", f"{URL}/reorder", {"ids": [rule.pk]}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_reorder(api_client, admin, rule):
    other = automation_rule_create(by=admin, data={**RULE, "name": "second"})
    client = api_client(admin)
    response = send(client, "post", f"{URL}/reorder", {"ids": [other.pk, rule.pk]})
    assert [r["id"] for r in response.json()] == [other.pk, rule.pk]
    assert send(client, "post", f"{URL}/reorder", {"ids": [other.pk]}).status_code == 422


def test_the_runs_of_a_rule_with_what_they_did(api_client, admin, rule, make_ticket, customer_a):
    ticket = make_ticket(customer=customer_a)
    run_rules("created", ticket.pk)
    response = api_client(admin).get(f"{URL}/{rule.pk}/runs")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert (item["ticket_id"], item["ticket_number"], item["status"], item["rule_name"]) == (
        ticket.pk,
        ticket.number,
        "done",
        "note",
    )
    assert item["detail"]["actions"][0]["type"] == "note"
    assert api_client(admin).get(f"{URL}/99999/runs").status_code == 404


def test_the_run_log_is_filtered_and_paged(api_client, admin, rule, make_ticket, customer_a):
    automation_rule_create(by=admin, data={**RULE, "name": "gold only"})
    for _ in range(3):
        run_rules("created", make_ticket(customer=customer_a).pk)
    client = api_client(admin)
    skipped = client.get(f"{URL}/runs", {"status": "skipped"}).json()["items"]
    assert len(skipped) == 3 and {item["rule_name"] for item in skipped} == {"gold only"}
    first = client.get(f"{URL}/runs", {"limit": 4}).json()
    second = client.get(f"{URL}/runs", {"limit": 4, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 4 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert client.get(f"{URL}/runs", {"status": "exploded"}).status_code == 422


def test_a_manager_sees_only_runs_on_tickets_they_may_see(
    api_client, manager_a, rule, make_ticket, customer_a, customer_b
):
    mine = make_ticket(customer=customer_a)
    theirs = make_ticket(customer=customer_b)
    run_rules("created", mine.pk)
    run_rules("created", theirs.pk)
    client = api_client(manager_a)
    assert [item["ticket_id"] for item in client.get(f"{URL}/{rule.pk}/runs").json()["items"]] == [mine.pk]
    assert client.get(f"{URL}/runs", {"ticket_id": theirs.pk}).json()["items"] == []
