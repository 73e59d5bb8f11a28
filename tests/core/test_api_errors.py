"""The API answers every request with JSON in one error shape, and never with a 500 for anything a client
sends: checked by hand for each kind of error and by hypothesis with random JSON objects."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from factories import CustomerFactory
from peyvand.customers import selectors

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    for name, messages in body["error"]["fields"].items():
        assert isinstance(name, str)
        assert messages and all(isinstance(m, str) for m in messages)
    return body["error"]


def test_unauthenticated_is_401_in_the_error_shape(db):
    assert_error_shape(Client().get("/api/v1/customers"), 401, "unauthenticated")


def test_not_found_is_404_in_the_error_shape(api_client, agent_a):
    assert_error_shape(api_client(agent_a).get("/api/v1/customers/424242"), 404, "not_found")


def test_forbidden_is_403_in_the_error_shape(api_client, agent_a, team_a):
    customer = CustomerFactory(team=team_a)
    assert_error_shape(api_client(agent_a).delete(f"/api/v1/customers/{customer.pk}"), 403, "forbidden")


def test_invalid_is_422_naming_each_field(api_client, agent_a):
    error = assert_error_shape(
        api_client(agent_a).post(
            "/api/v1/customers", {"last_name": "x", "gender": "?", "colour": "آبی"}, content_type="application/json"
        ),
        422,
        "invalid",
    )
    assert set(error["fields"]) == {"gender", "colour"}


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here", "/api/v1/customers/abc", "/api/v1/customers/1/nope", "/api/v1/"]
)
def test_an_unknown_api_path_is_404_json(api_client, agent_a, url):
    assert_error_shape(api_client(agent_a).get(url), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", "/api/v1/customers"), ("post", "/api/v1/customers/1"), ("get", "/api/v1/customers/1/history/1/restore")],
)
def test_a_method_an_endpoint_lacks_is_405_json_with_allow(api_client, agent_a, method, url):
    response = getattr(api_client(agent_a), method)(url)
    assert_error_shape(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_a_body_that_is_not_json_is_400_json(api_client, agent_a):
    response = api_client(agent_a).post("/api/v1/customers", "{nope", content_type="application/json")
    assert_error_shape(response, 400, "error")


def test_an_unexpected_failure_is_500_json_without_details(api_client, agent_a, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "customer_list_page", explode)
    response = api_client(agent_a).get("/api/v1/customers")
    error = assert_error_shape(response, 500, "server_error")
    assert "secret" not in error["message"]
    assert b"Traceback" not in response.content


# --- hypothesis: random JSON objects never make a 500 ------------------------------------------------

FIELDS = [
    "kind",
    "first_name",
    "last_name",
    "name",
    "gender",
    "birth_date",
    "income_bracket",
    "national_id",
    "parent_id",
    "organization_id",
    "job_title",
    "lifecycle_stage",
    "source",
    "owner_id",
    "team_id",
    "preferred_channel",
    "settlement_habit",
    "notes",
    "custom_fields",
    "phones",
    "emails",
    "addresses",
    "tags",
]
PERSIAN = st.text(
    alphabet=st.sampled_from(list("آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأئؤ\u200c \u064b۰۱۲۳۴۵۶۷۸۹ﷺﻻ٬/-@.")),
    max_size=40,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | PERSIAN
    | st.sampled_from(
        [
            "09121234567",
            "+98 912 123 4567",
            "1403/13/01",
            "1370/05/12",
            "2999-01-01",
            "a@b.co",
            "organization",
            "person",
            "active",
            "female",
            "0012345679",
            "\x00",
            "",
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | PERSIAN, inner, max_size=4),
    max_leaves=10,
)
CONTACT = st.fixed_dictionaries(
    {},
    optional={
        "number": SCALARS,
        "email": SCALARS,
        "kind": SCALARS,
        "is_primary": SCALARS,
        "city": SCALARS,
        "postal_code": SCALARS,
        "province": PERSIAN,
        "line": PERSIAN,
    },
)
VALUE_FOR = {
    "phones": st.lists(CONTACT, max_size=3) | JSON,
    "emails": st.lists(CONTACT, max_size=3) | JSON,
    "addresses": st.lists(CONTACT, max_size=3) | JSON,
    "tags": st.lists(PERSIAN | SCALARS, max_size=4) | JSON,
}
PAYLOADS = st.one_of(
    # mostly known fields, so the requests get past the schema into the services
    st.lists(st.sampled_from(FIELDS), max_size=6, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: VALUE_FOR.get(k, JSON) for k in keys})
    ),
    st.dictionaries(st.text(max_size=12) | PERSIAN | st.sampled_from(FIELDS), JSON, max_size=5),
)
FUZZ = hypothesis_settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _answered_without_failure(response, allowed):
    event(f"status {response.status_code}")  # --hypothesis-show-statistics shows how many got through
    assert response.status_code in allowed, response.content[:500]
    body = response.json()
    if response.status_code >= 400:
        assert set(body["error"]) == {"code", "message", "fields"}


@FUZZ
@given(base=st.sampled_from([{}, {"last_name": "نوری"}]), payload=PAYLOADS)
def test_random_json_posted_as_a_customer_never_fails(api_client, agent_a, base, payload):
    # half the time on top of a valid customer, so that random values also reach the database
    client = api_client(agent_a)
    response = client.post("/api/v1/customers", {**base, **payload}, content_type="application/json")
    _answered_without_failure(response, {201, 422})


@FUZZ
@given(payload=PAYLOADS)
def test_random_json_patched_onto_a_customer_never_fails(api_client, agent_a, team_a, payload):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    response = api_client(agent_a).patch(f"/api/v1/customers/{customer.pk}", payload, content_type="application/json")
    _answered_without_failure(response, {200, 422})


@FUZZ
@given(base=st.sampled_from([{}, {"name": "شرکت پیوند"}]), payload=PAYLOADS)
def test_random_json_posted_as_an_organisation_never_fails(api_client, manager_a, base, payload):
    response = api_client(manager_a).post("/api/v1/organizations", {**base, **payload}, content_type="application/json")
    _answered_without_failure(response, {201, 422})


@FUZZ
@given(
    payload=st.dictionaries(
        st.sampled_from(["customer_id", "channel", "direction", "subject", "body", "occurred_at", "duration_seconds"])
        | st.text(max_size=8),
        JSON,
        max_size=7,
    )
)
def test_random_json_posted_and_patched_as_an_interaction_never_fails(api_client, agent_a, team_a, payload):
    customer = CustomerFactory(team=team_a)
    client = api_client(agent_a)
    payload = {"customer_id": customer.pk, "channel": "call", "direction": "in", "subject": "تماس", **payload}
    _answered_without_failure(
        client.post("/api/v1/interactions", payload, content_type="application/json"), {201, 404, 422}
    )
    from factories import InteractionFactory

    interaction = InteractionFactory(customer=customer, by=agent_a)
    _answered_without_failure(
        client.patch(f"/api/v1/interactions/{interaction.pk}", payload, content_type="application/json"),
        {200, 422},
    )


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "kind",
                "lifecycle_stage",
                "owner_id",
                "team_id",
                "tag",
                "city",
                "organization_id",
                "order",
                "cursor",
                "limit",
            ]
        ),
        PERSIAN | st.text(max_size=30) | st.integers().map(str) | st.sampled_from(["WzFd", "e30", "W3t9LHt9XQ"]),
        max_size=5,
    )
)
def test_random_list_parameters_never_fail(api_client, agent_a, team_a, params):
    CustomerFactory(team=team_a, phone="+989121234567")
    _answered_without_failure(api_client(agent_a).get("/api/v1/customers", params), {200, 422})
