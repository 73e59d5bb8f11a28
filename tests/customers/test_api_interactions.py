"""The interactions API: logging calls, messages and meetings on a customer's timeline, and who may change them."""

import datetime as dt

import pytest
from django.utils import timezone

from factories import CustomerFactory, InteractionFactory
from peyvand.customers.models import Interaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(team_a):
    return CustomerFactory(team=team_a)


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


def post(client, data):
    return client.post("/api/v1/interactions", data, content_type="application/json")


def patch(client, pk, data):
    return client.patch(f"/api/v1/interactions/{pk}", data, content_type="application/json")


def error_fields(response):
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid"
    return response.json()["error"]["fields"]


def test_agent_logs_a_call_on_a_customer(client_a, agent_a, customer):
    when = timezone.now() - dt.timedelta(hours=2)
    response = post(
        client_a,
        {
            "customer_id": customer.pk,
            "channel": "call",
            "direction": "in",
            "subject": "  درخواست پیش‌فاکتور  ",
            "body": "مشتری برای ۲۰ دستگاه قیمت خواست.",
            "occurred_at": when.isoformat(),
            "duration_seconds": 185,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "درخواست پیش‌فاکتور"
    assert (body["customer_id"], body["by_id"], body["duration_seconds"]) == (customer.pk, agent_a.pk, 185)
    assert body["related_type"] is None
    customer.refresh_from_db()
    assert customer.last_interaction_at == when


def test_an_interaction_without_a_time_happened_now(client_a, customer):
    before = timezone.now()
    body = post(client_a, {"customer_id": customer.pk, "channel": "note", "direction": "internal", "body": "یادداشت"})
    assert dt.datetime.fromisoformat(body.json()["occurred_at"]) >= before.replace(microsecond=0)


def test_an_older_interaction_does_not_move_last_interaction_back(client_a, customer):
    post(client_a, {"customer_id": customer.pk, "channel": "sms", "direction": "out", "subject": "تازه"})
    customer.refresh_from_db()
    latest = customer.last_interaction_at
    old = (timezone.now() - dt.timedelta(days=10)).isoformat()
    post(
        client_a,
        {"customer_id": customer.pk, "channel": "sms", "direction": "out", "subject": "قدیمی", "occurred_at": old},
    )
    customer.refresh_from_db()
    assert customer.last_interaction_at == latest


def test_interaction_is_read_back(client_a, customer):
    interaction = InteractionFactory(customer=customer, subject="جلسه")
    body = client_a.get(f"/api/v1/interactions/{interaction.pk}").json()
    assert (body["id"], body["subject"], body["channel"]) == (interaction.pk, "جلسه", "call")


def test_author_changes_their_interaction(client_a, customer):
    created = post(client_a, {"customer_id": customer.pk, "channel": "call", "direction": "out", "subject": "الف"})
    pk = created.json()["id"]
    response = patch(client_a, pk, {"subject": "ب", "duration_seconds": 60})
    assert response.status_code == 200
    assert (response.json()["subject"], response.json()["duration_seconds"]) == ("ب", 60)
    assert response.json()["body"] == ""


def test_author_deletes_their_interaction(client_a, customer):
    pk = post(client_a, {"customer_id": customer.pk, "channel": "call", "direction": "out", "subject": "الف"}).json()[
        "id"
    ]
    assert client_a.delete(f"/api/v1/interactions/{pk}").status_code == 204
    assert client_a.get(f"/api/v1/interactions/{pk}").status_code == 404
    assert not Interaction.objects.filter(pk=pk).exists()


def test_agent_cannot_change_or_delete_a_colleagues_interaction(api_client, manager_a, agent_a, customer):
    interaction = InteractionFactory(customer=customer, by=manager_a, subject="گزارش مدیر")
    client = api_client(agent_a)
    assert client.get(f"/api/v1/interactions/{interaction.pk}").status_code == 200
    response = patch(client, interaction.pk, {"subject": "دستکاری"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.delete(f"/api/v1/interactions/{interaction.pk}").status_code == 403
    interaction.refresh_from_db()
    assert interaction.subject == "گزارش مدیر"


def test_manager_changes_and_deletes_an_agents_interaction(api_client, manager_a, agent_a, customer):
    interaction = InteractionFactory(customer=customer, by=agent_a)
    client = api_client(manager_a)
    assert patch(client, interaction.pk, {"body": "تکمیل شد"}).status_code == 200
    assert client.delete(f"/api/v1/interactions/{interaction.pk}").status_code == 204


def test_interaction_on_a_customer_out_of_reach_is_not_found(client_a, team_b):
    other = CustomerFactory(team=team_b)
    response = post(client_a, {"customer_id": other.pk, "channel": "call", "direction": "in", "subject": "x"})
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_interaction_on_a_missing_customer_is_not_found(client_a):
    response = post(client_a, {"customer_id": 10**12, "channel": "call", "direction": "in", "subject": "x"})
    assert response.status_code == 404


# --- list and filters -------------------------------------------------------------------------------


@pytest.fixture
def history(team_a):
    """Five interactions on two customers over five days, newest first."""
    now = timezone.now()
    first, second = CustomerFactory(team=team_a), CustomerFactory(team=team_a)
    rows = [
        InteractionFactory(customer=first, channel="call", direction="in", occurred_at=now - dt.timedelta(days=1)),
        InteractionFactory(customer=second, channel="sms", direction="out", occurred_at=now - dt.timedelta(days=2)),
        InteractionFactory(customer=first, channel="email", direction="in", occurred_at=now - dt.timedelta(days=3)),
        InteractionFactory(customer=first, channel="call", direction="out", occurred_at=now - dt.timedelta(days=4)),
        InteractionFactory(customer=second, channel="meeting", direction="in", occurred_at=now - dt.timedelta(days=5)),
    ]
    return now, first, second, rows


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_interactions_are_listed_newest_first(client_a, history):
    _now, _first, _second, rows = history
    assert _ids(client_a.get("/api/v1/interactions")) == [r.pk for r in rows]


def test_interactions_filter_by_customer_channel_direction_and_time(client_a, history):
    now, first, _second, rows = history
    get = client_a.get
    assert _ids(get("/api/v1/interactions", {"customer_id": first.pk})) == [rows[0].pk, rows[2].pk, rows[3].pk]
    assert _ids(get("/api/v1/interactions", {"channel": "call"})) == [rows[0].pk, rows[3].pk]
    assert _ids(get("/api/v1/interactions", {"direction": "out"})) == [rows[1].pk, rows[3].pk]
    since = (now - dt.timedelta(days=3, hours=1)).isoformat()
    until = (now - dt.timedelta(days=1, hours=1)).isoformat()
    assert _ids(get("/api/v1/interactions", {"since": since, "until": until})) == [rows[1].pk, rows[2].pk]
    assert _ids(get("/api/v1/interactions", {"customer_id": first.pk, "channel": "call", "direction": "out"})) == [
        rows[3].pk
    ]


def test_interactions_page_with_a_cursor(client_a, history):
    _now, _first, _second, rows = history
    seen = []
    cursor = None
    for _page in range(3):
        body = client_a.get("/api/v1/interactions", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
    assert seen == [r.pk for r in rows]
    assert cursor is None


def test_interactions_at_the_same_moment_are_paged_without_loss(client_a, customer):
    moment = timezone.now() - dt.timedelta(hours=1)
    made = {InteractionFactory(customer=customer, occurred_at=moment).pk for _ in range(5)}
    first = client_a.get("/api/v1/interactions", {"limit": 3}).json()
    second = client_a.get("/api/v1/interactions", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert {i["id"] for i in first["items"] + second["items"]} == made


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"subject": "", "body": "   "}, "subject"),
        ({"duration_seconds": -5}, "duration_seconds"),
        ({"duration_seconds": 10**30}, "duration_seconds"),
        ({"duration_seconds": "long"}, "duration_seconds"),
        ({"occurred_at": "دیروز"}, "occurred_at"),
        ({"subject": "م" * 256}, "subject"),
        ({"mood": "happy"}, "mood"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"subject": "a\x00b"}, "subject"),
    ],
)
def test_invalid_interaction_is_422_naming_the_field_and_saves_nothing(client_a, customer, data, field):
    payload = {"customer_id": customer.pk, "channel": "call", "direction": "in", "subject": "تماس", **data}
    assert field in error_fields(post(client_a, payload))
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": None}, "subject"),
        ({"body": None}, "body"),
        ({"occurred_at": None}, "occurred_at"),
        ({"subject": "", "body": ""}, "subject"),
        ({"duration_seconds": 10**12}, "duration_seconds"),
        ({"channel": "sms"}, "channel"),  # the channel of what happened does not change
        ({"customer_id": 1}, "customer_id"),
    ],
)
def test_invalid_interaction_change_is_422_and_changes_nothing(client_a, customer, data, field):
    created = post(client_a, {"customer_id": customer.pk, "channel": "call", "direction": "in", "subject": "تماس"})
    pk = created.json()["id"]
    assert field in error_fields(patch(client_a, pk, data))
    assert client_a.get(f"/api/v1/interactions/{pk}").json() == created.json()


def test_duration_can_be_cleared(client_a, customer):
    pk = post(
        client_a,
        {"customer_id": customer.pk, "channel": "call", "direction": "in", "subject": "x", "duration_seconds": 9},
    ).json()["id"]
    assert patch(client_a, pk, {"duration_seconds": None}).json()["duration_seconds"] is None


@pytest.mark.parametrize(
    "params",
    [{"since": "دیروز"}, {"limit": 0}, {"customer_id": "x"}, {"customer_id": str(2**63)}, {"cursor": "garbage"}],
)
def test_bad_interaction_list_parameters_are_422(client_a, params):
    assert set(error_fields(client_a.get("/api/v1/interactions", params))) == set(params)
