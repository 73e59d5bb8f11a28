"""A real browser on the lead pages in Persian: record a lead with the form, find the customer it matches,
convert it with a deal, and read the source report; no script or Content-Security-Policy error on the way."""

from __future__ import annotations

import importlib

import pytest
from test_browser import CHROMIUM, PASSWORD, RESULTS, opened_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@pytest.fixture
def lead_page():
    with opened_page(width=1366, height=1000) as page:
        yield page


def test_an_agent_records_a_lead_and_converts_it_in_persian(live_server, lead_page, sales_team):  # noqa: F811
    from django.apps import apps

    from peyvand.customers.models import Customer
    from peyvand.sales.models import Deal, Lead, Pipeline

    if not Pipeline.objects.filter(is_default=True).exists():
        importlib.import_module("peyvand.sales.migrations.0002_add_default_pipeline").forwards(apps, None)
    agent, _ali = sales_team
    page = lead_page
    RESULTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/sales/leads/new/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_first_name", "مریم")
    page.fill("#id_last_name", "احمدی")
    page.fill("#id_company_name", "شرکت آسمان")
    page.fill("#id_phone", "۰۹۱۲ ۳۳۳ ۴۴۵۵")
    page.fill("#id_interest", "۲۰ دستگاه سرور")
    page.fill("#id_estimated_amount", "۵۰۰٬۰۰۰٬۰۰۰")
    page.select_option("#id_source", "exhibition")
    page.click("form.pv-lead-form button[type=submit]")
    lead = Lead.objects.get()
    page.wait_for_url(f"{live_server.url}/sales/leads/{lead.pk}/")
    assert lead.phone == "+989123334455"
    body = page.locator("main").inner_text()
    assert "۰۹۱۲ ۳۳۳ ۴۴۵۵" in body
    page.screenshot(path=str(RESULTS / "lead-detail.png"), full_page=True)

    page.locator("#convert button[type=submit]").click()
    deal = Deal.objects.get()
    page.wait_for_url(f"{live_server.url}/sales/deals/{deal.pk}/")
    assert deal.title == "۲۰ دستگاه سرور"
    assert Customer.objects.filter(name="شرکت آسمان").exists()

    page.goto(f"{live_server.url}/sales/leads/sources/")
    page.wait_for_selector("#source-table")
    # One lead from the exhibition, converted: a conversion rate of 100 percent, in Persian digits.
    assert "۱۰۰٫۰" in page.locator("#source-table tbody").inner_text()
    page.screenshot(path=str(RESULTS / "lead-sources.png"), full_page=True)
