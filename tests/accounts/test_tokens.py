"""API tokens: made on the command line, stored only as a SHA-256, refused once revoked; and the rate limit."""

import hashlib
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from factories import CustomerFactory
from peyvand.accounts.models import ApiToken
from peyvand.accounts.services import api_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_and_clean(settings):
    # Argon2 costs ~0.2 s per fixture user; WhiteNoise scanning node_modules costs ~0.2 s per test Client.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True
    # the rate limit counts in the cache, which outlives each test's database
    cache.clear()
    yield
    cache.clear()


def create_token(username, *args):
    out = StringIO()
    call_command("create_api_token", username, *args, stdout=out)
    return out.getvalue().strip()


def bearer(token):
    return Client(headers={"Authorization": f"Bearer {token}"})


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_create_api_token_prints_a_token_that_works(agent_a, team_a):
    customer = CustomerFactory(team=team_a)
    token = create_token("agent_a")
    assert token.startswith("pv_")
    assert len(token.splitlines()) == 1
    response = bearer(token).get("/api/v1/customers")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [customer.pk]


def test_the_token_acts_as_its_user(agent_a):
    created = bearer(create_token("agent_a")).post(
        "/api/v1/customers", {"last_name": "نوری"}, content_type="application/json"
    )
    assert created.json()["owner_id"] == agent_a.pk


def test_each_call_makes_a_new_token_with_its_name(agent_a):
    first, second = create_token("agent_a"), create_token("agent_a", "--name", "crm-sync")
    assert first != second
    assert set(ApiToken.objects.values_list("name", flat=True)) == {"cli", "crm-sync"}


def test_only_the_tokens_sha256_is_stored(agent_a):
    token = create_token("agent_a")
    row = ApiToken.objects.get(user=agent_a)
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert token not in stored
    assert token[10:] not in stored  # nothing beyond the short display prefix


def test_create_api_token_for_an_unknown_or_inactive_user_fails(agent_a):
    with pytest.raises(CommandError):
        create_token("nobody")
    agent_a.is_active = False
    agent_a.save()
    with pytest.raises(CommandError):
        create_token("agent_a")
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused(agent_a):
    token = create_token("agent_a")
    client = bearer(token)
    assert client.get("/api/v1/customers").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(), by=agent_a)
    assert_unauthenticated(client.get("/api/v1/customers"))


def test_a_token_of_a_deactivated_user_is_refused(agent_a):
    client = bearer(create_token("agent_a"))
    agent_a.is_active = False
    agent_a.save()
    assert_unauthenticated(client.get("/api/v1/customers"))
    assert_unauthenticated(client.post("/api/v1/customers", {"last_name": "x"}, content_type="application/json"))


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-1], lambda t: t + "x", lambda t: t.upper(), lambda t: t[3:], lambda t: " " + t + "x"]
)
def test_an_altered_token_is_refused(agent_a, mangle):
    token = create_token("agent_a")
    assert_unauthenticated(bearer(mangle(token)).get("/api/v1/customers"))


def test_using_a_token_marks_it_used(agent_a):
    token = create_token("agent_a")
    assert ApiToken.objects.get().last_used_at is None
    bearer(token).get("/api/v1/customers")
    assert ApiToken.objects.get().last_used_at <= timezone.now()


# --- rate limit ----------------------------------------------------------------------------------


def test_the_request_over_the_rate_limit_gets_429_with_retry_after(settings, agent_a):
    settings.PEYVAND_API_RATE_LIMIT = 5
    client = bearer(create_token("agent_a"))
    for _ in range(5):
        assert client.get("/api/v1/customers").status_code == 200
    response = client.get("/api/v1/customers")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response.json()["error"]["code"] == "rate_limited"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_writes_count_towards_the_rate_limit_and_are_not_done_over_it(settings, agent_a):
    settings.PEYVAND_API_RATE_LIMIT = 5
    client = bearer(create_token("agent_a"))
    for i in range(6):
        client.post("/api/v1/customers", {"last_name": f"مشتری {i}"}, content_type="application/json")
    assert client.get("/api/v1/customers").status_code == 429
    from peyvand.customers.models import Customer

    assert Customer.objects.count() == 5


def test_the_rate_limit_is_counted_per_user(settings, agent_a, agent_b):
    settings.PEYVAND_API_RATE_LIMIT = 5
    busy = bearer(create_token("agent_a"))
    for _ in range(6):
        busy.get("/api/v1/customers")
    assert busy.get("/api/v1/customers").status_code == 429
    assert bearer(create_token("agent_b")).get("/api/v1/customers").status_code == 200


def test_a_users_second_token_shares_the_users_limit(settings, agent_a):
    settings.PEYVAND_API_RATE_LIMIT = 5
    first = bearer(create_token("agent_a"))
    for _ in range(5):
        first.get("/api/v1/customers")
    assert bearer(create_token("agent_a")).get("/api/v1/customers").status_code == 429


def test_the_limit_resets_after_a_minute(settings, agent_a, monkeypatch):
    import time

    settings.PEYVAND_API_RATE_LIMIT = 5
    client = bearer(create_token("agent_a"))
    for _ in range(6):
        client.get("/api/v1/customers")
    assert client.get("/api/v1/customers").status_code == 429
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/api/v1/customers").status_code == 200
