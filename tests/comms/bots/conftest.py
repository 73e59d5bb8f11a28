"""Fixtures the messenger-bot tests share: the local Bot API server, a bot account pointed at it, a customer whose
mobile a shared contact matches, and the desk's default queue."""

from __future__ import annotations

import pytest

from comms.bot_api_stub import BotApiStub
from peyvand.comms.models import ChannelAccount

SECRET = "s3cret-Header_value"


@pytest.fixture
def stub():
    with BotApiStub() as server:
        yield server


@pytest.fixture
def bot(db, stub):
    return ChannelAccount.objects.create(
        channel="messenger",
        provider="telegram",
        name="بات پیوند",
        config={"base_url": stub.url, "bot_username": "peyvand_bot", "timeout": "5"},
        secrets={"token": stub.token, "webhook_secret": SECRET},
        inbound_token="tg-inbound-token-0123456789abcdef",
        is_default=True,
    )


@pytest.fixture
def linked_customer(customer_a):
    from peyvand.customers.models import CustomerPhone

    CustomerPhone.objects.create(customer=customer_a, number="+989121234567", kind="mobile", is_primary=True)
    return customer_a


@pytest.fixture
def desk_queue(team_a):
    """The desk's default queue is team A's: tickets no rule routes go there, so agent A sees them."""
    from peyvand.service.services.settings import service_settings

    row = service_settings()
    row.default_team = team_a
    row.save()
    return team_a
