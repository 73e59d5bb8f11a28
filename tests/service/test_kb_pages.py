"""Knowledge-base pages: search with live results, the article page (safe Markdown), the editor and sections
(managers only), votes."""

import pytest

from peyvand.service.kb_markdown import render_markdown
from peyvand.service.kb_services import kb_article_create
from peyvand.service.models import KbArticle, KbCategory, KbStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(manager_a):
    return kb_article_create(
        by=manager_a,
        data={"title": "پاسخ به مشتری عصبانی", "body": "# قدم اول\n- **گوش** کنید\n<script>alert(1)</script>"},
        publish=True,
    )


@pytest.fixture
def draft(manager_a):
    return kb_article_create(by=manager_a, data={"title": "پیش‌نویس رویه", "body": "متن"})


def test_markdown_is_escaped_before_it_is_rendered():
    html = render_markdown(
        "# عنوان\n<script>alert(1)</script>\n- یک\n- [لینک](https://example.ir/a?b=1&c=2)\n"
        "[بد](javascript:alert(1))\n<img src=x onerror=alert(1)>\n**پررنگ**"
    )
    assert "<h2>عنوان</h2>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert (
        '<a href="https://example.ir/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">لینک</a>' in html
    )
    assert 'href="javascript' not in html
    assert "<ul>\n<li>یک</li>" in html
    assert "<strong>پررنگ</strong>" in html


def test_a_link_cannot_break_out_of_its_attribute():
    html = render_markdown('[x](https://a.ir/"onmouseover="alert(1))')
    assert 'onmouseover="' not in html


def test_the_article_page_renders_the_text_safely(client, agent_a, article):
    client.force_login(agent_a)
    response = client.get(f"/service/kb/{article.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>قدم اول</h2>" in html
    assert "<strong>گوش</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert KbArticle.objects.get(pk=article.pk).views == 1


def test_an_agent_cannot_open_a_draft(client, agent_a, draft, manager_a):
    client.force_login(agent_a)
    assert client.get(f"/service/kb/{draft.pk}/").status_code == 404
    client.force_login(manager_a)
    assert client.get(f"/service/kb/{draft.pk}/").status_code == 200


def test_the_search_page_lists_and_filters_live(client, agent_a, article, draft):
    client.force_login(agent_a)
    page = client.get("/service/kb/")
    assert page.status_code == 200
    html = page.content.decode()
    assert article.title in html and draft.title not in html
    partial = client.get("/service/kb/", {"q": "عصباني"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert article.title in partial.content.decode()
    nothing = client.get("/service/kb/", {"q": "گارانتی"}, HTTP_HX_REQUEST="true")
    assert article.title not in nothing.content.decode()


@pytest.mark.parametrize("path", ["/service/kb/new/", "/service/kb/sections/"])
def test_agents_get_403_on_the_writers_pages(client, agent_a, path):
    client.force_login(agent_a)
    assert client.get(path).status_code == 403
    assert client.post(path, {"title": "x", "body": "y", "name": "x"}).status_code == 403


def test_agents_cannot_edit_or_archive(client, agent_a, article):
    client.force_login(agent_a)
    assert client.get(f"/service/kb/{article.pk}/edit/").status_code == 403
    assert client.post(f"/service/kb/{article.pk}/status/", {"action": "archive"}).status_code == 403
    assert KbArticle.objects.get(pk=article.pk).status == KbStatus.PUBLISHED


def test_a_manager_writes_an_article_in_the_editor(client, manager_a, installation):
    client.force_login(manager_a)
    assert client.get("/service/kb/new/").status_code == 200
    response = client.post(
        "/service/kb/new/",
        {
            "title": "نصب روتر",
            "body": "۱. روشن کنید",
            "language": "fa",
            "audience": "customers",
            "section": "",
            "ticket_categories": [str(installation.pk)],
            "publish": "1",
        },
    )
    article = KbArticle.objects.get(title="نصب روتر")
    assert response.status_code == 302 and response["Location"] == f"/service/kb/{article.pk}/"
    assert article.status == KbStatus.PUBLISHED
    assert list(article.ticket_categories.all()) == [installation]


def test_the_editor_shows_the_form_again_with_errors(client, manager_a):
    client.force_login(manager_a)
    response = client.post(
        "/service/kb/new/",
        {"title": "", "body": "x", "language": "fa", "audience": "nobody"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"title", "audience"}
    assert not KbArticle.objects.exists()


def test_a_stale_edit_is_refused(client, manager_a, article):
    client.force_login(manager_a)
    fields = {"title": "تازه", "body": "متن", "language": "fa", "audience": "staff", "version": "1"}
    assert client.post(f"/service/kb/{article.pk}/edit/", fields).status_code == 302
    stale = client.post(f"/service/kb/{article.pk}/edit/", {**fields, "title": "دیگر"})
    assert stale.status_code == 409
    assert KbArticle.objects.get(pk=article.pk).title == "تازه"


def test_publish_and_archive_from_the_article_page(client, manager_a, draft):
    client.force_login(manager_a)
    client.post(f"/service/kb/{draft.pk}/status/", {"action": "publish"})
    assert KbArticle.objects.get(pk=draft.pk).status == KbStatus.PUBLISHED
    client.post(f"/service/kb/{draft.pk}/status/", {"action": "archive"})
    assert KbArticle.objects.get(pk=draft.pk).status == KbStatus.ARCHIVED


def test_a_reader_votes_once_per_article(client, agent_a, article):
    client.force_login(agent_a)
    client.post(f"/service/kb/{article.pk}/vote/", {"helpful": "yes"})
    client.post(f"/service/kb/{article.pk}/vote/", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)


def test_a_manager_keeps_the_sections(client, manager_a, article):
    client.force_login(manager_a)
    client.post("/service/kb/sections/", {"action": "create", "name": "رویه‌ها", "name_en": "", "position": "1"})
    section = KbCategory.objects.get(name="رویه‌ها")
    client.post(
        "/service/kb/sections/",
        {
            "action": "update",
            "section": section.pk,
            "name": "رویه‌های پاسخگویی",
            "name_en": "Procedures",
            "position": "2",
        },
    )
    section.refresh_from_db()
    assert (section.name, section.name_en, section.position) == ("رویه‌های پاسخگویی", "Procedures", 2)
    KbArticle.objects.filter(pk=article.pk).update(section=section)
    client.post("/service/kb/sections/", {"action": "delete", "section": section.pk})
    assert not KbCategory.objects.exists()
    assert KbArticle.objects.get(pk=article.pk).section is None


def test_pages_need_a_login(client, article):
    response = client.get("/service/kb/")
    assert response.status_code == 302 and "/login" in response["Location"]
