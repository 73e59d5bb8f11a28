"""The HTTP API of SLA policies, holidays and the due time calculator: who may read and write, and clear
per-field errors."""

import pytest

from peyvand.core.jalali import parse_date
from peyvand.service.models import Holiday, SlaPolicy

POLICY = {
    "name": "طلایی",
    "first_response_minutes": 30,
    "resolution_minutes": 240,
    "conditions": {"customer_tier": ["gold"]},
}


def test_an_admin_creates_changes_lists_and_deletes_a_policy(api_client, admin, team_b):
    client = api_client(admin)
    created = client.post("/api/v1/sla-policies", POLICY, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["conditions"] == {"customer_tier": ["gold"]} and body["warn_percent"] == 80
    pk = body["id"]
    patched = client.patch(
        f"/api/v1/sla-policies/{pk}", {"warn_percent": 60, "escalate_to_id": team_b.pk}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert (patched.json()["warn_percent"], patched.json()["escalate_to_id"]) == (60, team_b.pk)
    listed = client.get("/api/v1/sla-policies")
    assert [row["id"] for row in listed.json()] == [pk]
    assert client.delete(f"/api/v1/sla-policies/{pk}").status_code == 204
    assert not SlaPolicy.objects.exists()
    assert client.get(f"/api/v1/sla-policies/{pk}").status_code == 404


def test_bad_policy_input_answers_422_naming_the_fields(api_client, admin):
    client = api_client(admin)
    response = client.post(
        "/api/v1/sla-policies",
        {**POLICY, "conditions": {"keywords": ["قطعی"]}, "resolution_minutes": 10},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"conditions", "resolution_minutes"}
    unknown = client.post("/api/v1/sla-policies", {**POLICY, "colour": "red"}, content_type="application/json")
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["fields"]
    missing = client.post("/api/v1/sla-policies", {"name": "x"}, content_type="application/json")
    assert missing.status_code == 422
    assert not SlaPolicy.objects.exists()


def test_an_agent_gets_403_on_the_policies_and_a_manager_only_reads_them(api_client, admin, agent_a, manager_a):
    pk = api_client(admin).post("/api/v1/sla-policies", POLICY, content_type="application/json").json()["id"]
    agent = api_client(agent_a)
    assert agent.get("/api/v1/sla-policies").status_code == 403
    assert agent.post("/api/v1/sla-policies", POLICY, content_type="application/json").status_code == 403
    assert agent.patch(f"/api/v1/sla-policies/{pk}", {"name": "x"}, content_type="application/json").status_code == 403
    assert agent.delete(f"/api/v1/sla-policies/{pk}").status_code == 403
    manager = api_client(manager_a)
    assert manager.get("/api/v1/sla-policies").status_code == 200
    assert manager.get(f"/api/v1/sla-policies/{pk}").status_code == 200
    denied = manager.patch(f"/api/v1/sla-policies/{pk}", {"name": "x"}, content_type="application/json")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    assert SlaPolicy.objects.get().name == "طلایی"


def test_policies_are_reordered(api_client, admin):
    client = api_client(admin)
    ids = [
        client.post("/api/v1/sla-policies", {**POLICY, "name": name}, content_type="application/json").json()["id"]
        for name in ("a", "b", "c")
    ]
    response = client.post("/api/v1/sla-policies/reorder", {"ids": [ids[2]]}, content_type="application/json")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [ids[2], ids[0], ids[1]]
    assert [row["id"] for row in client.get("/api/v1/sla-policies").json()] == [ids[2], ids[0], ids[1]]


def test_the_due_time_calculator_counts_business_time(api_client, manager_a, agent_a, db):
    Holiday.objects.create(date=parse_date("1405/01/12"), name="روز جمهوری اسلامی")
    Holiday.objects.create(date=parse_date("1405/01/13"), name="روز طبیعت")
    # Tuesday 11 Farvardin 1405, 15:30 Tehran (12:00 UTC) + 60: Saturday 15 Farvardin 08:30.
    payload = {"start": "2026-03-31T12:00:00Z", "minutes": 60}
    response = api_client(manager_a).post("/api/v1/sla-policies/due-time", payload, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["due_at_jalali"] == "1405/01/15 08:30"
    assert response.json()["due_at"] == "2026-04-04T05:00:00Z"
    # Before 1946 Tehran kept its local mean time (+03:25:44): the answer is still a valid RFC 3339 time.
    old = api_client(manager_a).post(
        "/api/v1/sla-policies/due-time",
        {"start": "1934-07-05T22:40:31.36-23:55", "minutes": 433},
        content_type="application/json",
    )
    assert old.status_code == 200 and old.json()["due_at"].endswith("Z")
    naive = api_client(manager_a).post(
        "/api/v1/sla-policies/due-time",
        {"start": "2026-03-31T12:00:00", "minutes": 60},
        content_type="application/json",
    )
    assert naive.status_code == 422 and "start" in naive.json()["error"]["fields"]
    refused = api_client(agent_a).post("/api/v1/sla-policies/due-time", payload, content_type="application/json")
    assert refused.status_code == 403


# --- holidays ---------------------------------------------------------------------------------------------


def test_everyone_reads_a_years_holidays_and_only_an_admin_changes_them(api_client, admin, agent_a):
    Holiday.objects.create(date=parse_date("1404/12/29"), name="ملی شدن نفت")  # 1404: not in 1405's list
    Holiday.objects.create(date=parse_date("1405/01/12"), name="روز جمهوری اسلامی")
    agent = api_client(agent_a)
    listed = agent.get("/api/v1/holidays", {"year": 1405})
    assert listed.status_code == 200
    assert [(row["jalali_date"], row["name"]) for row in listed.json()] == [("1405/01/12", "روز جمهوری اسلامی")]
    assert (
        agent.post("/api/v1/holidays", {"date": "1405/02/10", "name": "x"}, content_type="application/json").status_code
        == 403
    )
    assert agent.post("/api/v1/holidays/load", {"year": 1405}, content_type="application/json").status_code == 403
    pk = listed.json()[0]["id"]
    assert agent.delete(f"/api/v1/holidays/{pk}").status_code == 403
    assert Holiday.objects.count() == 2

    client = api_client(admin)
    added = client.post(
        "/api/v1/holidays", {"date": "1405/02/10", "name": "تعطیل شرکت"}, content_type="application/json"
    )
    assert added.status_code == 201 and added.json()["date"] == "2026-04-30"
    assert client.delete(f"/api/v1/holidays/{pk}").status_code == 204
    assert not Holiday.objects.filter(pk=pk).exists()


def test_a_bad_holiday_answers_422(api_client, admin):
    client = api_client(admin)
    response = client.post("/api/v1/holidays", {"date": "1405/14/01", "name": ""}, content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"date", "name"}


def test_an_admin_loads_the_official_list_of_a_year(api_client, admin):
    client = api_client(admin)
    response = client.post("/api/v1/holidays/load", {"year": 1405}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["added"] == Holiday.objects.count() > 20
    again = client.post("/api/v1/holidays/load", {"year": 1405}, content_type="application/json").json()
    assert again["added"] == 0
    missing = client.post("/api/v1/holidays/load", {"year": 1399}, content_type="application/json")
    assert missing.status_code == 422 and "year" in missing.json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/sla-policies", "/api/v1/holidays"])
def test_the_api_needs_a_login(api_client, path, db):
    assert api_client(None).get(path).status_code == 401
