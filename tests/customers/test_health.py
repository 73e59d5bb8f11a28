"""Data health: exact counts of each fixable problem, and links that list exactly those customers."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import CustomerFactory
from peyvand.customers import page_queries, selectors
from peyvand.customers.health import data_health, health_list_url
from peyvand.customers.models import Consent, CustomerPhone, DuplicateCandidate

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - dt.timedelta(days=800)


@pytest.fixture
def fixture(team_a, team_b):
    def make(name, *, phones=(), national_id="", consent=False, last=NOW, team=team_a, deleted=False):
        customer = CustomerFactory(
            first_name=name,
            last_name="آزمون",
            national_id=national_id,
            team=team,
            last_interaction_at=last,
            deleted_at=NOW if deleted else None,
        )
        for number in phones:
            CustomerPhone.objects.create(customer=customer, number=number)
        if consent:
            Consent.objects.create(customer=customer, channel="sms", granted=True, recorded_at=NOW, method="written")
        return customer

    c = {
        "clean": make("پاک", phones=["+989121234567"], national_id="0076229645", consent=True),
        "no_phone": make("بی‌تلفن", consent=True),
        "bad_phone": make("تلفن‌بد", phones=["09121234567"], national_id="1234567890", last=OLD),
        "short_phone": make("کوتاه", phones=["+98912123"], consent=True, last=None),
        "repdigit": make("تکراری", phones=["+14155552671"], national_id="1111111111", consent=True),
        "dup_a": make("یک", phones=["+989350000001"], consent=True),
        "dup_b": make("دو", phones=["+989350000002"], consent=True),
        "other_team": make("دیگر", team=team_b),
        "deleted": make("حذف", deleted=True),
    }
    org = CustomerFactory(
        kind="organization",
        first_name="",
        last_name="",
        name="شرکت",
        national_id="10380284790",
        team=team_a,
        last_interaction_at=NOW,
    )
    CustomerPhone.objects.create(customer=org, number="+982188880000")
    Consent.objects.create(customer=org, channel="email", granted=False, recorded_at=NOW, method="written")
    c["org"] = org
    DuplicateCandidate.objects.create(first=c["dup_a"], second=c["dup_b"], kind="certain", found_by="scan")
    # Pairs that do not count: a dismissed one, and one whose other side is deleted.
    DuplicateCandidate.objects.create(
        first=c["clean"], second=c["no_phone"], kind="certain", found_by="scan", status="dismissed"
    )
    DuplicateCandidate.objects.create(first=c["bad_phone"], second=c["deleted"], kind="certain", found_by="scan")
    return c


EXPECTED = {
    "missing_phone": {"no_phone"},
    "invalid_phone": {"bad_phone", "short_phone"},
    "invalid_national_id": {"bad_phone", "repdigit"},
    "no_consent": {"bad_phone"},
    "inactive": {"bad_phone", "short_phone"},
    "duplicates": {"dup_a", "dup_b"},
}


def test_the_counts_are_exact_and_each_filter_lists_exactly_those(fixture, manager_a, api_client):
    counts = data_health(manager_a)
    assert counts == {"total": 8, **{key: len(names) for key, names in EXPECTED.items()}}
    client = api_client(manager_a)
    for problem, names in EXPECTED.items():
        wanted = {fixture[n].pk for n in names}
        where = selectors.customer_filter(health=problem)
        assert set(selectors.customers_visible_to(manager_a).filter(where).values_list("pk", flat=True)) == wanted
        listed = client.get(f"/api/v1/customers?health={problem}&limit=200").json()["items"]
        assert {item["id"] for item in listed} == wanted, problem
        filters = page_queries.ListFilters.from_query({"health": problem})
        page = page_queries.customer_list_page(user=manager_a, filters=filters, limit=100)
        assert {c.pk for c in page.items} == wanted, problem


def test_inactive_follows_the_months_asked_for(fixture, manager_a, api_client):
    three_months_ago = NOW - dt.timedelta(days=95)
    fixture["clean"].last_interaction_at = three_months_ago
    fixture["clean"].save(update_fields=["last_interaction_at"])
    assert data_health(manager_a, inactive_months=2)["inactive"] == 3
    assert data_health(manager_a)["inactive"] == 2
    listed = api_client(manager_a).get("/api/v1/customers?health=inactive&inactive_months=2").json()["items"]
    assert len(listed) == 3
    assert health_list_url("inactive", inactive_months=2).endswith("health=inactive&months=2")


def test_the_health_api(fixture, manager_a, agent_b, api_client):
    body = api_client(manager_a).get("/api/v1/customers/health").json()
    assert body["total"] == 8
    assert {k: v["count"] for k, v in body["problems"].items()} == {k: len(v) for k, v in EXPECTED.items()}
    assert body["problems"]["missing_phone"]["list_url"] == reverse("customers:list") + "?health=missing_phone"
    # agent_b sees only team B's customer, who has every problem but an invalid phone or national code.
    other = api_client(agent_b).get("/api/v1/customers/health").json()
    assert other["total"] == 1
    assert other["problems"]["missing_phone"]["count"] == 1
    assert other["problems"]["duplicates"]["count"] == 0


def test_the_health_page_links_each_count_to_its_list(fixture, manager_a):
    client = Client()
    client.force_login(manager_a)
    page = client.get(reverse("customers:health"))
    assert page.status_code == 200
    body = page.content.decode()
    for problem in EXPECTED:
        assert f'href="{health_list_url(problem)}"' in body
    listing = client.get(health_list_url("missing_phone"))
    assert listing.status_code == 200
    assert fixture["no_phone"].display_name in listing.content.decode()
    assert fixture["clean"].display_name not in listing.content.decode()
