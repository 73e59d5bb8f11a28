"""The flood guard's counting in the site's cache, as several processes sharing one cache (Redis) do it: every hit
counted once when many come at once, a key expiring mid-count losing nobody's hit, a cache that is down turning
nobody away; and one visitor's limit shared by the chat's message and offline-message paths and by two sockets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from peyvand.asgi import application
from peyvand.comms.chat import services
from peyvand.comms.chat.models import ChatMessage, ChatWidget
from peyvand.core import counting
from peyvand.core.counting import window_hit
from peyvand.service.models import Ticket

SITE = "https://shop.example.ir"


@pytest.fixture(autouse=True)
def _fresh_rate_windows():
    cache.clear()
    yield
    cache.clear()


class RacyCache(LocMemCache):
    """A cache in which, before one `incr`, the key expires and another process counts the new window's first hit
    (`window_hit` through `add`) — the moment two processes race at a window's edge."""

    def __init__(self) -> None:
        super().__init__("racy", {})
        self.race_before_incr = 0

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        if self.race_before_incr:
            self.race_before_incr -= 1
            self.delete(key, version=version)
            try:
                return super().incr(key, delta, version=version)
            finally:
                self.other_process_hit = window_hit("w", timeout=60)
        return super().incr(key, delta, version=version)


class DownCache(LocMemCache):
    """A cache server that does not answer."""

    def __init__(self) -> None:
        super().__init__("down", {})

    def add(self, *args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("cache server unreachable")


def test_many_hits_at_once_are_each_counted_once():
    results: list[int] = []
    lock = threading.Lock()

    def hit_many() -> None:
        mine = [window_hit("burst", timeout=60) for _ in range(50)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=hit_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each of the 400 hits saw its own count: none lost, none counted twice.
    assert sorted(results) == list(range(1, 401))


def test_a_key_expiring_between_add_and_incr_loses_no_hit(monkeypatch):
    racy = RacyCache()
    monkeypatch.setattr(counting, "cache", racy)
    assert window_hit("w", timeout=60) == 1
    racy.race_before_incr = 1
    # This hit finds the key, which then expires; another process starts the window again before it recovers.
    mine = window_hit("w", timeout=60)
    assert (racy.other_process_hit, mine) == (1, 2)
    assert window_hit("w", timeout=60) == 3


def test_a_cache_that_does_not_answer_counts_nothing_and_refuses_nobody(monkeypatch, settings):
    settings.PEYVAND_CHAT_RATE = 1
    monkeypatch.setattr(counting, "cache", DownCache())
    assert window_hit("w", timeout=60) == 0
    assert all(services.rate_allowed(visitor="v", address="198.51.100.7") for _ in range(5))


def test_the_limit_holds_for_hits_from_many_threads_at_once(settings):
    settings.PEYVAND_CHAT_RATE = 100
    settings.PEYVAND_CHAT_RATE_SECONDS = 10**6
    allowed: list[bool] = []
    lock = threading.Lock()

    def send() -> None:
        mine = [services.rate_allowed(visitor="w:visitor-1", address=None) for _ in range(30)]
        with lock:
            allowed.extend(mine)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 100 and len(allowed) == 180


# --- through the sockets -----------------------------------------------------------------------------------------


@pytest.fixture
def widget(transactional_db, team_a):
    # The consumers close the connection around each database call, which a test transaction cannot survive.
    return ChatWidget.objects.create(name="فروشگاه", team=team_a, allowed_origins=[SITE])


def _run(coro_fn: Callable[[], Any]) -> Any:
    async def main() -> Any:
        return await coro_fn()

    return async_to_sync(main)()


def _visitor(widget: ChatWidget, visitor_id: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/chat/visitor/{widget.public_key}/?v={visitor_id}&lang=en",
        headers=[(b"origin", SITE.encode())],
    )


async def _answer(comm: WebsocketCommunicator, kinds: tuple[str, ...]) -> dict[str, Any]:
    while True:
        frame = await comm.receive_json_from(timeout=10)
        if frame["type"] in kinds:
            return frame


def test_messages_and_offline_messages_of_one_visitor_on_two_sockets_share_one_limit(widget, settings):
    settings.PEYVAND_CHAT_RATE = 3
    # One window for the whole test: the count must not start again half-way.
    settings.PEYVAND_CHAT_RATE_SECONDS = 10**6
    kinds = ("ack", "offline_received", "error")

    async def scenario() -> list[dict[str, Any]]:
        first, second = _visitor(widget, "visitor-two-tabs"), _visitor(widget, "visitor-two-tabs")
        for socket in (first, second):
            assert (await socket.connect())[0]
            await _answer(socket, ("hello",))
        steps = [
            (first, {"type": "offline", "id": "o1", "name": "Kaveh", "email": "k@example.ir", "text": "Call me"}),
            (second, {"type": "message", "id": "m1", "text": "Hello"}),
            (first, {"type": "message", "id": "m2", "text": "Anyone?"}),
            (second, {"type": "offline", "id": "o2", "name": "Kaveh", "email": "k@example.ir", "text": "Again"}),
            (first, {"type": "message", "id": "m3", "text": "Hello?"}),
        ]
        answers = []
        for socket, frame in steps:
            await socket.send_json_to(frame)
            answers.append(await _answer(socket, kinds))
        for socket in (first, second):
            await socket.disconnect()
        return answers

    answers = _run(scenario)
    assert [a["type"] for a in answers] == ["offline_received", "ack", "ack", "error", "error"]
    assert {a["code"] for a in answers[3:]} == {"rate_limited"}
    assert [a["id"] for a in answers] == ["o1", "m1", "m2", "o2", "m3"]
    assert Ticket.objects.count() == 1
    assert sorted(ChatMessage.objects.filter(client_id__startswith="m").values_list("client_id", flat=True)) == [
        "m1",
        "m2",
    ]
