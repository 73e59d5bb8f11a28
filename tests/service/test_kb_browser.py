"""A real browser on the knowledge base and the satisfaction link, in Persian: live search as one types, and a
customer answering the question without logging in; no script or Content-Security-Policy error on the way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test drives the browser and the ORM in turn.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "pass-word-123"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@contextmanager
def _page() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        try:
            yield page
        finally:
            # Django's connections opened inside the driver's context cannot be reached to close them later.
            from django.db import connections

            connections.close_all()
        context.close()
        browser.close()
        assert not errors, errors


@pytest.fixture
def people(transactional_db):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role

    team = TeamFactory(name="پشتیبانی")
    manager = UserFactory(username="maryam", role=Role.MANAGER, team=team)
    agent = UserFactory(username="sara", role=Role.AGENT, team=team)
    return manager, agent, CustomerFactory(team=team, owner=agent)


def test_live_search_finds_articles_as_one_types(live_server, people):
    from peyvand.service.kb_services import kb_article_create

    manager, agent, _customer = people
    kb_article_create(by=manager, data={"title": "پاسخ به مشتری عصبانی", "body": "گوش کنید"}, publish=True)
    kb_article_create(by=manager, data={"title": "سیاست بازگشت وجه", "body": "۷ روز"}, publish=True)
    with _page() as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", agent.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/service/kb/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        results = page.locator("#kb-results")
        assert "سیاست بازگشت وجه" in results.inner_text()
        # Typed with an Arabic yeh: found all the same, without pressing enter.
        page.type("#kb-q", "عصباني")
        page.wait_for_function("() => !document.querySelector('#kb-results').innerText.includes('سیاست بازگشت وجه')")
        assert "پاسخ به مشتری عصبانی" in results.inner_text()
        page.click("#kb-results a")
        page.wait_for_selector("article.card")


def test_a_customer_answers_by_link(live_server, people):
    from peyvand.service.models import Ticket, TicketSatisfaction, TicketStatus
    from peyvand.service.satisfaction import satisfaction_request

    _manager, agent, customer = people
    ticket = Ticket.objects.create(
        number="T-1405-00001",
        customer=customer,
        subject="قطعی اینترنت",
        team=agent.team,
        assignee=agent,
        status=TicketStatus.RESOLVED,
    )
    row = satisfaction_request(ticket)
    with _page() as page:
        page.goto(f"{live_server.url}/service/feedback/{row.token}/")
        assert "قطعی اینترنت" in page.locator("main").inner_text()
        page.click("label[for=score-4]")
        page.fill("#comment", "سریع حل شد")
        page.click("button[type=submit]")
        page.wait_for_selector(".alert-success")
    row = TicketSatisfaction.objects.get(pk=row.pk)
    assert (row.score, row.comment) == (4, "سریع حل شد")
