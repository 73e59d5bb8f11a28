"""The knowledge base: writing and publishing articles, search with Persian normalisation, who sees what,
votes, uses and the suggestions a ticket form shows."""

import json

import pytest

from peyvand.core.errors import ConflictError
from peyvand.service.kb_selectors import kb_search, kb_suggest
from peyvand.service.kb_services import (
    kb_article_archive,
    kb_article_create,
    kb_article_publish,
    kb_article_update,
    kb_article_used,
    kb_section_create,
)
from peyvand.service.models import KbArticle, KbAudience, KbStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(manager_a):
    """write(title, body, **fields): a published article written by a manager."""

    def make(title, body="متن راهنما", *, publish=True, **fields):
        return kb_article_create(by=manager_a, data={"title": title, "body": body, **fields}, publish=publish)

    return make


def _titles(page):
    return [a.title for a in page.items]


def _json(response):
    return json.loads(response.content)


# --- writing ---------------------------------------------------------------------------------------------


def test_it_saves_a_draft_with_its_search_text(manager_a):
    article = kb_article_create(
        by=manager_a, data={"title": "بازگشت وجه", "body": "مراحل **بازگشت** وجه", "tags": "استرداد"}
    )
    assert article.status == KbStatus.DRAFT
    assert article.author == manager_a
    assert article.search_text.startswith("بازگشتوجه ")
    assert "استرداد" in article.search_text


def test_an_agent_cannot_write_articles(agent_a, api_client, write):
    response = api_client(agent_a).post(
        "/api/v1/kb/articles", {"title": "x", "body": "y"}, content_type="application/json"
    )
    assert response.status_code == 403
    article = write("قانون مرجوعی")
    response = api_client(agent_a).patch(
        f"/api/v1/kb/articles/{article.pk}", {"version": 1, "title": "z"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert api_client(agent_a).post(f"/api/v1/kb/articles/{article.pk}/archive").status_code == 403
    assert (
        api_client(agent_a).post("/api/v1/kb/sections", {"name": "x"}, content_type="application/json").status_code
        == 403
    )
    assert KbArticle.objects.get(pk=article.pk).status == KbStatus.PUBLISHED


def test_a_manager_writes_publishes_and_archives_through_the_api(manager_a, api_client, installation):
    client = api_client(manager_a)
    section = client.post("/api/v1/kb/sections", {"name": "رویه‌ها"}, content_type="application/json")
    assert section.status_code == 201
    response = client.post(
        "/api/v1/kb/articles",
        {
            "title": "نصب مودم",
            "body": "# مراحل\n- کابل را وصل کنید",
            "audience": "customers",
            "section_id": _json(section)["id"],
            "ticket_category_ids": [installation.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = _json(response)
    assert body["status"] == "draft"
    assert body["ticket_category_ids"] == [installation.pk]
    published = client.post(f"/api/v1/kb/articles/{body['id']}/publish")
    assert _json(published)["status"] == "published"
    assert _json(published)["version"] == 2
    archived = client.post(f"/api/v1/kb/articles/{body['id']}/archive")
    assert _json(archived)["status"] == "archived"


def test_bad_input_names_each_field(manager_a, api_client):
    response = api_client(manager_a).post(
        "/api/v1/kb/articles",
        {"title": "  ", "body": "x", "section_id": 999999, "ticket_category_ids": [999999]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    fields = _json(response)["error"]["fields"]
    assert set(fields) == {"title", "section_id", "ticket_category_ids"}
    assert not KbArticle.objects.exists()


def test_a_stale_version_is_refused(manager_a, write, api_client):
    article = write("ساعات کاری")
    kb_article_update(article=article, by=manager_a, version=1, data={"title": "ساعات کاری دفتر"})
    with pytest.raises(ConflictError):
        kb_article_update(article=article, by=manager_a, version=1, data={"title": "دیگر"})
    response = api_client(manager_a).patch(
        f"/api/v1/kb/articles/{article.pk}", {"version": 1, "body": "x"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert KbArticle.objects.get(pk=article.pk).title == "ساعات کاری دفتر"


def test_an_update_refreshes_what_search_finds(manager_a, write):
    article = write("عنوان قدیم")
    kb_article_update(article=article, by=manager_a, version=1, data={"body": "گارانتی دستگاه"})
    assert _titles(kb_search(user=manager_a, text="گارانتی")) == ["عنوان قدیم"]


# --- search ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("شرایط مرجوعی کالا", "شرايط"),  # Arabic yeh finds Persian yeh
        ("کارت گارانتی", "كارت"),  # Arabic kaf finds Persian kaf
        ("درخواست می‌خواهم", "میخواهم"),  # half-space
        ("درخواست میخواهم", "می‌خواهم"),
        ("تعرفه ۱۲ ماهه", "12 ماهه"),  # Persian digits and ASCII
        ("تعرفه 24 ماهه", "۲۴"),
    ],
)
def test_search_normalises_persian(write, agent_a, stored, query):
    write(stored)
    write("مقاله دیگر")
    assert _titles(kb_search(user=agent_a, text=query)) == [stored]


def test_every_word_must_appear(write, agent_a):
    write("بازگشت وجه", "شرایط بازگشت وجه پس از لغو سفارش")
    write("لغو سفارش", "چگونه سفارش را لغو کنیم")
    assert _titles(kb_search(user=agent_a, text="لغو وجه")) == ["بازگشت وجه"]


def test_title_hits_come_first_then_use(write, agent_a):
    in_body = write("پرسش‌های پرتکرار", "مودم را خاموش و روشن کنید")
    used_body = write("راهنمای اینترنت", "اگر مودم چراغ ندارد")
    in_title = write("ریست مودم", "دکمه پشت دستگاه")
    kb_article_used(used_body)
    assert _titles(kb_search(user=agent_a, text="مودم")) == [in_title.title, used_body.title, in_body.title]


def test_search_pages_through_results(write, agent_a, api_client):
    for n in range(5):
        write(f"راهنما {n}")
    first = _json(api_client(agent_a).get("/api/v1/kb/articles", {"q": "راهنما", "limit": 3}))
    assert len(first["items"]) == 3 and first["next"]
    second = _json(api_client(agent_a).get("/api/v1/kb/articles", {"q": "راهنما", "limit": 3, "cursor": first["next"]}))
    assert len(second["items"]) == 2 and second["next"] is None
    assert {a["id"] for a in first["items"]}.isdisjoint({a["id"] for a in second["items"]})


def test_the_reply_box_gets_the_body_of_published_articles(write, agent_a, api_client):
    write("پاسخ به مشتری عصبانی", "ابتدا **گوش** کنید")
    write("پیش‌نویس مشتری عصبانی", publish=False)
    response = api_client(agent_a).get("/api/v1/kb/articles", {"q": "عصبانی", "status": "published"})
    items = _json(response)["items"]
    assert [i["title"] for i in items] == ["پاسخ به مشتری عصبانی"]
    assert items[0]["body"] == "ابتدا **گوش** کنید"
    assert set(items[0]) == {"id", "title", "body", "language", "audience", "status", "section", "updated_at"}


def test_agents_see_only_published_articles(write, agent_a, manager_a, api_client):
    draft = write("پیش‌نویس", publish=False)
    archived = write("بایگانی")
    kb_article_archive(article=archived, by=manager_a)
    assert _titles(kb_search(user=agent_a, text="")) == []
    assert api_client(agent_a).get(f"/api/v1/kb/articles/{draft.pk}").status_code == 404
    assert set(_titles(kb_search(user=manager_a, text=""))) == {"پیش‌نویس", "بایگانی"}


def test_staff_articles_are_never_shown_to_customers(write, agent_a, api_client):
    write("اسکریپت پاسخ تلفنی", "مودم", audience=KbAudience.STAFF)
    write("آموزش نصب مودم", "مودم", audience=KbAudience.CUSTOMERS)
    assert _titles(kb_search(user=None, text="مودم")) == ["آموزش نصب مودم"]
    assert _titles(kb_search(user=agent_a, text="مودم", reader="customers")) == ["آموزش نصب مودم"]
    assert len(kb_search(user=agent_a, text="مودم").items) == 2
    suggestions = _json(api_client(agent_a).get("/api/v1/kb/suggest", {"text": "مودم"}))
    assert [s["title"] for s in suggestions] == ["آموزش نصب مودم"]


def test_filters_by_language_audience_and_section(write, manager_a, agent_a, api_client):
    section = kb_section_create(by=manager_a, data={"name": "فروش"})
    write("Refund policy", language="en", section_id=section.pk)
    write("سیاست بازگشت", audience=KbAudience.CUSTOMERS)
    client = api_client(agent_a)
    assert [i["title"] for i in _json(client.get("/api/v1/kb/articles", {"language": "en"}))["items"]] == [
        "Refund policy"
    ]
    assert [i["title"] for i in _json(client.get("/api/v1/kb/articles", {"audience": "customers"}))["items"]] == [
        "سیاست بازگشت"
    ]
    assert [i["section"] for i in _json(client.get("/api/v1/kb/articles", {"section": section.pk}))["items"]] == [
        section.pk
    ]


# --- votes and uses --------------------------------------------------------------------------------------


def test_votes_are_counted(write, agent_a, api_client):
    article = write("راهنما")
    client = api_client(agent_a)
    client.post(f"/api/v1/kb/articles/{article.pk}/vote", {"helpful": True}, content_type="application/json")
    response = client.post(
        f"/api/v1/kb/articles/{article.pk}/vote", {"helpful": False}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (_json(response)["helpful_yes"], _json(response)["helpful_no"]) == (1, 1)


def test_a_draft_takes_no_votes(write, manager_a, api_client):
    draft = write("پیش‌نویس", publish=False)
    response = api_client(manager_a).post(
        f"/api/v1/kb/articles/{draft.pk}/vote", {"helpful": True}, content_type="application/json"
    )
    assert response.status_code == 422
    assert KbArticle.objects.get(pk=draft.pk).helpful_yes == 0


def test_quoting_an_article_counts_its_use(write):
    article = write("راهنما")
    kb_article_used(article)
    kb_article_used(article)
    assert KbArticle.objects.get(pk=article.pk).uses == 2


def test_publishing_twice_changes_nothing(write, manager_a):
    article = write("راهنما")
    again = kb_article_publish(article=article, by=manager_a)
    assert again.version == article.version


# --- suggestions -----------------------------------------------------------------------------------------


def test_suggestions_put_the_categorys_articles_first(write, installation, technical, billing_category):
    general = write("اینترنت قطع است چه کنم", "مودم و کابل", audience=KbAudience.CUSTOMERS)
    linked = write(
        "آموزش نصب",
        "مراحل نصب",
        audience=KbAudience.CUSTOMERS,
        ticket_category_ids=[technical.pk],
    )
    write("پرداخت قبض", "قبض", audience=KbAudience.CUSTOMERS, ticket_category_ids=[billing_category.pk])
    # The article linked to «فنی» answers a ticket of its sub-category «نصب» too, and comes first.
    found = kb_suggest(text="اینترنت من قطع است", category_id=installation.pk)
    assert [a.pk for a in found] == [linked.pk, general.pk]
    assert [a.pk for a in kb_suggest(text="اینترنت من قطع است", category_id=None)] == [general.pk]


def test_suggestions_ignore_short_and_common_words(write):
    write("راهنما", "از به با که", audience=KbAudience.CUSTOMERS)
    assert kb_suggest(text="از به با که را") == []


def test_suggest_page_shows_suggestions_as_the_customer_types(write, agent_a, client, installation):
    write("آموزش نصب <b>مودم</b>", "مراحل", audience=KbAudience.CUSTOMERS, ticket_category_ids=[installation.pk])
    client.force_login(agent_a)
    response = client.get("/service/kb/suggest/", {"text": "نصب", "category": installation.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "آموزش نصب &lt;b&gt;مودم&lt;/b&gt;" in html
    empty = client.get("/service/kb/suggest/", {"text": ""})
    assert "آموزش نصب" not in empty.content.decode()


# --- demo ------------------------------------------------------------------------------------------------


def test_the_demo_articles_are_seeded_once(installation, billing_category, agent_a):
    from peyvand.service.kb_demo import seed_kb_demo

    written = seed_kb_demo()
    assert written >= 6
    assert seed_kb_demo() == 0
    assert KbArticle.objects.count() == written
    assert _titles(kb_search(user=agent_a, text="مشتري عصباني")) == ["پاسخ به مشتری عصبانی"]
    assert all(a.audience == KbAudience.CUSTOMERS for a in kb_search(user=None, text="").items)
    installing = kb_suggest(text="دستگاه روشن نمی‌شود", category_id=installation.pk)
    assert installing[0].title == "مراحل نصب و راه‌اندازی دستگاه"


def test_an_article_reads_back_as_written(manager_a, api_client, installation):
    section = kb_section_create(by=manager_a, data={"name": "راهنما"})
    article = kb_article_create(
        by=manager_a,
        data={
            "title": "نصب",
            "body": "متن",
            "section_id": section.pk,
            "tags": "کلید",
            "ticket_category_ids": [installation.pk],
        },
    )
    body = _json(api_client(manager_a).get(f"/api/v1/kb/articles/{article.pk}"))
    assert (body["section"], body["tags"], body["ticket_category_ids"], body["version"]) == (
        section.pk,
        "کلید",
        [installation.pk],
        1,
    )
    assert body["author_id"] == manager_a.pk
