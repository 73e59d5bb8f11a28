"""A real browser on the ticket pages in Persian: open a ticket for a customer, the category's fields appearing
as the category is chosen; then answer it with a knowledge-base article inserted from the picker. The ticket
page's screenshot goes to docs/screenshots/service-ticket.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.test_browser import CHROMIUM, PASSWORD, RESULTS, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def desk(transactional_db):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.service.kb_services import kb_article_create
    from peyvand.service.models import TicketCategory

    team = TeamFactory(name="پشتیبانی فنی")
    agent = UserFactory(username="neda", first_name="ندا", last_name="کاظمی", role=Role.AGENT, team=team)
    admin = UserFactory(username="boss", role=Role.ADMIN, team=None)
    customer = CustomerFactory(team=team, owner=agent)
    category = TicketCategory.objects.create(
        name="قطعی اینترنت",
        default_team=team,
        fields=[
            {"key": "modem", "label": "مدل مودم", "type": "text", "required": True},
            {"key": "lights", "label": "چراغ‌ها روشن است؟", "type": "yes_no", "required": False},
        ],
    )
    category.path = f"/{category.pk}/"
    category.save(update_fields=["path"])
    article = kb_article_create(
        by=admin,
        data={"title": "راه‌اندازی دوباره مودم", "body": "مودم را ۳۰ ثانیه خاموش و دوباره روشن کنید."},
        publish=True,
    )
    return agent, customer, category, article


def test_an_agent_opens_a_ticket_and_answers_with_a_kb_article(live_server, desk):
    from peyvand.service.models import MessageKind, Ticket, TicketStatus

    expect = pytest.importorskip("playwright.sync_api").expect
    agent, customer, category, article = desk
    with opened_page(width=1440, height=1100) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", agent.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/service/tickets/new/?customer={customer.pk}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.select_option("select[name=category]", str(category.pk))
        # HTMX brings the category's own fields.
        expect(page.locator("input[name=f_modem]")).to_be_visible()
        page.fill("input[name=subject]", "اینترنت از صبح قطع است")
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "service-ticket-form.png"), full_page=True)
        page.fill("input[name=f_modem]", "TP-Link 8961")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url(f"{live_server.url}/service/tickets/*/")
        ticket = Ticket.objects.get()
        assert ticket.fields == {"modem": "TP-Link 8961"}
        expect(page.locator("h1")).to_contain_text("اینترنت از صبح قطع است")

        # The knowledge-base picker inserts the article's text into the reply.
        page.click("[data-bs-target='#kb-picker']")
        page.fill("#kb-picker-q", "مودم")
        page.click("#kb-picker-results button:has-text('راه‌اندازی دوباره مودم')")
        expect(page.locator("#reply-form textarea[name=body]")).to_have_value(article.body)
        page.click("#reply-form button[value=waiting]")
        page.wait_for_url(f"{live_server.url}/service/tickets/{ticket.pk}/#thread")
        expect(page.locator(".pv-message-reply")).to_contain_text("۳۰ ثانیه")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "service-ticket.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert reply.kb_article_id == article.pk
    article.refresh_from_db()
    assert article.uses == 1
