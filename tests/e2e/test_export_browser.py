"""A real browser exports the customer list: the Export menu follows the filters and the download arrives."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from test_browser import CHROMIUM, PASSWORD, browser_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


def test_an_agent_filters_the_list_and_downloads_it_as_excel(live_server, browser_page, sales_team):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    agent, _ali = sales_team
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/")
    page.wait_for_selector("table.pv-table")
    # Open the menu once before filtering: Bootstrap then holds on to the menu element, which must survive
    # the in-place (htmx) refresh of the results with its links updated.
    page.click("button.dropdown-toggle:has(.bi-download)")
    page.locator("#customer-export-menu a", has_text="XLSX").wait_for()
    page.keyboard.press("Escape")
    page.select_option("#f-stage", "active")
    expect(page.locator("table.pv-table tbody tr")).to_have_count(3)
    link = page.locator("#customer-export-menu a", has_text="XLSX")
    assert "stage=active" in (link.get_attribute("href") or "")

    page.click("button.dropdown-toggle:has(.bi-download)")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.startswith("customers-14")
    content = Path(download.path()).read_bytes()
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert ws.sheet_view.rightToLeft
    names = sorted(row[2] for row in ws.iter_rows(min_row=2, values_only=True))
    assert names == sorted(["علی کریمی", "محمد حسینی", "مریم موسوی"])
