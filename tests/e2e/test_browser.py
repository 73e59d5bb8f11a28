"""A real browser (Debian's chromium through Playwright) against the live server: log in, search, open a customer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from such a thread
# unless told it is safe, which it is here: the test drives the browser and the ORM one after the other.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = "pass-word-123"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@contextmanager
def opened_page(*, width: int = 1366, height: int = 900, expected_console: tuple[str, ...] = ()) -> Iterator:
    """A Persian-locale page in a fresh chromium; on the way out, no page error and no console error but those
    holding one of `expected_console` (a page that shows a refused request itself still gets it logged)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fa-IR")
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if msg.type == "error" and not any(text in msg.text for text in expected_console)
                else None
            ),
        )
        try:
            yield page
        finally:
            # Inside sync_playwright() this thread runs in the driver's contextvars context, where Django keeps
            # a second set of database connections (its connections are context-local): fixtures and the
            # test opened them here, and once the block ends nothing can reach them to close them. On
            # PostgreSQL such a left-over session made dropping the test database fail («being accessed by
            # other users»).
            from django.db import connections

            connections.close_all()
        context.close()
        browser.close()
        # A CSP violation or a broken script shows up here, not as a visible failure.
        assert not errors, errors


@pytest.fixture
def browser_page() -> Iterator:
    with opened_page() as page:
        yield page


@pytest.fixture
def sales_team(transactional_db):
    from factories import TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.customers import services

    team = TeamFactory(name="فروش تهران")
    agent = UserFactory(username="sara", first_name="سارا", last_name="رحیمی", role=Role.AGENT, team=team)
    org = services.customer_create(
        by=agent,
        data={
            "kind": "organization",
            "name": "شرکت فولاد پارس",
            "lifecycle_stage": "key_account",
            "phones": [{"number": "02188776655", "kind": "work"}],
        },
    )
    ali = services.customer_create(
        by=agent,
        data={
            "first_name": "علی",
            "last_name": "کریمی",
            "birth_date": "1370/05/12",
            "national_id": "0076229645",
            "gender": "male",
            "job_title": "مدیر خرید",
            "organization_id": org.pk,
            "lifecycle_stage": "active",
            "phones": [{"number": "09121234567"}, {"number": "02122334455", "kind": "work"}],
            "emails": [{"email": "ali.karimi@example.com"}],
            "addresses": [{"province": "تهران", "city": "تهران", "line": "خیابان ولیعصر، کوچه نسترن، پلاک ۱۲"}],
            "tags": ["VIP", "صنعتی"],
            "notes": "ترجیح می‌دهد صبح‌ها با او تماس گرفته شود.",
        },
    )
    services.interaction_create(
        customer=ali,
        by=agent,
        channel="call",
        direction="in",
        subject="پیگیری سفارش ورق",
        body="درباره زمان تحویل سفارش پرسید.",
    )
    services.consent_set(customer=ali, by=agent, channel="sms", granted=True, method="written")
    for i, (first, last, stage) in enumerate(
        [
            ("زهرا", "محمدی", "prospect"),
            ("محمد", "حسینی", "active"),
            ("فاطمه", "احمدی", "inactive"),
            ("رضا", "رضایی", "lost"),
            ("مریم", "موسوی", "active"),
            ("علیرضا", "نوری", "prospect"),
        ]
    ):
        services.customer_create(
            by=agent,
            data={
                "first_name": first,
                "last_name": last,
                "lifecycle_stage": stage,
                "phones": [{"number": f"0935{i}12{i}456"}],
            },
        )
    return agent, ali


def test_an_agent_finds_a_customer_by_arabic_yeh_and_sees_the_persian_360_page(live_server, browser_page, sales_team):
    agent, ali = sales_team
    page = browser_page
    RESULTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # Typed with the Arabic yeh an Arabic keyboard produces; the Persian spelling must still be found.
    page.locator("#global-search").press_sequentially("علي", delay=60)
    result = page.locator("#global-search-results a", has_text="علی کریمی")
    result.wait_for()

    page.goto(f"{live_server.url}/customers/")
    page.wait_for_selector("table.pv-table")
    assert page.locator("table.pv-table tbody tr").count() == 8
    page.screenshot(path=str(RESULTS / "customer-list.png"), full_page=True)

    page.goto(f"{live_server.url}/")
    page.locator("#global-search").press_sequentially("علي", delay=60)
    page.locator("#global-search-results a", has_text="علی کریمی").click()
    page.wait_for_url(f"{live_server.url}/customers/{ali.pk}/")

    assert page.locator("html[dir=rtl]").count() == 1
    assert page.locator(".pv-birth-date").inner_text() == "۱۳۷۰/۰۵/۱۲"
    body = page.locator("main").inner_text()
    assert "۰۹۱۲ ۱۲۳ ۴۵۶۷" in body  # phone in national form with Persian digits
    assert "۰۰۷۶۲۲۹۶۴۵" in body  # national code
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith("Vazirmatn")
    assert page.evaluate("document.fonts.check('16px Vazirmatn')")

    # Log an interaction through htmx: the timeline refreshes without leaving the page.
    page.select_option("#id_channel", "meeting")
    page.fill("#id_subject", "جلسه معرفی محصول")
    page.click("#timeline-panel button[type=submit]")
    page.locator(".pv-timeline-item", has_text="جلسه معرفی محصول").wait_for()
    page.screenshot(path=str(RESULTS / "customer-page.png"), full_page=True)
