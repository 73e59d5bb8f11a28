"""Live chat over HTTP: the API's scoped list and transcripts, the console and transcript pages, the admins'
widget pages and the widget's script."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from peyvand.comms.chat.models import ChatAuthor, ChatMessage, ChatSession, ChatStatus, ChatWidget


@pytest.fixture
def widget_a(team_a):
    return ChatWidget.objects.create(name="سایت فروش", team=team_a, allowed_origins=["https://shop.example.ir"])


@pytest.fixture
def widget_b(team_b):
    return ChatWidget.objects.create(name="سایت پشتیبانی", team=team_b, allowed_origins=["https://help.example.ir"])


def _session(widget, *, customer=None, status=ChatStatus.ACTIVE, agent=None, texts=("سلام", "در خدمتم")):
    session = ChatSession.objects.create(
        widget=widget, visitor_id=f"visitor-{ChatSession.objects.count()}-x", team=widget.team, customer=customer,
        status=status, agent=agent, started_at=timezone.now() - dt.timedelta(minutes=5), name="کاوه",
    )  # fmt: skip
    for n, text in enumerate(texts):
        ChatMessage.objects.create(
            session=session, author=ChatAuthor.VISITOR if n % 2 == 0 else ChatAuthor.AGENT, text=text, agent=agent
        )
    return session


def _page_client(user, *, lang="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client


def test_the_api_lists_only_the_chats_of_the_callers_teams(api_client, agent_a, agent_b, admin, widget_a, widget_b):
    mine = _session(widget_a)
    theirs = _session(widget_b)
    ids = lambda user: [row["id"] for row in api_client(user).get("/api/v1/comms/chat/sessions").json()["items"]]  # noqa: E731
    assert ids(agent_a) == [mine.pk]
    assert ids(agent_b) == [theirs.pk]
    assert ids(admin) == [theirs.pk, mine.pk]


def test_the_api_filters_and_pages_chats(api_client, admin, widget_a):
    closed = _session(widget_a, status=ChatStatus.CLOSED)
    sessions = [_session(widget_a) for _ in range(3)]
    client = api_client(admin)
    first = client.get("/api/v1/comms/chat/sessions", {"limit": 2, "status": "active"}).json()
    assert [row["id"] for row in first["items"]] == [sessions[2].pk, sessions[1].pk]
    second = client.get(
        "/api/v1/comms/chat/sessions", {"limit": 2, "status": "active", "cursor": first["next_cursor"]}
    ).json()
    assert [row["id"] for row in second["items"]] == [sessions[0].pk] and second["next_cursor"] is None
    assert [r["id"] for r in client.get("/api/v1/comms/chat/sessions?status=closed").json()["items"]] == [closed.pk]
    assert client.get("/api/v1/comms/chat/sessions?status=lost").status_code == 422
    assert client.get("/api/v1/comms/chat/sessions?cursor=broken").status_code == 422


def test_the_api_gives_a_transcript_and_another_teams_agent_gets_404(api_client, agent_a, agent_b, widget_a):
    session = _session(widget_a, agent=agent_a, texts=("قیمت؟", "۱۰۰ هزار تومان", "ممنون"))
    response = api_client(agent_a).get(f"/api/v1/comms/chat/sessions/{session.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [m["text"] for m in body["messages"]] == ["قیمت؟", "۱۰۰ هزار تومان", "ممنون"]
    assert [m["author"] for m in body["messages"]] == ["visitor", "agent", "visitor"]
    assert body["team_id"] == widget_a.team_id and body["agent_id"] == agent_a.pk
    assert api_client(agent_b).get(f"/api/v1/comms/chat/sessions/{session.pk}").status_code == 404
    assert api_client(agent_b).get("/api/v1/comms/chat/sessions/999999").status_code == 404
    assert api_client(None).get(f"/api/v1/comms/chat/sessions/{session.pk}").status_code == 401


def test_a_customer_the_caller_cannot_see_is_not_shown(api_client, agent_a, widget_a, customer_b):
    session = _session(widget_a, customer=customer_b)
    body = api_client(agent_a).get(f"/api/v1/comms/chat/sessions/{session.pk}").json()
    assert body["customer_id"] is None


def test_the_console_page_opens_for_any_agent_with_their_teams_ended_chats(agent_a, widget_a, widget_b):
    mine = _session(widget_a, status=ChatStatus.CLOSED)
    theirs = _session(widget_b, status=ChatStatus.CLOSED)
    response = _page_client(agent_a).get("/comms/chat/")
    assert response.status_code == 200
    assert b"data-pv-chat-console" in response.content
    assert b"peyvand/chat-console.js" in response.content
    page = response.content.decode()
    assert f"/comms/chat/{mine.pk}/" in page and f"/comms/chat/{theirs.pk}/" not in page
    assert Client().get("/comms/chat/").status_code == 302


def test_the_transcript_page_is_scoped(agent_a, agent_b, widget_a, customer_a):
    session = _session(widget_a, customer=customer_a, texts=("سفارش ۱۲۳ کجاست؟",))
    response = _page_client(agent_a, lang="fa").get(f"/comms/chat/{session.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "سفارش ۱۲۳ کجاست؟" in page and f"/customers/{customer_a.pk}/" in page
    assert 'dir="rtl"' in page
    assert _page_client(agent_b).get(f"/comms/chat/{session.pk}/").status_code == 404


def test_only_admins_see_and_change_the_widgets(agent_a, manager_a, admin, widget_a):
    for user in (agent_a, manager_a):
        client = _page_client(user)
        assert client.get("/comms/chat/widgets/").status_code == 403
        assert client.get("/comms/chat/widgets/new/").status_code == 403
        assert client.post(f"/comms/chat/widgets/{widget_a.pk}/edit/", {"name": "x"}).status_code == 403
    response = _page_client(admin).get("/comms/chat/widgets/")
    assert response.status_code == 200
    assert f"/comms/chat/widget/{widget_a.public_key}.js".encode() in response.content


def test_an_admin_creates_a_widget_and_bad_origins_show_the_form_again(admin, team_a):
    client = _page_client(admin)
    bad = client.post(
        "/comms/chat/widgets/new/",
        {"name": "فروشگاه", "team_id": team_a.pk, "allowed_origins": "https://shop.example.ir/path\nftp://x"},
    )
    assert bad.status_code == 422
    assert "is not an origin" in bad.content.decode()
    assert not ChatWidget.objects.exists()
    missing = client.post("/comms/chat/widgets/new/", {"name": "", "team_id": ""})
    assert missing.status_code == 422
    good = client.post(
        "/comms/chat/widgets/new/",
        {
            "name": "فروشگاه",
            "team_id": team_a.pk,
            "allowed_origins": "https://Shop.Example.ir/\nhttp://localhost:8080",
            "greeting_fa": "سلام",
            "offline_form": "on",
            "is_active": "on",
        },
    )
    assert good.status_code == 302
    widget = ChatWidget.objects.get()
    assert widget.allowed_origins == ["https://shop.example.ir", "http://localhost:8080"]
    assert widget.team == team_a and widget.offline_form and len(widget.public_key) >= 20

    edited = client.post(
        f"/comms/chat/widgets/{widget.pk}/edit/",
        {"name": "فروشگاه ۲", "team_id": team_a.pk, "allowed_origins": "https://shop.example.ir"},
    )
    assert edited.status_code == 302
    widget.refresh_from_db()
    assert widget.name == "فروشگاه ۲" and not widget.offline_form and not widget.is_active


def test_the_widget_script_is_served_by_key_to_any_site(widget_a):
    response = Client().get(f"/comms/chat/widget/{widget_a.public_key}.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"attachShadow" in response.content and b"/ws/chat/visitor/" in response.content
    assert Client().get("/comms/chat/widget/unknown.js").status_code == 404
    widget_a.is_active = False
    widget_a.save()
    assert Client().get(f"/comms/chat/widget/{widget_a.public_key}.js").status_code == 404
