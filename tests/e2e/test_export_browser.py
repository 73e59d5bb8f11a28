"""A real browser exports the customer list: the Export menu follows the filters, a small list downloads at
once, and a large one is prepared in the background with its progress shown, then downloaded."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from test_browser import CHROMIUM, PASSWORD, RESULTS, browser_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


def _log_in(page, live_server, agent) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _sheet(path: str):
    return openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes())).worksheets[0]


def test_an_agent_filters_the_list_and_downloads_it_as_excel(live_server, browser_page, sales_team):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    agent, _ali = sales_team
    page = browser_page
    _log_in(page, live_server, agent)

    page.goto(f"{live_server.url}/customers/")
    page.wait_for_selector("table.pv-table")
    # Open the menu once before filtering: Bootstrap then holds on to the menu element, which must survive
    # the in-place (htmx) refresh of the results with its items updated.
    page.click("button.dropdown-toggle:has(.bi-download)")
    page.locator("#customer-export-menu button", has_text="XLSX").wait_for()
    page.keyboard.press("Escape")
    page.select_option("#f-stage", "active")
    expect(page.locator("table.pv-table tbody tr")).to_have_count(3)
    form = page.locator("#customer-export-menu form", has=page.locator("button", has_text="XLSX"))
    assert "stage=active" in (form.get_attribute("action") or "")

    page.click("button.dropdown-toggle:has(.bi-download)")
    with page.expect_download() as download_info:
        page.locator("#customer-export-menu button", has_text="XLSX").click()
    download = download_info.value
    assert download.suggested_filename.startswith("customers-14")
    ws = _sheet(download.path())
    assert ws.sheet_view.rightToLeft
    names = sorted(row[2] for row in ws.iter_rows(min_row=2, values_only=True))
    assert names == sorted(["علی کریمی", "محمد حسینی", "مریم موسوی"])


def test_a_large_list_is_prepared_in_the_background_then_downloaded(
    live_server,
    browser_page,  # noqa: F811
    sales_team,  # noqa: F811
    settings,
    tmp_path,
):
    from peyvand.customers.models import ExportJob, ExportStatus
    from peyvand.customers.selectors import customers_visible_to

    expect = pytest.importorskip("playwright.sync_api").expect
    settings.PEYVAND_EXPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    agent, _ali = sales_team
    # An earlier export still being made, as a worker would leave it part-way through a million customers.
    running = ExportJob.objects.create(
        by=agent, file_format="csv", status=ExportStatus.RUNNING, total_rows=1_000_000, processed_rows=420_000
    )
    page = browser_page
    _log_in(page, live_server, agent)

    page.goto(f"{live_server.url}/customers/exports/{running.pk}/")
    expect(page.locator("#export-progress")).to_contain_text("۴۲۰۰۰۰")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "export-1-running.png"), full_page=True)

    page.goto(f"{live_server.url}/customers/")
    page.wait_for_selector("table.pv-table")
    page.click("button.dropdown-toggle:has(.bi-download)")
    page.locator("#customer-export-menu button", has_text="XLSX").click()
    page.wait_for_url(f"{live_server.url}/customers/exports/*/")
    download_button = page.locator("#export-progress a", has_text="دانلود")
    if not download_button.count():  # untranslated
        download_button = page.locator("#export-progress a.btn-primary")
    expect(download_button).to_be_visible()
    page.screenshot(path=str(RESULTS / "export-2-done.png"), full_page=True)
    with page.expect_download() as download_info:
        download_button.click()
    ws = _sheet(download_info.value.path())
    assert ws.sheet_view.rightToLeft
    assert ws.max_row == 1 + customers_visible_to(agent).count()  # the header and every customer of the team

    page.goto(f"{live_server.url}/customers/exports/")
    expect(page.locator("#export-jobs tbody tr")).to_have_count(2)
    page.screenshot(path=str(RESULTS / "export-3-list.png"), full_page=True)
