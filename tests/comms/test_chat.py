"""Live chat through its sockets, as the widget and the console use them (peyvand.asgi with its real routing and
origin checks): visitor and agent talk, the flood guard, resent messages, offline messages as tickets,
transcripts on the timeline and the teams' scope."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from peyvand.asgi import application
from peyvand.comms.chat.models import ChatAgentPresence, ChatAuthor, ChatMessage, ChatSession, ChatStatus, ChatWidget
from peyvand.customers.models import CustomerEmail, Interaction, InteractionChannel
from peyvand.service.models import Ticket, TicketChannel

SITE = "https://shop.example.ir"


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    # The consumers' database calls close the connection before and after each call (Channels'
    # close_old_connections); inside the usual test transaction that would close it under the test.
    return transactional_db


@pytest.fixture(autouse=True)
def _fresh_rate_windows():
    cache.clear()


@pytest.fixture
def widget(team_a):
    return ChatWidget.objects.create(
        name="فروشگاه", team=team_a, allowed_origins=[SITE], greeting_fa="سلام! چطور کمک کنیم؟", greeting_en="Hi!"
    )


def run(coro_fn: Callable[[], Any]) -> Any:
    """Drive the sockets from a sync test: the consumers' database calls come back to this thread, inside the
    test's transaction."""

    async def main() -> Any:
        return await coro_fn()

    return async_to_sync(main)()


def visitor(widget: ChatWidget, visitor_id: str, *, origin: str = SITE, lang: str = "fa") -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    return WebsocketCommunicator(
        application, f"/ws/chat/visitor/{widget.public_key}/?v={visitor_id}&lang={lang}&page=/shop", headers=headers
    )


def login_cookie(user) -> bytes:
    """The session cookie of `user` logged in (made before the sockets run: logging in is synchronous)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def agent_socket(cookie: bytes) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/chat/agent/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
    )


async def receive_type(comm: WebsocketCommunicator, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next frame of `kind`, skipping others."""
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


def test_a_visitor_and_an_agent_talk(widget, agent_a, customer_a):
    CustomerEmail.objects.create(customer=customer_a, email="kaveh@example.ir", is_primary=True)

    cookie = login_cookie(agent_a)

    async def scenario():
        console = agent_socket(cookie)
        assert (await console.connect())[0]
        assert (await receive_type(console, "queue"))["sessions"] == []

        guest = visitor(widget, "visitor-0001")
        assert (await guest.connect())[0]
        hello = await receive_type(guest, "hello")
        assert hello["online"] is True
        assert hello["greeting"] == "سلام! چطور کمک کنیم؟"

        await guest.send_json_to(
            {"type": "message", "id": "m1", "text": "سلام، سفارشم نرسیده", "name": "کاوه", "email": "KAVEH@example.ir"}
        )
        ack = await receive_type(guest, "ack")
        assert ack["id"] == "m1" and ack["message"]["text"] == "سلام، سفارشم نرسیده"

        new = await receive_type(console, "session")
        assert new["session"]["status"] == ChatStatus.WAITING
        assert new["session"]["customer_id"] == customer_a.pk
        assert new["session"]["customer_url"] == f"/customers/{customer_a.pk}/"
        line = await receive_type(console, "message")
        assert line["message"]["text"] == "سلام، سفارشم نرسیده"
        session_id = new["session"]["id"]

        await console.send_json_to({"type": "reply", "session": session_id, "id": "r1", "text": "در حال بررسی است"})
        assert (await receive_type(console, "ack"))["message"]["author"] == ChatAuthor.AGENT
        joined = await receive_type(guest, "message")
        assert joined["message"]["author"] == ChatAuthor.SYSTEM
        answer = await receive_type(guest, "message")
        assert answer["message"]["text"] == "در حال بررسی است"
        assert answer["message"]["agent_name"] == agent_a.first_name
        await guest.disconnect()
        await console.disconnect()
        return session_id

    session_id = run(scenario)
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == ChatStatus.ACTIVE
    assert session.agent == agent_a
    assert session.customer == customer_a
    assert session.email == "kaveh@example.ir"
    assert list(session.messages.values_list("author", flat=True)) == ["visitor", "system", "agent"]
    # The console's socket is gone: nobody is online any more.
    assert not ChatAgentPresence.objects.exists()


def test_a_returning_visitor_finds_their_chat_again(widget):
    async def scenario():
        first = visitor(widget, "visitor-back1")
        await first.connect()
        await receive_type(first, "hello")
        await first.send_json_to({"type": "message", "id": "a", "text": "اول"})
        await receive_type(first, "ack")
        await first.disconnect()

        again = visitor(widget, "visitor-back1")
        await again.connect()
        hello = await receive_type(again, "hello")
        await again.disconnect()
        return hello

    hello = run(scenario)
    assert hello["session"]["status"] == "waiting"
    assert [m["text"] for m in hello["messages"]] == ["اول"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://shop.example.ir", "https://shop.example.ir:8443", ""], ids=str
)
def test_a_visitor_socket_from_an_origin_the_widget_does_not_allow_is_refused(widget, origin):
    async def scenario():
        connected, code = await visitor(widget, "visitor-0002", origin=origin).connect()
        return connected, code

    assert run(scenario) == (False, 4403)


def test_an_unknown_or_inactive_widget_or_a_bad_visitor_id_is_refused(widget):
    async def scenario(path):
        return await WebsocketCommunicator(application, path, headers=[(b"origin", SITE.encode())]).connect()

    assert run(lambda: scenario("/ws/chat/visitor/no-such-key/?v=visitor-0003")) == (False, 4403)
    assert run(lambda: scenario(f"/ws/chat/visitor/{widget.public_key}/?v=x")) == (False, 4403)
    widget.is_active = False
    widget.save()
    assert run(lambda: scenario(f"/ws/chat/visitor/{widget.public_key}/?v=visitor-0003")) == (False, 4403)


def test_the_console_refuses_anonymous_sockets_and_other_origins(agent_a):
    cookie = login_cookie(agent_a)

    async def scenario():
        anonymous = WebsocketCommunicator(application, "/ws/chat/agent/", headers=[(b"origin", b"http://testserver")])
        first = await anonymous.connect()
        foreign = WebsocketCommunicator(
            application, "/ws/chat/agent/", headers=[(b"origin", SITE.encode()), (b"cookie", cookie)]
        )
        second = await foreign.connect()
        return first, second

    first, second = run(scenario)
    assert first == (False, 4401)
    assert second[0] is False


def test_a_flood_is_slowed_down_and_no_accepted_message_is_lost(widget, settings):
    settings.PEYVAND_CHAT_RATE = 3
    settings.PEYVAND_CHAT_RATE_SECONDS = 1

    async def scenario():
        guest = visitor(widget, "visitor-flood")
        await guest.connect()
        await receive_type(guest, "hello")
        answers = []
        for n in range(8):
            await guest.send_json_to({"type": "message", "id": f"f{n}", "text": f"پیام {n}"})
            answers.append(await guest.receive_json_from(timeout=10))
        refused = [a["id"] for a in answers if a["type"] == "error"]
        accepted = [a["id"] for a in answers if a["type"] == "ack"]
        # As the widget does: what was refused is sent again once the window has passed, until it is taken.
        pending, rounds = list(refused), 0
        while pending and rounds < 10:
            rounds += 1
            await asyncio.sleep(1.05)
            for client_id in list(pending):
                await guest.send_json_to({"type": "message", "id": client_id, "text": "دوباره"})
                answer = await guest.receive_json_from(timeout=10)
                answers.append(answer)
                if answer["type"] == "ack":
                    pending.remove(client_id)
        await guest.disconnect()
        return answers, accepted, refused, pending

    answers, accepted, refused, pending = run(scenario)
    # Eight at once against three a second: at most two windows' worth get through, the rest are refused.
    assert 3 <= len(accepted) <= 6 and len(refused) >= 2
    errors = [a for a in answers if a["type"] == "error"]
    assert {e["code"] for e in errors} == {"rate_limited"}
    assert all(e["retry_after"] == 1 for e in errors)
    assert pending == []
    stored = list(ChatMessage.objects.values_list("client_id", flat=True))
    assert sorted(stored) == sorted(f"f{n}" for n in range(8))


def test_a_message_sent_again_after_a_reconnect_is_stored_once(widget):
    async def scenario():
        guest = visitor(widget, "visitor-again")
        await guest.connect()
        await receive_type(guest, "hello")
        await guest.send_json_to({"type": "message", "id": "same", "text": "سلام"})
        first = await receive_type(guest, "ack")
        await guest.disconnect()
        guest = visitor(widget, "visitor-again")
        await guest.connect()
        await receive_type(guest, "hello")
        await guest.send_json_to({"type": "message", "id": "same", "text": "سلام"})
        second = await receive_type(guest, "ack")
        await guest.disconnect()
        return first, second

    first, second = run(scenario)
    assert first["message"]["id"] == second["message"]["id"]
    assert ChatMessage.objects.count() == 1


def test_bad_frames_are_answered_and_the_socket_stays_open(widget, settings):
    settings.PEYVAND_CHAT_MAX_MESSAGE = 100

    async def scenario():
        guest = visitor(widget, "visitor-broken", lang="en")
        await guest.connect()
        await receive_type(guest, "hello")
        answers = []
        for frame in ["not json", "[1, 2]", '{"type": "nope"}', '{"type": "message", "id": "e"}', "x" * 70000]:
            await guest.send_to(text_data=frame)
            answers.append(await guest.receive_json_from(timeout=10))
        await guest.send_json_to({"type": "message", "id": "long", "text": "ب" * 101})
        answers.append(await guest.receive_json_from(timeout=10))
        await guest.send_json_to({"type": "ping"})
        pong = await guest.receive_json_from(timeout=10)
        await guest.disconnect()
        return answers, pong

    answers, pong = run(scenario)
    assert [a["type"] for a in answers] == ["error"] * 6
    assert answers[3]["message"] == "Write a message."
    assert answers[5]["id"] == "long" and "at most 100 characters" in answers[5]["message"]
    assert pong == {"type": "pong"}
    assert not ChatMessage.objects.exists()
    assert not ChatSession.objects.exists()


def test_with_nobody_online_the_offline_message_becomes_a_ticket(widget, customer_a):
    CustomerEmail.objects.create(customer=customer_a, email="kaveh@example.ir", is_primary=True)

    async def scenario():
        guest = visitor(widget, "visitor-offline", lang="en")
        await guest.connect()
        hello = await receive_type(guest, "hello")
        await guest.send_json_to({"type": "offline", "id": "o0", "name": "Kaveh", "text": "Call me back"})
        missing = await guest.receive_json_from(timeout=10)
        await guest.send_json_to(
            {"type": "offline", "id": "o1", "name": "Kaveh", "email": "kaveh@example.ir", "text": "Call me back"}
        )
        received = await receive_type(guest, "offline_received")
        await guest.disconnect()
        return hello, missing, received

    hello, missing, received = run(scenario)
    assert hello["online"] is False and hello["offline_form"] is True
    assert missing["type"] == "error" and "email" in missing["fields"]
    ticket = Ticket.objects.get()
    assert received["ticket"] == ticket.number and ticket.number in received["message"]
    assert ticket.channel == TicketChannel.CHAT
    assert ticket.customer == customer_a
    assert ticket.contact_email == "kaveh@example.ir"
    assert ticket.description == "Call me back"
    session = ChatSession.objects.get()
    assert session.ticket == ticket and session.status == ChatStatus.CLOSED


def test_closing_an_identified_chat_writes_its_transcript_to_the_timeline(widget, agent_a, customer_a):
    CustomerEmail.objects.create(customer=customer_a, email="kaveh@example.ir", is_primary=True)

    cookie = login_cookie(agent_a)

    async def scenario():
        console = agent_socket(cookie)
        await console.connect()
        await receive_type(console, "queue")
        guest = visitor(widget, "visitor-closing")
        await guest.connect()
        await receive_type(guest, "hello")
        await guest.send_json_to(
            {"type": "message", "id": "1", "text": "قیمت بسته طلایی؟", "email": "kaveh@example.ir"}
        )
        session_id = (await receive_type(console, "session"))["session"]["id"]
        await console.send_json_to({"type": "reply", "session": session_id, "id": "2", "text": "۵ میلیون تومان"})
        await receive_type(console, "ack")
        await console.send_json_to({"type": "close", "session": session_id})
        closed = await receive_type(guest, "closed")
        update = await receive_type(console, "session")
        while update["session"]["status"] != "closed":
            update = await receive_type(console, "session")
        await guest.disconnect()
        await console.disconnect()
        return session_id, closed

    session_id, closed = run(scenario)
    assert closed["message"]
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == ChatStatus.CLOSED and session.ended_at is not None
    interaction = Interaction.objects.get(customer=customer_a, channel=InteractionChannel.CHAT)
    assert session.interaction == interaction
    assert "قیمت بسته طلایی؟" in interaction.body and "۵ میلیون تومان" in interaction.body
    assert interaction.by == agent_a
    assert interaction.related_id == str(session.pk)


def test_an_anonymous_chat_stays_a_session_when_it_closes(widget, agent_a):
    async def scenario():
        guest = visitor(widget, "visitor-anon")
        await guest.connect()
        await receive_type(guest, "hello")
        await guest.send_json_to({"type": "message", "id": "1", "text": "سلام"})
        await receive_type(guest, "ack")
        await guest.send_json_to({"type": "close"})
        await receive_type(guest, "closed")
        await guest.disconnect()

    run(scenario)
    session = ChatSession.objects.get()
    assert session.status == ChatStatus.CLOSED and session.customer is None
    assert not Interaction.objects.exists()


def test_another_teams_agent_neither_sees_nor_reaches_the_chat(widget, agent_a, agent_b):
    cookie = login_cookie(agent_b)

    async def scenario():
        other = agent_socket(cookie)
        await other.connect()
        await receive_type(other, "queue")
        guest = visitor(widget, "visitor-scope")
        await guest.connect()
        await receive_type(guest, "hello")
        await guest.send_json_to({"type": "message", "id": "1", "text": "سلام"})
        await receive_type(guest, "ack")
        session_id = await ChatSession.objects.values_list("pk", flat=True).aget()
        assert await other.receive_nothing(timeout=0.3)
        answers = []
        for kind in ("open", "take", "reply", "close"):
            await other.send_json_to({"type": kind, "session": session_id, "id": kind, "text": "x"})
            answers.append(await other.receive_json_from(timeout=10))
        await guest.disconnect()
        await other.disconnect()
        return answers

    answers = run(scenario)
    assert [a["code"] for a in answers] == ["not_found"] * 4
    session = ChatSession.objects.get()
    assert session.agent is None and session.status == ChatStatus.WAITING
    assert session.messages.count() == 1


def test_an_agent_cannot_answer_a_chat_another_agent_holds_but_a_manager_can_take_it(
    widget, agent_a, manager_a, team_a
):
    from factories import UserFactory

    colleague = UserFactory(username="colleague", team=team_a)
    session = ChatSession.objects.create(
        widget=widget, visitor_id="visitor-held", team=team_a, agent=agent_a, status=ChatStatus.ACTIVE,
        started_at=widget.created_at,
    )  # fmt: skip

    async def scenario(cookie):
        console = agent_socket(cookie)
        await console.connect()
        await receive_type(console, "queue")
        await console.send_json_to({"type": "reply", "session": session.pk, "id": "x", "text": "من جواب می‌دهم"})
        answer = await console.receive_json_from(timeout=10)
        await console.disconnect()
        return answer

    colleague_cookie, manager_cookie = login_cookie(colleague), login_cookie(manager_a)
    assert run(lambda: scenario(colleague_cookie))["code"] == "forbidden"
    assert run(lambda: scenario(manager_cookie))["type"] in ("session", "message", "ack")
    session.refresh_from_db()
    assert session.agent == manager_a


def test_the_worker_closes_silent_chats_and_files_their_transcripts(widget, customer_a, settings):
    from django.utils import timezone

    from peyvand.comms.chat.tasks import chat_idle_close
    from peyvand.comms.schedules import channel_schedules

    settings.PEYVAND_CHAT_IDLE_MINUTES = 30
    now = timezone.now()
    silent = ChatSession.objects.create(
        widget=widget, visitor_id="visitor-silent", team=widget.team, customer=customer_a,
        started_at=now - timezone.timedelta(hours=2), last_message_at=now - timezone.timedelta(minutes=45),
    )  # fmt: skip
    ChatMessage.objects.create(session=silent, author=ChatAuthor.VISITOR, text="کسی هست؟")
    talking = ChatSession.objects.create(
        widget=widget, visitor_id="visitor-talking", team=widget.team, customer=customer_a,
        started_at=now - timezone.timedelta(hours=2), last_message_at=now - timezone.timedelta(minutes=5),
    )  # fmt: skip
    assert "chat_idle_close" in dict(channel_schedules())

    settings.PEYVAND_CHAT_IDLE_MINUTES = 0
    assert chat_idle_close(now=now) == 0
    settings.PEYVAND_CHAT_IDLE_MINUTES = 30
    assert chat_idle_close(now=now) == 1
    silent.refresh_from_db()
    talking.refresh_from_db()
    assert silent.status == ChatStatus.CLOSED and talking.status == ChatStatus.WAITING
    assert silent.interaction is not None and "کسی هست؟" in silent.interaction.body
    assert silent.interaction.duration_seconds is not None


def test_a_widget_without_the_offline_form_takes_no_offline_message(widget):
    widget.offline_form = False
    widget.save()

    async def scenario():
        guest = visitor(widget, "visitor-nooffline", lang="en")
        await guest.connect()
        hello = await receive_type(guest, "hello")
        await guest.send_json_to({"type": "offline", "id": "o", "email": "a@example.ir", "text": "hello"})
        answer = await guest.receive_json_from(timeout=10)
        await guest.disconnect()
        return hello, answer

    hello, answer = run(scenario)
    assert hello["offline_form"] is False
    assert answer["type"] == "error" and answer["code"] == "invalid"
    assert not Ticket.objects.exists()


def test_one_address_flooding_with_many_visitor_ids_is_slowed_down_too(widget, settings):
    settings.PEYVAND_CHAT_RATE = 100
    settings.PEYVAND_CHAT_RATE_PER_ADDRESS = 4

    async def scenario():
        answers = []
        for n in range(3):
            guest = visitor(widget, f"visitor-nat-{n}")
            guest.scope["client"] = ("198.51.100.7", 40000 + n)
            await guest.connect()
            await receive_type(guest, "hello")
            for m in range(2):
                await guest.send_json_to({"type": "message", "id": f"{n}-{m}", "text": "سلام"})
                answers.append(await guest.receive_json_from(timeout=10))
            await guest.disconnect()
        return answers

    answers = run(scenario)
    assert [a["type"] for a in answers] == ["ack"] * 4 + ["error"] * 2
    assert answers[-1]["code"] == "rate_limited"
    assert ChatSession.objects.get(visitor_id="visitor-nat-0").ip_address == "198.51.100.7"
