"""The suppression list page and the unsubscribe page in headless chromium: right to left in Persian, an
administrator pastes addresses and sees them listed, a reader confirms an unsubscribe with the button."""

from __future__ import annotations

import os

import pytest

from e2e.test_browser import CHROMIUM, PASSWORD, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@pytest.fixture
def people(transactional_db):
    from factories import UserFactory
    from peyvand.accounts.models import Role
    from peyvand.comms.suppression import suppress_address

    admin = UserFactory(username="boss", role=Role.ADMIN, team=None, is_staff=True, is_superuser=True)
    suppress_address(channel="email", address="gone@example.com", reason="hard_bounce", source="550 5.1.1")
    return admin


def test_an_administrator_adds_numbers_on_the_right_to_left_page(live_server, people):
    expect = pytest.importorskip("playwright.sync_api").expect
    from peyvand.comms.models import Suppression

    with opened_page(width=1366, height=1000) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", people.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/comms/settings/suppressions/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        expect(page.locator("table.pv-suppressions")).to_contain_text("gone@example.com")
        page.fill("#add_addresses", "0912 123 4567\n09121234568")
        page.select_option("#add_channel", "sms")
        with page.expect_navigation():
            page.click("#suppression-add button[type=submit]")
        expect(page.locator("table.pv-suppressions")).to_contain_text("+989121234567")
        if os.environ.get("PEYVAND_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["PEYVAND_SCREENSHOTS"], "suppressions.png"), full_page=True)
    assert Suppression.objects.filter(channel="sms").count() == 2


def test_a_reader_confirms_the_unsubscribe_with_the_button(live_server, people):
    expect = pytest.importorskip("playwright.sync_api").expect
    from peyvand.comms.models import Suppression
    from peyvand.comms.outbox import enqueue_message
    from peyvand.comms.suppression import unsubscribe_url

    news = enqueue_message(
        channel="email", to="reader@example.com", body="خبرنامه", idempotency_key="n1", transactional=False
    )
    with opened_page() as page:
        page.goto(live_server.url + unsubscribe_url(news))
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert not Suppression.objects.filter(address="reader@example.com").exists()
        page.click("#confirm-unsubscribe")
        expect(page.locator("#unsubscribed")).to_be_visible()
        if os.environ.get("PEYVAND_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["PEYVAND_SCREENSHOTS"], "unsubscribe.png"))
    assert Suppression.objects.get(address="reader@example.com").reason == "unsubscribed"
