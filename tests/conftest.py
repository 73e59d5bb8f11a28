"""Shared fixtures: a small company of teams and staff in every role, a customer of each of two teams, API
clients for each user, and a real SMTP server for the tests of e-mail."""

import email
import socket
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from factories import CustomerFactory, TeamFactory, UserFactory
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
def customer_a(team_a, agent_a):
    return CustomerFactory(team=team_a, owner=agent_a)


@pytest.fixture
def customer_b(team_b, agent_b):
    return CustomerFactory(team=team_b, owner=agent_b)


@pytest.fixture
def api_client() -> Callable[[User | None], Client]:
    """api_client(user) → a test client sending that user's bearer token; api_client(None) → anonymous."""

    def make(user: User | None) -> Client:
        if user is None:
            return Client()
        _row, token = api_token_create(user=user, name="test")
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


class SmtpInbox:
    """An SMTP handler keeping every message it is handed: `messages` as (recipients, raw bytes) pairs."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        self.received.set()
        return "250 OK"

    def emails(self) -> list[EmailMessage]:
        """The messages parsed, each with its envelope's recipients in an X-Envelope-To header."""
        parsed = []
        for recipients, raw in self.messages:
            message = email.message_from_bytes(raw, policy=default_policy)
            message["X-Envelope-To"] = ", ".join(recipients)
            parsed.append(message)
        return parsed


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a mail server that is down)."""
    return _unused_port()


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpInbox]:
    """A real SMTP server on 127.0.0.1 and the site's mail settings pointing at it."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_unused_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield inbox
    finally:
        controller.stop()
