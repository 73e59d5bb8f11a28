"""Canned answers in the chat console: the picker's JSON (saved replies scoped to the agent's teams, published
knowledge-base articles as plain text with a public link when they have one) and the managers' pages of saved
replies with their permissions."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from factories import UserFactory
from peyvand.accounts.models import Role
from peyvand.comms.chat.canned import canned_reply_create, kb_article_sent
from peyvand.comms.chat.models import CannedReply
from peyvand.service.kb_services import kb_article_create
from peyvand.service.models import KbArticle, KbAudience

pytestmark = pytest.mark.django_db

PICK = "/comms/chat/canned/"
PAGES = "/comms/chat/replies/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def replies(admin, team_a, team_a_sub, team_b):
    def make(title, text, team):
        return canned_reply_create(by=admin, data={"title": title, "text": text, "team_id": team.pk if team else None})

    return {
        "everyone": make("سلام و خوش‌آمد", "سلام! چطور می‌توانم کمک کنم؟", None),
        "a": make("ارسال سفارش", "سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند.", team_a),
        "a_sub": make("شعبهٔ شمال", "شعبهٔ شمال تا ساعت ۱۸ باز است.", team_a_sub),
        "b": make("گارانتی", "گارانتی دستگاه‌ها ۱۸ ماه است.", team_b),
    }


def _titles(body, kind="replies"):
    return [item["title"] for item in body[kind]]


# --- the picker --------------------------------------------------------------------------------------------------


def test_an_agent_picks_from_everyones_and_their_teams_replies_only(replies, agent_a, agent_a_sub, agent_b):
    assert set(_titles(_client(agent_a).get(PICK).json())) == {"ارسال سفارش", "سلام و خوش‌آمد"}
    # A sub-team's agent uses the replies of the teams above theirs too, nearest team first.
    assert _titles(_client(agent_a_sub).get(PICK).json()) == ["شعبهٔ شمال", "ارسال سفارش", "سلام و خوش‌آمد"]
    assert set(_titles(_client(agent_b).get(PICK).json())) == {"گارانتی", "سلام و خوش‌آمد"}


def test_a_manager_picks_the_replies_of_the_teams_under_theirs(replies, manager_a, admin):
    assert set(_titles(_client(manager_a).get(PICK).json())) == {"ارسال سفارش", "شعبهٔ شمال", "سلام و خوش‌آمد"}
    assert len(_client(admin).get(PICK).json()["replies"]) == 4


def test_the_search_finds_every_word_in_any_persian_spelling(replies, agent_a):
    client = _client(agent_a)
    # Arabic yeh and kaf, Persian digits and a half-space typed as a space all find the reply.
    found = client.get(PICK, {"q": "سفارشها ۳ روز"}).json()
    assert _titles(found) == ["ارسال سفارش"]
    assert found["replies"][0]["text"] == "سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند."
    assert _titles(client.get(PICK, {"q": "كمك"}).json()) == ["سلام و خوش‌آمد"]
    # Another team's reply is never found.
    assert _titles(client.get(PICK, {"q": "گارانتی"}).json()) == []


def test_published_articles_come_as_plain_text_and_only_public_ones_with_a_link(admin, agent_a, settings):
    settings.PEYVAND_KB_PUBLIC_URL = "https://help.example.ir/kb/{id}/"
    public = kb_article_create(
        by=admin,
        data={
            "title": "بازگشت کالا",
            "body": "## شرایط بازگشت\n\n- تا **۷ روز**\n- با فاکتور",
            "audience": KbAudience.CUSTOMERS,
        },
        publish=True,
    )
    kb_article_create(by=admin, data={"title": "بازگشت: رویهٔ داخلی", "body": "فقط با تأیید مدیر"}, publish=True)
    kb_article_create(by=admin, data={"title": "بازگشت (پیش‌نویس)", "body": "هنوز نه"})
    body = _client(agent_a).get(PICK, {"q": "بازگشت"}).json()
    articles = {item["title"]: item for item in body["articles"]}
    assert set(articles) == {"بازگشت کالا", "بازگشت: رویهٔ داخلی"}
    shared = articles["بازگشت کالا"]
    assert shared["text"] == f"شرایط بازگشت\n\nتا ۷ روز\nبا فاکتور\nhttps://help.example.ir/kb/{public.pk}/"
    assert shared["url"] == f"https://help.example.ir/kb/{public.pk}/"
    # A staff article is for the agent to read, never a link to hand the visitor.
    internal = articles["بازگشت: رویهٔ داخلی"]
    assert internal["url"] == "" and internal["text"] == "فقط با تأیید مدیر"


def test_without_a_public_knowledge_base_no_article_has_a_link(admin, agent_a, settings):
    settings.PEYVAND_KB_PUBLIC_URL = ""
    kb_article_create(by=admin, data={"title": "ساعات کاری", "body": "شنبه تا چهارشنبه", "audience": "customers"},
                      publish=True)  # fmt: skip
    item = _client(agent_a).get(PICK, {"q": "ساعات"}).json()["articles"][0]
    assert item["url"] == "" and item["text"] == "شنبه تا چهارشنبه"


def test_a_long_article_is_cut_to_a_chat_message_and_keeps_its_link(admin, agent_a, settings):
    settings.PEYVAND_KB_PUBLIC_URL = "https://help.example.ir/kb/{id}/"
    settings.PEYVAND_CHAT_MAX_MESSAGE = 300
    kb_article_create(by=admin, data={"title": "راهنمای نصب", "body": "نصب " * 400, "audience": "customers"},
                      publish=True)  # fmt: skip
    text = _client(agent_a).get(PICK, {"q": "راهنمای نصب"}).json()["articles"][0]["text"]
    assert len(text) <= 300
    first, link = text.rsplit("\n", 1)
    assert first.endswith("…") and link.startswith("https://help.example.ir/kb/")


def test_an_article_sent_in_an_answer_counts_as_used_unless_it_is_not_one_to_send(admin, agent_a):
    published = kb_article_create(by=admin, data={"title": "الف", "body": "متن"}, publish=True)
    draft = kb_article_create(by=admin, data={"title": "ب", "body": "متن"})
    kb_article_sent(article_id=published.pk, by=agent_a)
    for wrong in (draft.pk, 987654, "1", True, None):
        kb_article_sent(article_id=wrong, by=agent_a)
    assert dict(KbArticle.objects.values_list("title", "uses")) == {"الف": 1, "ب": 0}


def test_the_picker_needs_a_login():
    response = Client().get(PICK)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the managers' pages -----------------------------------------------------------------------------------------


def test_agents_cannot_open_the_saved_replies_pages(replies, agent_a):
    client = _client(agent_a)
    for path in (PAGES, f"{PAGES}new/", f"{PAGES}{replies['a'].pk}/edit/"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"{PAGES}{replies['a'].pk}/delete/").status_code == 403
    assert CannedReply.objects.filter(pk=replies["a"].pk).exists()


def test_a_manager_writes_replies_for_their_teams(manager_a, team_a_sub):
    client = _client(manager_a)
    assert client.get(f"{PAGES}new/").status_code == 200
    response = client.post(f"{PAGES}new/", {"title": "تأخیر", "text": "  پوزش از تأخیر.  ", "team_id": team_a_sub.pk})
    assert response.status_code == 302 and response["Location"] == PAGES
    reply = CannedReply.objects.get()
    assert (reply.team, reply.text, reply.created_by) == (team_a_sub, "پوزش از تأخیر.", manager_a)
    assert "تأخیر" in client.get(PAGES).content.decode()


def test_a_manager_cannot_write_for_everyone_or_another_team(manager_a, team_b):
    client = _client(manager_a)
    response = client.post(f"{PAGES}new/", {"title": "همه", "text": "متن", "team_id": ""})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert client.post(f"{PAGES}new/", {"title": "دیگری", "text": "متن", "team_id": team_b.pk}).status_code == 422
    assert not CannedReply.objects.exists()


def test_bad_input_shows_the_form_again_with_each_error(admin, settings):
    settings.PEYVAND_CHAT_MAX_MESSAGE = 50
    client = _client(admin)
    response = client.post(f"{PAGES}new/", {"title": "", "text": "سلام", "team_id": ""})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    response = client.post(f"{PAGES}new/", {"title": "بلند", "text": "x" * 51, "team_id": ""})
    html = response.content.decode()
    assert response.status_code == 422 and "A chat message holds at most 50 characters." in html
    assert 'value="بلند"' in html
    assert not CannedReply.objects.exists()


def test_another_teams_manager_gets_404_and_everyones_replies_are_the_admins(replies, team_b, admin):
    manager_b = UserFactory(role=Role.MANAGER, team=team_b)
    client = _client(manager_b)
    assert client.get(f"{PAGES}{replies['a'].pk}/edit/").status_code == 404
    assert client.post(f"{PAGES}{replies['a'].pk}/delete/").status_code == 404
    # Replies for everyone are listed to read, not to change.
    listed = client.get(PAGES).content.decode()
    assert "سلام و خوش‌آمد" in listed and "ارسال سفارش" not in listed
    assert client.get(f"{PAGES}{replies['everyone'].pk}/edit/").status_code == 403
    assert client.post(f"{PAGES}{replies['everyone'].pk}/delete/").status_code == 403
    edit = client.post(f"{PAGES}{replies['b'].pk}/edit/", {"title": "گارانتی", "text": "۲۴ ماه", "team_id": team_b.pk})
    assert edit.status_code == 302
    replies["b"].refresh_from_db()
    assert replies["b"].text == "۲۴ ماه"
    admin_client = _client(admin)
    assert admin_client.post(f"{PAGES}{replies['everyone'].pk}/delete/").status_code == 302
    assert not CannedReply.objects.filter(pk=replies["everyone"].pk).exists()


def test_the_console_offers_the_picker_and_managers_the_replies_page(agent_a, manager_a):
    agent_page = _client(agent_a).get("/comms/chat/").content.decode()
    assert 'data-canned-url="/comms/chat/canned/"' in agent_page and "data-pv-canned-toggle" in agent_page
    assert PAGES not in agent_page
    assert PAGES in _client(manager_a).get("/comms/chat/").content.decode()
