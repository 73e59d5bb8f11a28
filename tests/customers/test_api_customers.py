"""The customers and organisations API as a client uses it: CRUD, lists, pages, look-up, timeline, consent,
session log-in with CSRF, and the refusal of bad input (422 naming the field, nothing saved)."""

import datetime as dt
import random

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from factories import CustomerFactory, InteractionFactory, OrganizationFactory
from peyvand.core.national_id import generate_legal_id, generate_national_code
from peyvand.customers.models import Customer, CustomerRevision, Interaction, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def error_fields(response):
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"]
    return error["fields"]


# --- create, read, update, delete ----------------------------------------------------------------------

CODE = generate_national_code(random.Random(3))


def _persian_with_dashes(code):
    return f"{code[:3]}-{code[3:9]}-{code[9]}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_agent_creates_a_customer_with_contact_points_normalised(client_a, agent_a, team_a):
    response = post(
        client_a,
        "/api/v1/customers",
        {
            "first_name": "علي",
            "last_name": "كريمي",
            "gender": "male",
            "birth_date": "1370/05/12",
            "national_id": _persian_with_dashes(CODE),
            "phones": [{"number": "0912 123 4567"}, {"number": "+98 21 8888 0000", "kind": "work", "is_primary": True}],
            "emails": [{"email": "Ali.Karimi@Example.COM"}],
            "addresses": [{"province": "تهران", "city": "تهران", "line": "خیابان ولیعصر", "postal_code": "۱۲۳۴۵۶۷۸۹۰"}],
            "tags": ["وفادار", " وفادار ", "عمده‌فروش"],
            "lifecycle_stage": "active",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["display_name"] == "علی کریمی"
    assert body["national_id"] == CODE
    assert body["birth_date"] == "1991-08-03"
    assert [(p["number"], p["is_primary"]) for p in body["phones"]] == [
        ("+982188880000", True),
        ("+989121234567", False),
    ]
    assert body["emails"] == [{"email": "ali.karimi@example.com", "kind": "work", "is_primary": True}]
    assert body["addresses"][0]["postal_code"] == "1234567890"
    assert sorted(body["tags"]) == sorted(["وفادار", "عمده‌فروش"])
    assert (body["owner_id"], body["team_id"]) == (agent_a.pk, team_a.pk)
    assert Customer.objects.get(pk=body["id"]).lifecycle_stage == "active"


def test_create_stores_a_national_code_written_with_persian_digits(client_a):
    code = generate_national_code(random.Random(7))
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = post(client_a, "/api/v1/customers", {"last_name": "رحیمی", "national_id": persian})
    assert response.status_code == 201, response.content
    assert response.json()["national_id"] == code


def test_get_returns_the_whole_customer(client_a, team_a):
    customer = CustomerFactory(team=team_a, phone="+989121234567")
    body = client_a.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["id"] == customer.pk
    assert body["phones"] == [{"number": "+989121234567", "kind": "mobile", "is_primary": True}]
    assert {"consents", "tags", "addresses", "custom_fields", "created_at", "updated_at"} <= set(body)


def test_patch_changes_only_the_fields_sent(client_a):
    created = post(
        client_a,
        "/api/v1/customers",
        {"first_name": "سارا", "last_name": "نوری", "phones": [{"number": "09121234567"}], "tags": ["vip"]},
    ).json()
    response = patch(client_a, f"/api/v1/customers/{created['id']}", {"job_title": "مدیر خرید", "notes": "تماس عصر"})
    assert response.status_code == 200
    body = response.json()
    assert (body["job_title"], body["notes"]) == ("مدیر خرید", "تماس عصر")
    assert body["first_name"] == "سارا"
    assert body["phones"] == created["phones"]
    assert body["tags"] == ["vip"]


def test_patch_replaces_a_list_and_keeps_one_primary(client_a):
    created = post(client_a, "/api/v1/customers", {"last_name": "نوری", "phones": [{"number": "09121234567"}]}).json()
    body = patch(
        client_a,
        f"/api/v1/customers/{created['id']}",
        {"phones": [{"number": "09351112233"}, {"number": "۰۹۳۵۱۱۱۲۲۳۳"}, {"number": "02188880000", "kind": "work"}]},
    ).json()
    assert [p["number"] for p in body["phones"]] == ["+989351112233", "+982188880000"]
    assert [p["is_primary"] for p in body["phones"]] == [True, False]


def test_patch_renames_and_updates_display_name(client_a):
    created = post(client_a, "/api/v1/customers", {"first_name": "رضا", "last_name": "نوری"}).json()
    body = patch(client_a, f"/api/v1/customers/{created['id']}", {"last_name": "نوری‌زاده"}).json()
    assert body["display_name"] == "رضا نوری‌زاده"


def test_manager_deletes_a_customer_and_it_disappears_everywhere(api_client, manager_a, team_a):
    customer = CustomerFactory(team=team_a, phone="+989121234567")
    client = api_client(manager_a)
    response = client.delete(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 404
    assert client.get("/api/v1/customers").json()["items"] == []
    assert client.get("/api/v1/customers/lookup", {"phone": "09121234567"}).json() == []
    customer.refresh_from_db()
    assert customer.deleted_at is not None  # kept for history, hidden from use


def test_deleting_twice_is_not_found(api_client, manager_a, team_a):
    customer = CustomerFactory(team=team_a)
    client = api_client(manager_a)
    client.delete(f"/api/v1/customers/{customer.pk}")
    assert client.delete(f"/api/v1/customers/{customer.pk}").status_code == 404


def test_unknown_customer_is_404_in_the_error_shape(client_a):
    response = client_a.get("/api/v1/customers/999999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": response.json()["error"]["message"], "fields": {}}
    }


# --- list: filters, order, cursor pages -----------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_list_filters_by_kind_stage_owner_team_tag_city_and_organisation(
    client_a, api_client, manager_a, agent_a, team_a, team_a_sub
):
    org = OrganizationFactory(team=team_a)
    person = CustomerFactory(team=team_a, owner=agent_a, lifecycle_stage="active", organization=org)
    other = CustomerFactory(team=team_a, lifecycle_stage="lost")
    sub = CustomerFactory(team=team_a_sub)
    person.tags.add(Tag.objects.create(name="وفادار"))
    person.addresses.create(city="اصفهان")
    other.addresses.create(city="تهران")
    client = api_client(manager_a)
    assert set(_ids(client.get("/api/v1/customers"))) == {org.pk, person.pk, other.pk, sub.pk}
    assert _ids(client.get("/api/v1/customers", {"kind": "organization"})) == [org.pk]
    assert set(_ids(client.get("/api/v1/customers", {"kind": "person"}))) == {person.pk, other.pk, sub.pk}
    assert _ids(client.get("/api/v1/customers", {"lifecycle_stage": "active"})) == [person.pk]
    assert _ids(client.get("/api/v1/customers", {"owner_id": agent_a.pk})) == [person.pk]
    assert _ids(client.get("/api/v1/customers", {"team_id": team_a_sub.pk})) == [sub.pk]
    assert _ids(client.get("/api/v1/customers", {"tag": "وفادار"})) == [person.pk]
    assert _ids(client.get("/api/v1/customers", {"city": "اصفهان"})) == [person.pk]
    assert _ids(client.get("/api/v1/customers", {"organization_id": org.pk})) == [person.pk]
    assert _ids(client.get("/api/v1/customers", {"lifecycle_stage": "active", "tag": "وفادار", "kind": "person"})) == [
        person.pk
    ]


def test_list_orders_by_name_or_age(client_a, team_a):
    names = ["بهرام", "آرش", "پریا", "ژاله"]
    made = [CustomerFactory(team=team_a, first_name=n, last_name="") for n in names]
    by_name = [c.pk for c in sorted(made, key=lambda c: c.display_name)]
    assert _ids(client_a.get("/api/v1/customers")) == by_name
    assert _ids(client_a.get("/api/v1/customers", {"order": "-name"})) == by_name[::-1]
    assert _ids(client_a.get("/api/v1/customers", {"order": "newest"})) == [c.pk for c in made[::-1]]
    assert _ids(client_a.get("/api/v1/customers", {"order": "oldest"})) == [c.pk for c in made]


@pytest.mark.parametrize("order", ["name", "-name", "newest", "oldest"])
def test_cursor_pages_cover_every_customer_once(client_a, team_a, order):
    # duplicate names make the tie-break on id matter
    made = {
        CustomerFactory(team=team_a, first_name=n, last_name="").pk for n in ["مینا", "مینا", "مینا", "آرش", "یاسر"]
    }
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, "order": order, **({"cursor": cursor} if cursor else {})}
        body = client_a.get("/api/v1/customers", params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made


def test_second_page_continues_where_the_first_ended(client_a, team_a):
    made = [CustomerFactory(team=team_a, first_name=f"مشتری {i:02d}", last_name="") for i in range(5)]
    first = client_a.get("/api/v1/customers", {"limit": 3}).json()
    assert [i["id"] for i in first["items"]] == [c.pk for c in made[:3]]
    second = client_a.get("/api/v1/customers", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [c.pk for c in made[3:]]
    assert second["next_cursor"] is None


def test_search_results_page_with_a_cursor_too(client_a, team_a):
    for i in range(5):
        CustomerFactory(team=team_a, first_name=f"نیما{i}", last_name="صدری")
    first = client_a.get("/api/v1/customers", {"q": "صدری", "limit": 2}).json()
    second = client_a.get("/api/v1/customers", {"q": "صدری", "limit": 2, "cursor": first["next_cursor"]}).json()
    third = client_a.get("/api/v1/customers", {"q": "صدری", "limit": 2, "cursor": second["next_cursor"]}).json()
    ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "WzFd",  # [1]: wrong length
        "e30",  # {}: not a list
        "W3t9LHt9XQ",  # [{}, {}]: objects instead of values
        "WyJhYmMiLCAiZGVmIl0",  # ["abc", "def"]: text where the id goes
        "WyJhIiwgWzFdXQ",  # ["a", [1]]
        "WyJcdTAwMDAiLCAxXQ",  # ["\u0000", 1]: a NUL PostgreSQL would refuse
        "!!!!",
        "۱۲۳",
    ],
)
def test_an_invalid_cursor_is_422_naming_the_cursor(client_a, team_a, cursor):
    CustomerFactory(team=team_a)
    fields = error_fields(client_a.get("/api/v1/customers", {"cursor": cursor}))
    assert list(fields) == ["cursor"]


def test_an_invalid_cursor_on_a_search_or_the_interactions_is_422(client_a, team_a):
    InteractionFactory(customer=CustomerFactory(team=team_a))
    assert "cursor" in error_fields(client_a.get("/api/v1/customers", {"q": "علی", "cursor": "WzEsMl0"}))
    assert "cursor" in error_fields(client_a.get("/api/v1/interactions", {"cursor": "WyJub3QgYSBkYXRlIiwgMV0"}))
    assert "cursor" in error_fields(client_a.get("/api/v1/interactions", {"cursor": "WzEsIDJd"}))


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ده"},
        {"order": "random"},
        {"kind": "x"},
        # a NUL character would reach PostgreSQL, which refuses it
        {"q": "علی\x00"},
        {"tag": "وفادار\x00"},
        {"city": "\x00"},
        {"lifecycle_stage": "active\x00"},
        # ids beyond the 64-bit column would overflow in the database
        {"owner_id": str(2**63)},
        {"team_id": str(10**30)},
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(client_a, params):
    assert set(error_fields(client_a.get("/api/v1/customers", params))) == set(params)


# --- caller-ID look-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["09121234567", "+98 912 123 4567", "0098-912-1234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567", "+989121234567"]
)
def test_lookup_finds_the_owner_of_a_number_written_any_way(client_a, team_a, written):
    owner = CustomerFactory(team=team_a, phone="+989121234567")
    CustomerFactory(team=team_a, phone="+989121234568")
    response = client_a.get("/api/v1/customers/lookup", {"phone": written})
    assert [c["id"] for c in response.json()] == [owner.pk]


@pytest.mark.parametrize("written", ["abc", "123", "", "0912"])
def test_lookup_of_something_that_is_not_a_number_finds_nobody(client_a, team_a, written):
    CustomerFactory(team=team_a, phone="+989121234567")
    response = client_a.get("/api/v1/customers/lookup", {"phone": written})
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json() == []


def test_lookup_finds_every_customer_sharing_a_number(client_a, team_a):
    both = {CustomerFactory(team=team_a, phone="+982188880000").pk for _ in range(2)}
    assert {c["id"] for c in client_a.get("/api/v1/customers/lookup", {"phone": "021-8888-0000"}).json()} == both


# --- timeline, history and consent --------------------------------------------------------------------


def test_timeline_merges_interactions_and_changes_newest_first(client_a):
    created = post(client_a, "/api/v1/customers", {"last_name": "نوری"}).json()
    customer = Customer.objects.get(pk=created["id"])
    long_ago = timezone.now() - dt.timedelta(days=30)
    InteractionFactory(customer=customer, occurred_at=long_ago, subject="تماس قدیمی")
    patch(client_a, f"/api/v1/customers/{customer.pk}", {"notes": "تغییر"})
    post(
        client_a,
        "/api/v1/interactions",
        {"customer_id": customer.pk, "channel": "sms", "direction": "out", "subject": "پیامک"},
    )
    items = client_a.get(f"/api/v1/customers/{customer.pk}/timeline").json()
    assert [i["kind"] for i in items] == ["interaction", "revision", "revision", "interaction"]
    assert items[0]["interaction"]["subject"] == "پیامک"
    assert items[1]["revision"]["action"] == "update"
    assert items[-1]["interaction"]["subject"] == "تماس قدیمی"
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)


def test_timeline_pages_back_with_before_and_limit(client_a, team_a):
    customer = CustomerFactory(team=team_a)
    now = timezone.now()
    for days in (1, 2, 3):
        InteractionFactory(customer=customer, occurred_at=now - dt.timedelta(days=days), subject=f"{days}")
    url = f"/api/v1/customers/{customer.pk}/timeline"
    assert [i["interaction"]["subject"] for i in client_a.get(url, {"limit": 2}).json()] == ["1", "2"]
    before = (now - dt.timedelta(days=1, hours=1)).isoformat()
    assert [i["interaction"]["subject"] for i in client_a.get(url, {"before": before}).json()] == ["2", "3"]
    assert "before" in error_fields(client_a.get(url, {"before": "دیروز"}))


def test_history_lists_each_revision_newest_first(client_a):
    created = post(client_a, "/api/v1/customers", {"last_name": "نوری"}).json()
    patch(client_a, f"/api/v1/customers/{created['id']}", {"notes": "یک"})
    history = client_a.get(f"/api/v1/customers/{created['id']}/history").json()
    assert [(r["number"], r["action"]) for r in history] == [(2, "update"), (1, "create")]


def test_consent_is_recorded_and_shown_on_the_customer_and_timeline(client_a, agent_a, team_a):
    customer = CustomerFactory(team=team_a)
    url = f"/api/v1/customers/{customer.pk}/consents"
    response = client_a.put(
        url, {"channel": "sms", "granted": True, "method": "verbal", "note": "تلفنی"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["granted"] is True
    client_a.put(url, {"channel": "sms", "granted": False, "method": "keyword"}, content_type="application/json")
    body = client_a.get(f"/api/v1/customers/{customer.pk}").json()
    assert [(c["channel"], c["granted"], c["method"]) for c in body["consents"]] == [("sms", False, "keyword")]
    timeline = client_a.get(f"/api/v1/customers/{customer.pk}/timeline").json()
    assert [i["interaction"]["channel"] for i in timeline] == ["system", "system"]
    assert customer.consents.get().recorded_by == agent_a


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "fax", "granted": True, "method": "verbal"}, "channel"),
        ({"channel": "sms", "granted": True, "method": "telepathy"}, "method"),
        ({"channel": "sms", "method": "verbal"}, "granted"),
        ({"channel": "sms", "granted": True, "method": "verbal", "recorded_at": "2999-01-01T00:00:00Z"}, "recorded_at"),
        ({"channel": "sms", "granted": True, "method": "verbal", "why": "x"}, "why"),
    ],
)
def test_bad_consent_is_422_naming_the_field(client_a, team_a, data, field):
    customer = CustomerFactory(team=team_a)
    response = client_a.put(f"/api/v1/customers/{customer.pk}/consents", data, content_type="application/json")
    assert field in error_fields(response)
    assert not customer.consents.exists()


# --- organisations ---------------------------------------------------------------------------------


def test_organisation_is_created_with_a_valid_legal_id(client_a):
    legal_id = generate_legal_id(random.Random(5))
    response = post(client_a, "/api/v1/organizations", {"name": "شرکت پیوند", "national_id": legal_id})
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["national_id"]) == ("organization", legal_id)


def test_organisation_endpoint_always_creates_an_organisation(client_a):
    response = post(client_a, "/api/v1/organizations", {"kind": "person", "name": "شرکت پیوند"})
    assert response.json()["kind"] == "organization"


def test_organisations_list_holds_only_organisations(client_a, team_a):
    org = OrganizationFactory(team=team_a)
    CustomerFactory(team=team_a)
    assert _ids(client_a.get("/api/v1/organizations")) == [org.pk]


def test_a_person_is_not_found_as_an_organisation(client_a, team_a):
    person = CustomerFactory(team=team_a)
    for response in (
        client_a.get(f"/api/v1/organizations/{person.pk}"),
        patch(client_a, f"/api/v1/organizations/{person.pk}", {"notes": "x"}),
        client_a.delete(f"/api/v1/organizations/{person.pk}"),
        client_a.get(f"/api/v1/organizations/{person.pk}/tree"),
        client_a.get(f"/api/v1/organizations/{person.pk}/contacts"),
    ):
        assert response.status_code == 404


def test_organisation_is_read_changed_and_deleted(api_client, manager_a, team_a):
    client = api_client(manager_a)
    org = post(client, "/api/v1/organizations", {"name": "شرکت پیوند"}).json()
    url = f"/api/v1/organizations/{org['id']}"
    assert client.get(url).json()["name"] == "شرکت پیوند"
    assert patch(client, url, {"name": "گروه پیوند"}).json()["display_name"] == "گروه پیوند"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_organisation_tree_shows_every_level_in_order(client_a, team_a):
    root = post(client_a, "/api/v1/organizations", {"name": "هلدینگ"}).json()["id"]
    child = post(client_a, "/api/v1/organizations", {"name": "شرکت فرزند", "parent_id": root}).json()["id"]
    grandchild = post(client_a, "/api/v1/organizations", {"name": "نوه", "parent_id": child}).json()["id"]
    tree = client_a.get(f"/api/v1/organizations/{root}/tree").json()
    assert [(n["id"], n["depth"], n["parent_id"]) for n in tree] == [
        (root, 0, None),
        (child, 1, root),
        (grandchild, 2, child),
    ]
    assert [n["id"] for n in client_a.get(f"/api/v1/organizations/{child}/tree").json()] == [child, grandchild]


def test_organisation_contacts_are_its_people_in_pages(client_a, team_a):
    org = post(client_a, "/api/v1/organizations", {"name": "شرکت پیوند"}).json()["id"]
    people = [
        post(client_a, "/api/v1/customers", {"last_name": f"کارمند {i}", "organization_id": org}).json()["id"]
        for i in range(3)
    ]
    CustomerFactory(team=team_a)  # not a contact
    first = client_a.get(f"/api/v1/organizations/{org}/contacts", {"limit": 2}).json()
    second = client_a.get(f"/api/v1/organizations/{org}/contacts", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in first["items"] + second["items"]] == people
    assert second["next_cursor"] is None
    assert "cursor" in error_fields(client_a.get(f"/api/v1/organizations/{org}/contacts", {"cursor": "bad"}))


def test_organisation_cannot_become_its_own_ancestor(client_a):
    a = post(client_a, "/api/v1/organizations", {"name": "الف"}).json()["id"]
    b = post(client_a, "/api/v1/organizations", {"name": "ب", "parent_id": a}).json()["id"]
    c = post(client_a, "/api/v1/organizations", {"name": "ج", "parent_id": b}).json()["id"]
    revisions = CustomerRevision.objects.count()
    for target in (b, c, a):
        assert "parent_id" in error_fields(patch(client_a, f"/api/v1/organizations/{a}", {"parent_id": target}))
    assert Customer.objects.get(pk=a).parent_id is None
    assert CustomerRevision.objects.count() == revisions


def test_person_cannot_have_a_parent_and_organisation_cannot_be_a_contact(client_a, team_a):
    org = OrganizationFactory(team=team_a)
    person = CustomerFactory(team=team_a)
    assert "parent_id" in error_fields(post(client_a, "/api/v1/customers", {"last_name": "x", "parent_id": org.pk}))
    assert "organization_id" in error_fields(
        post(client_a, "/api/v1/organizations", {"name": "x", "organization_id": org.pk})
    )
    # a contact's organisation must be an organisation
    assert "organization_id" in error_fields(
        post(client_a, "/api/v1/customers", {"last_name": "x", "organization_id": person.pk})
    )


# --- session log-in (the pages call the API with HTMX) --------------------------------------------


@pytest.fixture
def browser(agent_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a)
    return client


def test_logged_in_session_reads_the_api(browser, team_a):
    customer = CustomerFactory(team=team_a)
    assert _ids(browser.get("/api/v1/customers")) == [customer.pk]


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/api/v1/customers", {"last_name": "بدون توکن"}),
        ("patch", "/api/v1/customers/{pk}", {"notes": "بدون توکن"}),
        ("delete", "/api/v1/customers/{pk}", None),
        ("put", "/api/v1/customers/{pk}/consents", {"channel": "sms", "granted": True, "method": "verbal"}),
        ("post", "/api/v1/interactions", {"customer_id": "{pk}", "channel": "call", "direction": "in", "subject": "x"}),
    ],
)
def test_session_write_without_csrf_token_is_refused_and_saves_nothing(browser, team_a, method, url, data):
    customer = CustomerFactory(team=team_a)
    if data and data.get("customer_id"):
        data = {**data, "customer_id": customer.pk}
    revisions = CustomerRevision.objects.count()
    response = getattr(browser, method)(url.format(pk=customer.pk), data, content_type="application/json")
    assert response.status_code == 403
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    customer.refresh_from_db()
    assert (customer.notes, customer.deleted_at) == ("", None)
    assert Customer.objects.count() == 1
    assert CustomerRevision.objects.count() == revisions
    assert not customer.consents.exists()
    assert not customer.interactions.exists()


def test_session_write_with_csrf_token_succeeds(browser):
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    response = browser.post(
        "/api/v1/customers", {"last_name": "با توکن"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.content


def test_session_write_with_a_wrong_csrf_token_is_refused(browser):
    browser.cookies["csrftoken"] = _get_new_csrf_string()
    response = browser.post(
        "/api/v1/customers",
        {"last_name": "توکن نادرست"},
        content_type="application/json",
        headers={"X-CSRFToken": _get_new_csrf_string()},
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_bearer_token_writes_need_no_csrf_token(agent_a):
    from peyvand.accounts.services import api_token_create

    _row, token = api_token_create(user=agent_a)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token}"})
    assert client.post("/api/v1/customers", {"last_name": "x"}, content_type="application/json").status_code == 201


def test_inactive_users_session_is_refused(agent_a):
    client = Client()
    client.force_login(agent_a)
    agent_a.is_active = False
    agent_a.save()
    assert client.get("/api/v1/customers").status_code == 401


# --- bad input: 422 naming the field, nothing saved --------------------------------------------------

VALID_CODE = generate_national_code(random.Random(11))
BAD_CODE = VALID_CODE[:9] + str((int(VALID_CODE[9]) + 1) % 10)
FUTURE = (timezone.localdate() + dt.timedelta(days=400)).isoformat()

BAD_PEOPLE = [
    ({"phones": [{"number": "123"}]}, "phones.0.number"),
    ({"phones": [{"number": "09121234567"}, {"number": "۰۹۱۲"}]}, "phones.1.number"),
    ({"phones": [{"number": "0912-CALL-ME"}]}, "phones.0.number"),
    ({"phones": [{"number": "09121234567", "kind": "pager"}]}, "phones.0.kind"),
    ({"national_id": BAD_CODE}, "national_id"),
    ({"national_id": "1111111111"}, "national_id"),
    ({"national_id": "12345"}, "national_id"),
    ({"emails": [{"email": "not-an-email"}]}, "emails.0.email"),
    ({"emails": [{"email": "a@b"}]}, "emails.0.email"),
    ({"birth_date": "1403/13/01"}, "birth_date"),
    ({"birth_date": "1403/12/31"}, "birth_date"),  # Esfand never has a 31st
    ({"birth_date": "دیروز"}, "birth_date"),
    ({"birth_date": FUTURE}, "birth_date"),
    ({"birth_date": "1850-01-01"}, "birth_date"),
    ({"addresses": [{"city": "تهران", "postal_code": "123"}]}, "addresses.0.postal_code"),
    ({"gender": "other"}, "gender"),
    ({"lifecycle_stage": "vip"}, "lifecycle_stage"),
    ({"source": "telepathy"}, "source"),
    ({"shoe_size": 42}, "shoe_size"),
    ({"phones": [{"number": "09121234567", "extension": "12"}]}, "phones.0.extension"),
    ({"custom_fields": {"no_such_field": 1}}, "custom_fields.no_such_field"),
    ({"first_name": 5}, "first_name"),
    ({"phones": "09121234567"}, "phones"),
    ({"tags": "vip"}, "tags"),
    ({"owner_id": "someone"}, "owner_id"),
    ({"phones": [{"number": "09121234567", "is_primary": "maybe"}]}, "phones.0.is_primary"),
    ({"last_name": "ب" * 101}, "last_name"),
    ({"notes": "ن" * 20001}, "notes"),
    ({"first_name": "x" * 1_000_000}, "first_name"),
    ({"phones": [{"number": "0" * 41}]}, "phones.0.number"),
    ({"tags": ["t"] * 51}, "tags"),
    # clean_text unfolds the ligature «ﷺ» into 18 letters: fine for the schema, too long for the column
    ({"first_name": "ﷺ" * 10}, "first_name"),
    ({"last_name": "نوری\x00"}, "last_name"),
    ({"tags": ["ok", "bad\x00"]}, "tags"),
]


@pytest.mark.parametrize(("data", "field"), BAD_PEOPLE, ids=[f for _d, f in BAD_PEOPLE])
def test_invalid_person_is_422_naming_the_field_and_saves_nothing(client_a, data, field):
    payload = {"last_name": "نوری", **data}
    response = post(client_a, "/api/v1/customers", payload)
    assert field in error_fields(response), response.json()
    assert Customer.objects.count() == 0
    assert CustomerRevision.objects.count() == 0
    assert Tag.objects.count() == 0


@pytest.mark.parametrize(("data", "field"), BAD_PEOPLE, ids=[f for _d, f in BAD_PEOPLE])
def test_invalid_patch_is_422_naming_the_field_and_changes_nothing(client_a, data, field):
    created = post(client_a, "/api/v1/customers", {"last_name": "نوری", "phones": [{"number": "09121234567"}]}).json()
    customer = Customer.objects.get(pk=created["id"])
    response = patch(client_a, f"/api/v1/customers/{customer.pk}", data)
    assert field in error_fields(response)
    assert client_a.get(f"/api/v1/customers/{customer.pk}").json() == created
    assert customer.revisions.count() == 1


def test_several_bad_fields_are_named_together(client_a):
    fields = error_fields(
        post(
            client_a,
            "/api/v1/customers",
            {"last_name": "x", "national_id": BAD_CODE, "phones": [{"number": "1"}], "emails": [{"email": "@"}]},
        )
    )
    assert {"national_id", "phones.0.number", "emails.0.email"} <= set(fields)


def test_person_without_any_name_is_refused(client_a):
    assert "last_name" in error_fields(post(client_a, "/api/v1/customers", {"first_name": "  ", "last_name": ""}))
    assert "last_name" in error_fields(post(client_a, "/api/v1/customers", {}))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"national_id": "12345678901"}, "national_id"),
        ({"national_id": VALID_CODE}, "national_id"),  # a person's code is not an organisation's ID
        ({"name": ""}, "name"),
        ({"name": "ش" * 201}, "name"),
    ],
)
def test_invalid_organisation_is_422_naming_the_field(client_a, data, field):
    response = post(client_a, "/api/v1/organizations", {"name": "شرکت پیوند", **data})
    assert field in error_fields(response)
    assert Customer.objects.count() == 0


def test_a_customer_cannot_change_kind(client_a):
    person = post(client_a, "/api/v1/customers", {"last_name": "نوری"}).json()
    org = post(client_a, "/api/v1/organizations", {"name": "شرکت"}).json()
    assert "kind" in error_fields(patch(client_a, f"/api/v1/customers/{person['id']}", {"kind": "organization"}))
    assert "kind" in error_fields(patch(client_a, f"/api/v1/organizations/{org['id']}", {"kind": "person"}))
    assert Customer.objects.get(pk=person["id"]).kind == "person"
    assert Customer.objects.get(pk=org["id"]).kind == "organization"


@pytest.mark.parametrize(
    "body",
    ['{"last_name": ', "not json at all", "[1, 2, 3]", '"just a string"', "null", "1e999"],
)
def test_a_body_that_is_not_a_json_object_gets_a_json_error(client_a, body):
    response = client_a.post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert Customer.objects.count() == 0


def test_a_form_encoded_body_gets_a_json_error(client_a):
    response = client_a.post("/api/v1/customers", {"last_name": "نوری"})
    assert response.status_code in (400, 415, 422)
    assert "error" in response.json()
    assert Customer.objects.count() == 0


def test_a_moment_with_any_offset_is_stored_in_utc_and_one_out_of_range_is_a_422(client_a, team_a):
    customer = CustomerFactory(team=team_a)
    # pydantic reads offsets up to ±23:59; PostgreSQL's own parser stops at ±15:59, so the API converts first.
    created = post(
        client_a,
        "/api/v1/interactions",
        {
            "customer_id": customer.pk,
            "channel": "call",
            "direction": "in",
            "subject": "x",
            "occurred_at": "2025-01-12T09:40:32-16:50",
        },
    )
    assert created.status_code == 201, created.content
    stored = Interaction.objects.get(pk=created.json()["id"]).occurred_at
    assert stored == dt.datetime(2025, 1, 13, 2, 30, 32, tzinfo=dt.UTC)
    found = client_a.get("/api/v1/interactions", {"since": "2025-01-12T09:40:00-16:50", "customer_id": customer.pk})
    assert [i["id"] for i in found.json()["items"]] == [created.json()["id"]]
    # Without an offset: the site's time zone (Tehran, +03:30).
    naive = post(
        client_a,
        "/api/v1/interactions",
        {
            "customer_id": customer.pk,
            "channel": "call",
            "direction": "in",
            "subject": "y",
            "occurred_at": "2025-01-12T09:30:00",
        },
    )
    assert Interaction.objects.get(pk=naive.json()["id"]).occurred_at == dt.datetime(2025, 1, 12, 6, 0, tzinfo=dt.UTC)
    # So near the start of time that in UTC it would fall before year 1.
    response = client_a.get("/api/v1/interactions", {"since": "0001-01-01T00:00:00+10:00"})
    assert response.status_code == 422
    assert "since" in response.json()["error"]["fields"]
