import pytest

pytestmark = pytest.mark.django_db


def test_it_creates_and_finds_a_customer_by_arabic_letters(agent_a, api_client):
    client = api_client(agent_a)
    r = client.post("/api/v1/customers", {"first_name": "علي", "last_name": "كريمي",
                                           "phones": [{"number": "۰۹۱۲۱۲۳۴۵۶۷"}]}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["display_name"] == "علی کریمی"
    assert body["phones"][0]["number"] == "+989121234567"
    r = client.get("/api/v1/customers", {"q": "علی"})
    assert [c["id"] for c in r.json()["items"]] == [body["id"]]
    r = client.get("/api/v1/customers/lookup", {"phone": "0098-912-1234567"})
    assert [c["id"] for c in r.json()] == [body["id"]]
