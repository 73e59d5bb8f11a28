"""The channels API: accounts (/api/v1/comms/accounts; administrators write, managers read, secrets never come
back) and the outbox (/api/v1/comms/messages; scoped to the customers a user can see)."""

from __future__ import annotations

import json
from itertools import count

import pytest
from django.utils.translation import gettext_noop

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.comms.providers import PROVIDERS, ConfigField, SendResult
from peyvand.comms.sms.console import ConsoleSms

pytestmark = pytest.mark.django_db

SECRET = "smsir-secret-key-0987"
_KEYS = count(1)


class SecretSms:
    channel = "sms"
    name = "secret"
    label = gettext_noop("Gateway with a key")
    config_fields = (
        ConfigField("api_key", "API key", secret=True),
        ConfigField("line", "Line number"),
        ConfigField("signature", "Signing secret", secret=True, required=False),
    )

    def __init__(self, account):
        self.account = account

    def send(self, message):
        return SendResult(provider_message_id="s-1")


@pytest.fixture(autouse=True)
def providers(monkeypatch):
    monkeypatch.setitem(PROVIDERS["sms"], "secret", "comms.test_settings_api.SecretSms")


def account_payload(**overrides):
    payload = {
        "channel": "sms",
        "provider": "secret",
        "name": "SMS.ir",
        "config": {"line": "30004505"},
        "secrets": {"api_key": SECRET},
        "rate_per_minute": 120,
    }
    payload.update(overrides)
    return payload


def post(client, path, payload=None):
    return client.post(path, json.dumps(payload or {}), content_type="application/json")


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


def message(*, customer=None, status="sent", **fields):
    return OutboundMessage.objects.create(
        channel=fields.pop("channel", "sms"),
        customer=customer,
        to="+989121234567",
        body="متن",
        status=status,
        idempotency_key=f"api-{next(_KEYS)}",
        **fields,
    )


# --- accounts -------------------------------------------------------------------------------------------------


def test_an_admin_adds_an_account_and_its_secret_never_comes_back(api_client, admin):
    client = api_client(admin)

    created = post(client, "/api/v1/comms/accounts", account_payload())

    assert created.status_code == 201, created.content
    body = created.json()
    assert SECRET not in created.content.decode()
    assert body["secrets_set"] == {"api_key": True, "signature": False}
    assert body["config"] == {"line": "30004505"} and body["is_default"] is True
    assert body["rate_per_minute"] == 120 and body["provider_error"] == ""
    account = ChannelAccount.objects.get()
    assert account.secrets == {"api_key": SECRET}
    assert [u["url"] for u in body["inbound_urls"]] == [
        f"http://testserver/comms/sms/{account.inbound_token}/delivery",
        f"http://testserver/comms/sms/{account.inbound_token}/inbound",
    ]
    listed = client.get("/api/v1/comms/accounts")
    one = client.get(f"/api/v1/comms/accounts/{account.pk}")
    assert listed.status_code == 200 and one.status_code == 200
    assert SECRET not in listed.content.decode() + one.content.decode()


def test_a_manager_reads_accounts_without_their_inbound_addresses(api_client, manager_a):
    account = ChannelAccount.objects.create(
        channel="sms", provider="secret", name="x", inbound_token="tok-m", secrets={"api_key": SECRET}
    )
    response = api_client(manager_a).get(f"/api/v1/comms/accounts/{account.pk}")
    assert response.status_code == 200
    assert response.json()["inbound_urls"] == [] and "tok-m" not in response.content.decode()
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("role", ["manager_a", "agent_a"])
def test_only_an_admin_writes_accounts(api_client, role, request):
    user = request.getfixturevalue(role)
    account = ChannelAccount.objects.create(channel="sms", provider="secret", name="x", inbound_token="tok-w")
    client = api_client(user)
    assert post(client, "/api/v1/comms/accounts", account_payload()).status_code == 403
    assert patch(client, f"/api/v1/comms/accounts/{account.pk}", {"name": "y"}).status_code == 403
    assert post(client, f"/api/v1/comms/accounts/{account.pk}/rotate-token").status_code == 403
    assert post(client, f"/api/v1/comms/accounts/{account.pk}/test", {"to": "09121234567"}).status_code == 403
    assert ChannelAccount.objects.get().name == "x"


def test_an_agent_cannot_even_read_accounts(api_client, agent_a):
    assert api_client(agent_a).get("/api/v1/comms/accounts").status_code == 403


def test_an_account_without_a_token_is_not_answered(api_client):
    assert api_client(None).get("/api/v1/comms/accounts").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"secrets": {}}, "secrets.api_key"),
        ({"config": {}}, "config.line"),
        ({"config": {"line": "1", "colour": "red"}}, "config.colour"),
        ({"config": {"line": "1", "api_key": SECRET}}, "config.api_key"),
        ({"provider": "nokia"}, "provider"),
        ({"channel": "fax"}, "channel"),
        ({"name": ""}, "name"),
        ({"rate_per_minute": 0}, "rate_per_minute"),
        ({"config": {"line": "a\u0000b"}}, "config"),
    ],
)
def test_bad_account_input_is_refused_field_by_field(api_client, admin, overrides, field):
    response = post(api_client(admin), "/api/v1/comms/accounts", account_payload(**overrides))
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not ChannelAccount.objects.exists()


def test_patch_changes_what_is_given_and_keeps_secrets_left_out(api_client, admin):
    client = api_client(admin)
    account_id = post(client, "/api/v1/comms/accounts", account_payload()).json()["id"]

    renamed = patch(client, f"/api/v1/comms/accounts/{account_id}", {"name": "SMS.ir main", "config": {"line": "9"}})
    assert renamed.status_code == 200 and renamed.json()["name"] == "SMS.ir main"
    account = ChannelAccount.objects.get()
    assert account.secrets == {"api_key": SECRET} and account.config == {"line": "9"}

    patch(client, f"/api/v1/comms/accounts/{account_id}", {"secrets": {"signature": "sig", "api_key": ""}})
    account.refresh_from_db()
    assert account.secrets == {"api_key": SECRET, "signature": "sig"}

    patch(client, f"/api/v1/comms/accounts/{account_id}", {"secrets": {"signature": None}})
    account.refresh_from_db()
    assert account.secrets == {"api_key": SECRET}

    removed = patch(client, f"/api/v1/comms/accounts/{account_id}", {"secrets": {"api_key": None}})
    assert removed.status_code == 422 and "secrets.api_key" in removed.json()["error"]["fields"]


def test_one_default_per_channel_through_the_api(api_client, admin):
    client = api_client(admin)
    first = post(client, "/api/v1/comms/accounts", account_payload(name="A")).json()
    second = post(client, "/api/v1/comms/accounts", account_payload(name="B", is_default=True)).json()
    assert second["is_default"] is True
    assert client.get(f"/api/v1/comms/accounts/{first['id']}").json()["is_default"] is False
    off = patch(client, f"/api/v1/comms/accounts/{second['id']}", {"is_active": False}).json()
    assert off["is_default"] is False and off["is_active"] is False


def test_rotating_the_token_through_the_api(api_client, admin):
    client = api_client(admin)
    account_id = post(client, "/api/v1/comms/accounts", account_payload()).json()["id"]
    old = ChannelAccount.objects.get().inbound_token
    response = post(client, f"/api/v1/comms/accounts/{account_id}/rotate-token")
    new = ChannelAccount.objects.get().inbound_token
    assert response.status_code == 200 and new != old
    assert all(new in u["url"] for u in response.json()["inbound_urls"])


def test_send_test_through_the_api(api_client, admin):
    account = ChannelAccount.objects.create(channel="sms", provider="console", name="Console", inbound_token="c")
    ConsoleSms.sent.clear()
    response = post(api_client(admin), f"/api/v1/comms/accounts/{account.pk}/test", {"to": "09351112233"})
    assert response.status_code == 200
    assert response.json()["status"] == "sent" and response.json()["batch"] == "test"
    assert ConsoleSms.sent[-1][0] == "+989351112233"
    bad = post(api_client(admin), f"/api/v1/comms/accounts/{account.pk}/test", {"to": "x"})
    assert bad.status_code == 422 and "to" in bad.json()["error"]["fields"]


def test_an_unknown_account_is_not_found(api_client, admin):
    assert api_client(admin).get("/api/v1/comms/accounts/987654").status_code == 404


# --- the outbox -------------------------------------------------------------------------------------------------


def test_the_outbox_through_the_api_is_scoped_to_visible_customers(api_client, agent_b, customer_a, customer_b):
    theirs = message(customer=customer_b)
    hidden = message(customer=customer_a)
    client = api_client(agent_b)

    listed = client.get("/api/v1/comms/messages")

    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()["items"]] == [theirs.pk]
    assert listed.json()["counts"]["sent"] == 1
    assert client.get(f"/api/v1/comms/messages/{theirs.pk}").status_code == 200
    assert client.get(f"/api/v1/comms/messages/{hidden.pk}").status_code == 404


def test_the_outbox_api_filters_pages_and_counts(api_client, admin, customer_a, make_ticket_like):
    for _ in range(3):
        message(customer=customer_a, batch="camp")
    failed = message(customer=customer_a, status="failed", batch="camp")
    message(customer=None, channel="email", status="queued")
    client = api_client(admin)

    first = client.get("/api/v1/comms/messages?batch=camp&limit=2").json()
    second = client.get(f"/api/v1/comms/messages?batch=camp&limit=2&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert first["counts"]["sent"] == 3 and first["counts"]["failed"] == 1 and first["counts"]["queued"] == 0
    only_failed = client.get("/api/v1/comms/messages?status=failed").json()["items"]
    assert [m["id"] for m in only_failed] == [failed.pk]
    assert client.get("/api/v1/comms/messages?channel=email").json()["items"][0]["channel"] == "email"
    assert client.get("/api/v1/comms/messages?cursor=forged").status_code == 422
    assert client.get("/api/v1/comms/messages?status=lost").status_code == 422
    assert client.get("/api/v1/comms/messages?created_from=9999-01-01").status_code == 422


def test_a_message_names_what_it_is_about(api_client, admin, customer_a, make_ticket_like):
    ticket = make_ticket_like
    from django.contrib.contenttypes.models import ContentType

    sent = message(
        customer=customer_a, related_type=ContentType.objects.get_for_model(ticket), related_id=str(ticket.pk)
    )
    body = api_client(admin).get(f"/api/v1/comms/messages/{sent.pk}").json()
    assert body["related"] == f"service.ticket:{ticket.pk}"
    assert body["idempotency_key"] == sent.idempotency_key


def test_retry_and_cancel_through_the_api(api_client, admin, agent_a, customer_a):
    failed = message(customer=customer_a, status="failed", attempts=8)
    queued = message(customer=customer_a, status="queued")
    agent = api_client(agent_a)
    assert post(agent, f"/api/v1/comms/messages/{failed.pk}/retry").status_code == 403
    assert post(agent, f"/api/v1/comms/messages/{queued.pk}/cancel").status_code == 403

    client = api_client(admin)
    retried = post(client, f"/api/v1/comms/messages/{failed.pk}/retry")
    cancelled = post(client, f"/api/v1/comms/messages/{queued.pk}/cancel")
    assert retried.status_code == 200 and retried.json()["status"] == "queued" and retried.json()["attempts"] == 0
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = post(client, f"/api/v1/comms/messages/{queued.pk}/cancel")
    assert again.status_code == 422 and "status" in again.json()["error"]["fields"]


@pytest.fixture
def make_ticket_like(customer_a):
    from peyvand.service.models import Ticket

    return Ticket.objects.create(number="T-API-1", customer=customer_a, team=customer_a.team, subject="x")
