"""The caller pop-up over a real WebSocket (the site's ASGI application, staff session, origin check): a ringing
call reaches the agent of the called extension within a second with the caller's profile, open tickets and last
interactions; another team's agent learns only the number and that the caller is not theirs; an unknown number
offers "create customer"; a queued call reaches the account manager; anonymous sockets are refused."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from factories import InteractionFactory
from peyvand.asgi import application
from peyvand.comms.models import ChannelAccount
from peyvand.comms.telephony.models import Extension
from peyvand.comms.telephony.services import call_event_from_payload
from peyvand.customers.models import CustomerPhone
from peyvand.service.services.tickets import ticket_create

MOBILE = "+989121234567"


@pytest.fixture
def pbx(transactional_db):
    # The site's URLs are loaded by the first page a browser opens, before its socket: do the same here.
    reverse("comms:telephony:calls")
    return ChannelAccount.objects.create(channel="call", provider="webhook", name="PBX", inbound_token="pop-token")


@pytest.fixture
def caller(pbx, customer_a, agent_a):
    customer_a.tier = "gold"
    customer_a.save()
    CustomerPhone.objects.create(customer=customer_a, number=MOBILE, is_primary=True)
    InteractionFactory(customer=customer_a, subject="پیگیری سفارش", channel="meeting")
    return customer_a


def _headers(user, language: str = "en") -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.LANGUAGE_COOKIE_NAME}={language}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver"), (b"host", b"testserver")]


def _ring(pbx, **payload) -> None:
    call_event_from_payload(account=pbx, payload={"event": "ringing", **payload})


def _popups(users, pbx, payload, *, wait: float = 1.0) -> dict[str, object]:
    """Connect a socket for each user, ring, and collect what each socket is sent (None: nothing in `wait`)."""
    got: dict[str, object] = {}
    headers = {user.username: _headers(user) for user in users}

    async def scenario() -> None:
        sockets = {}
        for user in users:
            sockets[user.username] = WebsocketCommunicator(
                application, "/ws/telephony/", headers=headers[user.username]
            )
            connected, _sub = await sockets[user.username].connect()
            assert connected
        started = time.perf_counter()
        await database_sync_to_async(_ring)(pbx, **payload)
        for name, socket in sockets.items():
            if await socket.receive_nothing(timeout=wait):
                got[name] = None
            else:
                got[name] = await socket.receive_json_from(timeout=1)
                got[f"{name}_seconds"] = time.perf_counter() - started
            await socket.disconnect()

    async_to_sync(scenario)()
    return got


def test_the_agent_of_the_called_extension_sees_the_callers_profile_within_a_second(pbx, caller, agent_a, agent_b):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    ticket = ticket_create(by=agent_a, data={"subject": "کارت خراب است", "customer_id": caller.pk})
    got = _popups([agent_a, agent_b], pbx, {"call_id": "p-1", "from": "09121234567", "extension": "101"})
    popup = got["agent_a"]
    assert isinstance(popup, dict), got
    assert got["agent_a_seconds"] < 1.0
    assert popup["kind"] == "ringing" and popup["number_e164"] == MOBILE
    [card] = popup["customers"]
    assert card["name"] == caller.display_name and card["tier"] == "Gold" and card["owner"] == str(agent_a)
    assert [t["number"] for t in card["tickets"]] == [ticket.number]
    assert "پیگیری سفارش" in [i["subject"] for i in card["interactions"]]
    assert popup["create_url"] == "" and popup["not_yours"] is False
    # Nobody else's extension rang.
    assert got["agent_b"] is None


def test_another_teams_agent_gets_the_number_and_not_yours_but_no_profile(pbx, caller, agent_b):
    Extension.objects.create(account=pbx, user=agent_b, number="201")
    got = _popups([agent_b], pbx, {"call_id": "p-2", "from": MOBILE, "extension": "201"})
    popup = got["agent_b"]
    assert isinstance(popup, dict)
    assert popup["customers"] == [] and popup["not_yours"] is True and popup["create_url"] == ""
    assert caller.display_name not in str(popup)
    assert popup["number"]  # the number itself is shown


def test_an_unknown_number_offers_to_create_the_customer(pbx, agent_a):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    got = _popups([agent_a], pbx, {"call_id": "p-3", "from": "09351112233", "extension": "101"})
    popup = got["agent_a"]
    assert isinstance(popup, dict)
    assert popup["customers"] == [] and popup["not_yours"] is False
    assert popup["create_url"].endswith("/new-customer/")


def test_a_queued_call_goes_to_the_callers_account_manager(pbx, caller, agent_a, agent_b):
    got = _popups([agent_a, agent_b], pbx, {"call_id": "p-4", "from": MOBILE})
    assert isinstance(got["agent_a"], dict) and got["agent_a"]["customers"][0]["id"] == caller.pk
    assert got["agent_b"] is None


def test_the_extension_on_the_staff_record_also_rings(pbx, caller, agent_a):
    agent_a.extension = "150"
    agent_a.save()
    got = _popups([agent_a], pbx, {"call_id": "p-5", "from": MOBILE, "extension": "150"})
    assert isinstance(got["agent_a"], dict)


def test_an_anonymous_socket_is_refused(pbx):
    async def scenario() -> bool:
        socket = WebsocketCommunicator(
            application, "/ws/telephony/", headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
        )
        connected, _code = await socket.connect()
        await socket.disconnect()
        return bool(connected)

    assert async_to_sync(scenario)() is False


def test_a_socket_from_another_origin_is_refused(pbx, agent_a):
    headers = [h for h in _headers(agent_a) if h[0] != b"origin"]
    headers.append((b"origin", b"https://evil.example"))

    async def scenario() -> bool:
        socket = WebsocketCommunicator(application, "/ws/telephony/", headers=headers)
        connected, _code = await socket.connect()
        await socket.disconnect()
        return bool(connected)

    assert async_to_sync(scenario)() is False
