"""A customer's tier, which routing rules look at: set and read through the API, the customer pages, the export
and the import, and used to send a key account's ticket to its dedicated team."""

import csv
import io

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from factories import CustomerFactory, TeamFactory
from peyvand.customers.importing.engine import run_import
from peyvand.customers.importing.jobs import import_job_create
from peyvand.customers.models import Customer, ImportStatus
from peyvand.service.models import RoutingRule, Ticket
from peyvand.service.routing import route_ticket

pytestmark = pytest.mark.django_db


def _json(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def _page_client(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_api_sets_reads_and_clears_the_tier(api_client, agent_a):
    client = api_client(agent_a)
    response = _json(client, "post", "/api/v1/customers", {"last_name": "کریمی", "tier": "gold"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tier"] == "gold"
    assert client.get(f"/api/v1/customers/{body['id']}").json()["tier"] == "gold"

    response = _json(client, "patch", f"/api/v1/customers/{body['id']}", {"tier": ""})
    assert response.status_code == 200
    assert Customer.objects.get(pk=body["id"]).tier == ""


def test_the_api_refuses_a_tier_that_does_not_exist(api_client, agent_a):
    response = _json(api_client(agent_a), "post", "/api/v1/customers", {"last_name": "کریمی", "tier": "platinum"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["tier"]
    assert not Customer.objects.exists()


def test_the_customer_form_saves_the_tier_and_the_page_shows_it(agent_a):
    client = _page_client(agent_a)
    response = client.post(
        reverse("customers:create"),
        {
            "kind": "person",
            "first_name": "زهرا",
            "last_name": "رضایی",
            "lifecycle_stage": "active",
            "tier": "silver",
            "phones-0-number": "",
            "phones-0-kind": "mobile",
            "phones-primary": "0",
            "emails-0-email": "",
            "emails-0-kind": "work",
            "addresses-0-kind": "home",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert customer.tier == "silver"
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "<dt>Tier</dt><dd>Silver</dd>" in page
    edit = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="tier"' in edit
    assert '<option value="silver" selected>' in edit


def test_the_export_has_a_tier_column(api_client, agent_a, team_a):
    CustomerFactory(team=team_a, owner=agent_a, tier="gold", last_name="کریمی")
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "csv", "lang": "en"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row["Tier"] for row in rows] == ["Gold"]


def test_the_import_reads_the_tier_in_persian(agent_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = "نام,نام خانوادگی,سطح مشتری\r\nعلی,محمدی,طلایی\r\nسارا,کریمی,Bronze\r\n".encode()
    job = import_job_create(by=agent_a, stream=io.BytesIO(data), file_name="customers.csv")
    job = run_import(job.pk)
    assert job.status == ImportStatus.DONE, job.message
    assert dict(Customer.objects.values_list("last_name", "tier")) == {"محمدی": "gold", "کریمی": "bronze"}


def test_a_key_account_set_through_the_api_is_routed_to_its_dedicated_team(api_client, agent_a, team_a):
    key_accounts = TeamFactory(name="مشتریان کلیدی")
    RoutingRule.objects.create(name="key accounts", team=key_accounts, conditions={"customer_tier": ["gold"]})
    body = _json(api_client(agent_a), "post", "/api/v1/customers", {"last_name": "کریمی", "tier": "gold"}).json()
    ticket = Ticket(subject="سلام", customer=Customer.objects.get(pk=body["id"]))
    assert route_ticket(ticket).team == key_accounts
