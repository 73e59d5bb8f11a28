"""Who may read and change which customer through the API: the permission matrix, by role and team."""

import pytest
from django.test import Client

from factories import CustomerFactory, InteractionFactory, OrganizationFactory
from peyvand.customers.models import Customer, CustomerRevision, Interaction

pytestmark = pytest.mark.django_db

USERS = ["admin", "manager_a", "agent_a", "agent_a_sub", "agent_b"]
# Each customer's team and owner, and a phone and a unique name part to find it by.
CUSTOMERS = {
    "team_a": ("team_a", "agent_a", "09121110001"),
    "team_a_sub": ("team_a_sub", "agent_a_sub", "09121110002"),
    "team_b": ("team_b", "agent_b", "09121110003"),
    "team_b_owned_by_agent_a": ("team_b", "agent_a", "09121110004"),
    "no_team": (None, None, "09121110005"),
}
VISIBLE = {
    "admin": set(CUSTOMERS),
    # a manager sees their team and every sub-team, nothing else
    "manager_a": {"team_a", "team_a_sub"},
    # an agent sees their own team (not its sub-teams) and what they own anywhere
    "agent_a": {"team_a", "team_b_owned_by_agent_a"},
    "agent_a_sub": {"team_a_sub"},
    "agent_b": {"team_b", "team_b_owned_by_agent_a"},
}
MATRIX = [(user, key) for user in USERS for key in CUSTOMERS]
CAN_DELETE_AND_RESTORE = {"admin", "manager_a"}
SURNAME = "دهقان‌پور"


@pytest.fixture
def world(request, admin, manager_a, agent_a, agent_a_sub, agent_b, team_a, team_a_sub, team_b):
    """One customer per (team, owner) combination, each with a phone and an interaction logged by its owner."""
    customers = {}
    for key, (team, owner, phone) in CUSTOMERS.items():
        owner_user = request.getfixturevalue(owner) if owner else None
        customer = CustomerFactory(
            first_name=key.replace("_", " "),
            last_name=SURNAME,
            team=request.getfixturevalue(team) if team else None,
            owner=owner_user,
            phone="+98" + phone[1:],
        )
        InteractionFactory(customer=customer, by=owner_user, subject=f"تماس {key}")
        customers[key] = customer
    return customers


def _user(request, name):
    return request.getfixturevalue(name)


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code


def _assert_not_found(response):
    _assert_error(response, 404, "not_found")


# --- one customer, every action -----------------------------------------------------------------------


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_staff_read_a_customer_only_within_their_reach(request, world, api_client, user, key):
    response = api_client(_user(request, user)).get(f"/api/v1/customers/{world[key].pk}")
    if key in VISIBLE[user]:
        assert response.status_code == 200
        assert response.json()["id"] == world[key].pk
    else:
        _assert_not_found(response)


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_staff_change_a_customer_only_within_their_reach(request, world, api_client, user, key):
    customer = world[key]
    revisions = CustomerRevision.objects.filter(customer=customer).count()
    response = api_client(_user(request, user)).patch(
        f"/api/v1/customers/{customer.pk}", {"notes": "یادداشت تازه"}, content_type="application/json"
    )
    customer.refresh_from_db()
    if key in VISIBLE[user]:
        assert response.status_code == 200
        assert customer.notes == "یادداشت تازه"
    else:
        _assert_not_found(response)
        assert customer.notes == ""
        assert CustomerRevision.objects.filter(customer=customer).count() == revisions


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_timeline_history_consents_and_interactions_are_hidden_outside_reach(request, world, api_client, user, key):
    client = api_client(_user(request, user))
    pk = world[key].pk
    responses = [
        client.get(f"/api/v1/customers/{pk}/timeline"),
        client.get(f"/api/v1/customers/{pk}/history"),
        client.put(
            f"/api/v1/customers/{pk}/consents",
            {"channel": "sms", "granted": True, "method": "verbal"},
            content_type="application/json",
        ),
        client.post(
            "/api/v1/interactions",
            {"customer_id": pk, "channel": "call", "direction": "out", "subject": "پیگیری"},
            content_type="application/json",
        ),
    ]
    if key in VISIBLE[user]:
        assert [r.status_code for r in responses] == [200, 200, 200, 201]
    else:
        for response in responses:
            _assert_not_found(response)
        assert not world[key].consents.exists()
        assert world[key].interactions.count() == 1


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_an_interaction_is_hidden_outside_reach(request, world, api_client, user, key):
    client = api_client(_user(request, user))
    interaction = world[key].interactions.get()
    url = f"/api/v1/interactions/{interaction.pk}"
    if key in VISIBLE[user]:
        assert client.get(url).status_code == 200
        return
    _assert_not_found(client.get(url))
    _assert_not_found(client.patch(url, {"subject": "دستکاری"}, content_type="application/json"))
    _assert_not_found(client.delete(url))
    interaction.refresh_from_db()
    assert interaction.subject == f"تماس {key}"


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_only_managers_and_admins_delete_and_only_within_reach(request, world, api_client, user, key):
    customer = world[key]
    response = api_client(_user(request, user)).delete(f"/api/v1/customers/{customer.pk}")
    customer.refresh_from_db()
    if key not in VISIBLE[user]:
        _assert_not_found(response)
        assert customer.deleted_at is None
    elif user in CAN_DELETE_AND_RESTORE:
        assert response.status_code == 204
        assert customer.deleted_at is not None
    else:
        _assert_error(response, 403, "forbidden")
        assert customer.deleted_at is None


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_only_managers_and_admins_restore_and_only_within_reach(request, world, api_client, admin, user, key):
    customer = world[key]
    # a first revision to go back to, then a change
    api_client(admin).patch(f"/api/v1/customers/{customer.pk}", {"notes": "نسخه ۱"}, content_type="application/json")
    api_client(admin).patch(f"/api/v1/customers/{customer.pk}", {"notes": "نسخه ۲"}, content_type="application/json")
    revisions = customer.revisions.count()
    first = customer.revisions.order_by("number").first()
    response = api_client(_user(request, user)).post(f"/api/v1/customers/{customer.pk}/history/{first.number}/restore")
    customer.refresh_from_db()
    if key not in VISIBLE[user]:
        _assert_not_found(response)
    elif user in CAN_DELETE_AND_RESTORE:
        assert response.status_code == 200
        assert customer.revisions.count() == revisions + 1
        return
    else:
        _assert_error(response, 403, "forbidden")
    assert customer.notes == "نسخه ۲"
    assert customer.revisions.count() == revisions


# --- lists and look-ups never include what is out of reach ---------------------------------------------


def _names(items):
    return {item["display_name"].replace(f" {SURNAME}", "").replace(" ", "_") for item in items}


@pytest.mark.parametrize("user", USERS)
def test_customer_list_shows_exactly_the_customers_in_reach(request, world, api_client, user):
    response = api_client(_user(request, user)).get("/api/v1/customers", {"limit": 200})
    assert response.status_code == 200
    assert _names(response.json()["items"]) == VISIBLE[user]


@pytest.mark.parametrize("user", USERS)
def test_search_never_shows_customers_out_of_reach(request, world, api_client, user):
    response = api_client(_user(request, user)).get("/api/v1/customers", {"q": SURNAME})
    assert _names(response.json()["items"]) == VISIBLE[user]


@pytest.mark.parametrize(("user", "key"), MATRIX)
def test_phone_lookup_never_shows_customers_out_of_reach(request, world, api_client, user, key):
    phone = CUSTOMERS[key][2]
    client = api_client(_user(request, user))
    looked_up = [c["id"] for c in client.get("/api/v1/customers/lookup", {"phone": phone}).json()]
    searched = [c["id"] for c in client.get("/api/v1/customers", {"q": phone}).json()["items"]]
    expected = [world[key].pk] if key in VISIBLE[user] else []
    assert looked_up == expected
    assert searched == expected


@pytest.mark.parametrize("user", USERS)
def test_interaction_list_shows_only_interactions_of_customers_in_reach(request, world, api_client, user):
    items = api_client(_user(request, user)).get("/api/v1/interactions", {"limit": 200}).json()["items"]
    assert {i["subject"].removeprefix("تماس ") for i in items} == VISIBLE[user]


@pytest.mark.parametrize("user", USERS)
def test_interaction_list_filtered_by_a_customer_out_of_reach_is_empty(request, world, api_client, user):
    client = api_client(_user(request, user))
    for key, customer in world.items():
        items = client.get("/api/v1/interactions", {"customer_id": customer.pk}).json()["items"]
        assert len(items) == (1 if key in VISIBLE[user] else 0)


# --- organisations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS)
def test_organisations_of_another_team_are_not_found(request, api_client, team_a, team_b, user):
    own = OrganizationFactory(name="شرکت الف", team=team_a)
    other = OrganizationFactory(name="شرکت ب", team=team_b)
    visible = {
        "admin": {own, other},
        "manager_a": {own},
        "agent_a": {own},
        "agent_a_sub": set(),
        "agent_b": {other},
    }[user]
    client = api_client(_user(request, user))
    listed = {o["id"] for o in client.get("/api/v1/organizations").json()["items"]}
    assert listed == {o.pk for o in visible}
    for org in (own, other):
        base = f"/api/v1/organizations/{org.pk}"
        responses = [
            client.get(base),
            client.get(f"{base}/tree"),
            client.get(f"{base}/contacts"),
            client.patch(base, {"notes": "x"}, content_type="application/json"),
        ]
        if org in visible:
            assert [r.status_code for r in responses] == [200, 200, 200, 200]
        else:
            for response in responses:
                _assert_not_found(response)
            _assert_not_found(client.delete(base))


def test_agent_cannot_delete_an_organisation(api_client, agent_a, team_a):
    org = OrganizationFactory(team=team_a)
    _assert_error(api_client(agent_a).delete(f"/api/v1/organizations/{org.pk}"), 403, "forbidden")
    org.refresh_from_db()
    assert org.deleted_at is None


def test_organisation_tree_leaves_out_sub_organisations_of_other_teams(api_client, agent_a, team_a, team_b):
    parent = OrganizationFactory(name="هلدینگ", team=team_a)
    mine = OrganizationFactory(name="شعبه من", team=team_a, parent=parent)
    OrganizationFactory(name="شعبه دیگران", team=team_b, parent=parent)
    tree = api_client(agent_a).get(f"/api/v1/organizations/{parent.pk}/tree").json()
    assert [node["id"] for node in tree] == [parent.pk, mine.pk]


def test_organisation_contacts_leave_out_people_of_other_teams(api_client, agent_a, team_a, team_b):
    org = OrganizationFactory(team=team_a)
    mine = CustomerFactory(team=team_a, organization=org)
    CustomerFactory(team=team_b, organization=org)
    items = api_client(agent_a).get(f"/api/v1/organizations/{org.pk}/contacts").json()["items"]
    assert [c["id"] for c in items] == [mine.pk]


# --- assignment stays within reach -----------------------------------------------------------------


def _patch(client, customer, data):
    return client.patch(f"/api/v1/customers/{customer.pk}", data, content_type="application/json")


def test_agent_cannot_assign_a_customer_to_another_team(api_client, agent_a, team_a, team_b):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    response = _patch(api_client(agent_a), customer, {"team_id": team_b.pk})
    _assert_error(response, 422, "invalid")
    assert "team_id" in response.json()["error"]["fields"]
    customer.refresh_from_db()
    assert customer.team_id == team_a.pk


def test_agent_cannot_assign_a_customer_to_the_sub_team_below_their_own(api_client, agent_a, team_a, team_a_sub):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    response = _patch(api_client(agent_a), customer, {"team_id": team_a_sub.pk})
    assert response.status_code == 422
    assert "team_id" in response.json()["error"]["fields"]


@pytest.mark.parametrize("outsider", ["agent_b", "agent_a_sub"])
def test_agent_cannot_assign_a_customer_to_a_user_outside_their_reach(request, api_client, agent_a, team_a, outsider):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    response = _patch(api_client(agent_a), customer, {"owner_id": _user(request, outsider).pk})
    _assert_error(response, 422, "invalid")
    assert "owner_id" in response.json()["error"]["fields"]
    customer.refresh_from_db()
    assert customer.owner_id == agent_a.pk


def test_agent_can_hand_a_customer_to_a_teammate(api_client, agent_a, manager_a, team_a):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    response = _patch(api_client(agent_a), customer, {"owner_id": manager_a.pk})
    assert response.status_code == 200
    assert response.json()["owner_id"] == manager_a.pk


def test_agent_cannot_move_a_customer_out_of_their_own_reach(api_client, agent_a, manager_a, team_b):
    # agent_a sees this customer only because they own it; giving it away would lose it to them
    customer = CustomerFactory(team=team_b, owner=agent_a)
    response = _patch(api_client(agent_a), customer, {"owner_id": None})
    _assert_error(response, 422, "invalid")
    customer.refresh_from_db()
    assert customer.owner_id == agent_a.pk


def test_agent_cannot_create_a_customer_for_another_team_or_its_member(api_client, agent_a, agent_b, team_b):
    client = api_client(agent_a)
    for data, field in (({"team_id": team_b.pk}, "team_id"), ({"owner_id": agent_b.pk}, "owner_id")):
        response = client.post("/api/v1/customers", {"last_name": "تازه", **data}, content_type="application/json")
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]
    assert not Customer.objects.exists()


def test_manager_can_assign_a_customer_to_their_sub_team_and_its_members(
    api_client, manager_a, agent_a_sub, team_a, team_a_sub
):
    customer = CustomerFactory(team=team_a)
    response = _patch(api_client(manager_a), customer, {"team_id": team_a_sub.pk, "owner_id": agent_a_sub.pk})
    assert response.status_code == 200
    assert (response.json()["team_id"], response.json()["owner_id"]) == (team_a_sub.pk, agent_a_sub.pk)


def test_manager_cannot_assign_a_customer_to_another_team(api_client, manager_a, agent_b, team_a, team_b):
    customer = CustomerFactory(team=team_a)
    response = _patch(api_client(manager_a), customer, {"team_id": team_b.pk, "owner_id": agent_b.pk})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"team_id", "owner_id"}


def test_admin_can_assign_a_customer_anywhere(api_client, admin, agent_b, team_a, team_b):
    customer = CustomerFactory(team=team_a)
    response = _patch(api_client(admin), customer, {"team_id": team_b.pk, "owner_id": agent_b.pk})
    assert response.status_code == 200


# --- anonymous ------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/lookup?phone=09121234567"),
    ("get", "/api/v1/customers/{pk}"),
    ("patch", "/api/v1/customers/{pk}"),
    ("delete", "/api/v1/customers/{pk}"),
    ("get", "/api/v1/customers/{pk}/timeline"),
    ("get", "/api/v1/customers/{pk}/history"),
    ("post", "/api/v1/customers/{pk}/history/1/restore"),
    ("put", "/api/v1/customers/{pk}/consents"),
    ("get", "/api/v1/organizations"),
    ("post", "/api/v1/organizations"),
    ("get", "/api/v1/organizations/{pk}"),
    ("patch", "/api/v1/organizations/{pk}"),
    ("delete", "/api/v1/organizations/{pk}"),
    ("get", "/api/v1/organizations/{pk}/tree"),
    ("get", "/api/v1/organizations/{pk}/contacts"),
    ("get", "/api/v1/interactions"),
    ("post", "/api/v1/interactions"),
    ("get", "/api/v1/interactions/{pk}"),
    ("patch", "/api/v1/interactions/{pk}"),
    ("delete", "/api/v1/interactions/{pk}"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("csrf_checks", [False, True], ids=["plain", "csrf-enforced"])
def test_anonymous_gets_401_in_the_json_error_shape(db, method, url, csrf_checks):
    customer = CustomerFactory()
    before = Customer.objects.count()
    client = Client(enforce_csrf_checks=csrf_checks)
    response = getattr(client, method)(url.format(pk=customer.pk), {}, content_type="application/json")
    _assert_error(response, 401, "unauthenticated")
    assert response.json()["error"]["message"]
    assert Customer.objects.count() == before


@pytest.mark.parametrize(
    "header",
    ["Bearer pv_not-a-real-token", "Bearer ", "Bearer something-else", "Token pv_abc", "Basic YWRtaW46YWRtaW4="],
)
def test_a_bad_authorization_header_gets_401(db, header):
    CustomerFactory()
    response = Client(headers={"Authorization": header}).get("/api/v1/customers")
    _assert_error(response, 401, "unauthenticated")


def test_a_deleted_customer_is_not_found_even_for_the_admin(api_client, admin, team_a):
    customer = CustomerFactory(team=team_a)
    client = api_client(admin)
    assert client.delete(f"/api/v1/customers/{customer.pk}").status_code == 204
    _assert_not_found(client.get(f"/api/v1/customers/{customer.pk}"))
    assert customer.pk not in {c["id"] for c in client.get("/api/v1/customers").json()["items"]}
    assert Interaction.objects.filter(customer=customer).count() == 0
