"""An agent's day on the service desk, in a real browser in Persian: the queue shows their team's open tickets
(and not another team's), they open the most urgent one, answer it with a knowledge-base article from the
picker and resolve it; the customer is asked how it went. The queue's screenshot goes to
docs/screenshots/service-queue.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.test_browser import CHROMIUM, PASSWORD, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def day(transactional_db, settings):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.customers.models import CustomerEmail
    from peyvand.service.kb_services import kb_article_create
    from peyvand.service.models import TicketCategory
    from peyvand.service.services.tickets import ticket_create
    from peyvand.service.sla_services import sla_policy_create

    settings.PEYVAND_SITE_URL = "https://crm.example.ir"
    support, sales = TeamFactory(name="پشتیبانی"), TeamFactory(name="فروش")
    agent = UserFactory(username="narges", first_name="نرگس", last_name="موسوی", role=Role.AGENT, team=support)
    seller = UserFactory(username="ali", role=Role.AGENT, team=sales)
    admin = UserFactory(username="boss", role=Role.ADMIN, team=None)
    customer = CustomerFactory(team=support, owner=agent, first_name="کاوه", last_name="یزدانی")
    CustomerEmail.objects.create(customer=customer, email="kaveh@example.ir", is_primary=True)
    other = CustomerFactory(team=sales, owner=seller)
    outage = TicketCategory.objects.create(name="قطعی و خرابی", default_team=support)
    outage.path = f"/{outage.pk}/"
    outage.save(update_fields=["path"])
    sla_policy_create(
        by=admin, data={"name": "فوری", "conditions": {"priority": ["urgent"]}, "first_response_minutes": 30,
                        "resolution_minutes": 240}
    )  # fmt: skip
    urgent = ticket_create(
        by=agent,
        data={"subject": "دستگاه کارتخوان کار نمی‌کند", "customer_id": customer.pk, "category_id": outage.pk,
              "priority": "urgent", "kind": "complaint"},
    )  # fmt: skip
    routine = ticket_create(by=agent, data={"subject": "درخواست صورتحساب رسمی", "customer_id": customer.pk})
    elsewhere = ticket_create(by=seller, data={"subject": "پیشنهاد همکاری فروش", "customer_id": other.pk})
    article = kb_article_create(
        by=admin,
        data={
            "title": "کارتخوان روشن نمی‌شود",
            "body": "کارتخوان را از برق بکشید، ۱۰ ثانیه صبر کنید و دوباره وصل کنید.",
        },
        publish=True,
    )
    return agent, urgent, routine, elsewhere, article


def test_an_agents_day_queue_ticket_kb_reply_resolve(live_server, day, mailoutbox):
    from peyvand.core.text import to_persian_digits
    from peyvand.service.models import MessageKind, TicketSatisfaction, TicketStatus

    expect = pytest.importorskip("playwright.sync_api").expect
    agent, urgent, routine, _elsewhere, article = day
    with opened_page(width=1440, height=1000) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", agent.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        # The menu leads to the queue: the team's open tickets, the urgent one first; another team's is not there.
        page.click("nav.pv-nav a[href='/service/tickets/']")
        page.wait_for_url(f"{live_server.url}/service/tickets/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        rows = page.locator("table tbody tr")
        expect(rows.first).to_contain_text("دستگاه کارتخوان کار نمی‌کند")
        expect(page.locator("table")).to_contain_text("درخواست صورتحساب رسمی")
        expect(page.locator("table")).not_to_contain_text("پیشنهاد همکاری فروش")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "service-queue.png"), full_page=True)

        # Open it, quote the article, reply and resolve in one go.
        rows.first.locator("a").first.click()
        page.wait_for_url(f"{live_server.url}/service/tickets/{urgent.pk}/")
        page.click("[data-bs-target='#kb-picker']")
        page.fill("#kb-picker-q", "کارتخوان")
        page.click(f"#kb-picker-results button:has-text('{article.title}')")
        expect(page.locator("#reply-form textarea[name=body]")).to_have_value(article.body)
        page.click("#reply-form button[value=resolve]")
        page.wait_for_url(f"{live_server.url}/service/tickets/{urgent.pk}/*")
        expect(page.locator(".pv-message-reply")).to_contain_text("۱۰ ثانیه")

    urgent.refresh_from_db()
    assert urgent.status == TicketStatus.RESOLVED
    assert urgent.first_response_minutes is not None and urgent.resolution_minutes is not None
    assert urgent.messages.get(kind=MessageKind.REPLY).kb_article_id == article.pk
    # The customer heard each step by e-mail, and was asked how it went.
    survey = TicketSatisfaction.objects.get(ticket=urgent)
    subjects = [m.subject for m in mailoutbox if "kaveh@example.ir" in m.to]
    assert any(to_persian_digits(urgent.number) in s for s in subjects)
    assert any(survey.token in m.body for m in mailoutbox)
    routine.refresh_from_db()
    assert routine.status == TicketStatus.NEW
