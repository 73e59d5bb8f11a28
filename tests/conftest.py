"""Shared fixtures: a small company of teams and staff in every role, and API clients for each."""

from collections.abc import Callable

import pytest
from django.test import Client

from factories import TeamFactory, UserFactory
from peyvand.accounts.models import Role, User
from peyvand.accounts.services import api_token_create


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is slow on purpose (~0.2 s a hash); tests/accounts/test_passwords.py proves it is the default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_api_rate_limit_in_tests(settings):
    # The rate limit has its own test; elsewhere it would only make tests order-dependent.
    settings.PEYVAND_API_RATE_LIMIT = 100000


@pytest.fixture
def team_a(db):
    return TeamFactory(name="فروش تهران")


@pytest.fixture
def team_a_sub(team_a):
    return TeamFactory(name="فروش شمال تهران", parent=team_a)


@pytest.fixture
def team_b(db):
    return TeamFactory(name="پشتیبانی اصفهان")


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN, team=None, is_staff=True, is_superuser=True)


@pytest.fixture
def manager_a(team_a):
    return UserFactory(username="manager_a", role=Role.MANAGER, team=team_a)


@pytest.fixture
def agent_a(team_a):
    return UserFactory(username="agent_a", role=Role.AGENT, team=team_a)


@pytest.fixture
def agent_a_sub(team_a_sub):
    return UserFactory(username="agent_a_sub", role=Role.AGENT, team=team_a_sub)


@pytest.fixture
def agent_b(team_b):
    return UserFactory(username="agent_b", role=Role.AGENT, team=team_b)


@pytest.fixture
def api_client() -> Callable[[User | None], Client]:
    """api_client(user) → a test client sending that user's bearer token; api_client(None) → anonymous."""

    def make(user: User | None) -> Client:
        if user is None:
            return Client()
        _row, token = api_token_create(user=user, name="test")
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make
