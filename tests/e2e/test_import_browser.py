"""A real browser imports customers: upload a Persian CSV, map, preview, start, watch it finish, get the rejects."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from test_browser import CHROMIUM, PASSWORD, RESULTS, browser_page  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

# What an office exports from Excel as «CSV UTF-8»: a byte-order mark, Persian headers, and the Arabic yeh
# (ي) an Arabic keyboard types. The second row's national code fails its check digit; the third's mobile is short.
CSV = (
    "\ufeffنام,نام خانوادگی,موبایل,کد ملی,شهر\r\n"
    "علي,کریمي,09121234567,0076229645,تهران\r\n"
    "رضا,احمدی,09351112233,1234567890,شیراز\r\n"
    "مریم,موسوی,12345,,اصفهان\r\n"
).encode()
FILE_NAME = "مشتریان-نمایشگاه.csv"


@pytest.fixture
def agent(transactional_db, settings, tmp_path):
    from factories import TeamFactory, UserFactory
    from peyvand.accounts.models import Role

    # Uploaded files are kept with their job; the test keeps them out of the real media folder.
    settings.MEDIA_ROOT = tmp_path / "media"
    team = TeamFactory(name="فروش تهران")
    return UserFactory(username="sara", first_name="سارا", last_name="رحیمی", role=Role.AGENT, team=team)


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_an_agent_imports_a_persian_csv_and_downloads_the_rejected_rows(live_server, browser_page, agent):  # noqa: F811
    from django.core.management import call_command

    from peyvand.customers.models import Customer, ImportJob, ImportStatus

    expect = pytest.importorskip("playwright.sync_api").expect
    page = browser_page
    RESULTS.mkdir(exist_ok=True)
    log_in(page, live_server, agent)

    page.goto(f"{live_server.url}/customers/")
    page.locator(".pv-page-head a", has_text="ورود از فایل").click()
    page.wait_for_url(f"{live_server.url}/customers/import/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    page.set_input_files("#id_file", files=[{"name": FILE_NAME, "mimeType": "text/csv", "buffer": CSV}])
    page.screenshot(path=str(RESULTS / "import-1-upload.png"), full_page=True)
    page.locator("form button[type=submit]", has_text="بعدی").click()

    # 2. Map: every Persian header was recognised; «نام» beside «نام خانوادگی» is the first name.
    page.wait_for_url("**/customers/import/*/map/")
    job = ImportJob.objects.get()
    assert job.headers == ["نام", "نام خانوادگی", "موبایل", "کد ملی", "شهر"]  # the BOM is not part of «نام»
    expected = ["first_name", "last_name", "mobile", "national_id", "city"]
    assert [page.locator(f"#col_{i}").input_value() for i in range(5)] == expected
    assert page.locator("label[for=col_0]").inner_text() == "نام"
    assert page.locator("html[dir=rtl]").count() == 1
    page.screenshot(path=str(RESULTS / "import-2-map.png"), full_page=True)
    page.locator("form button[type=submit]", has_text="پیش‌نمایش").click()

    # 3. Preview: the two bad rows are marked, each with the reason next to it; nothing is written yet.
    page.wait_for_url("**/customers/import/*/preview/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    assert "علي" in rows.nth(0).inner_text()
    assert rows.nth(0).get_attribute("class") is None
    bad_id, bad_mobile = rows.nth(1), rows.nth(2)
    assert "table-danger" in (bad_id.get_attribute("class") or "")
    assert "table-danger" in (bad_mobile.get_attribute("class") or "")
    assert "کد ملی" in bad_id.locator("td").last.inner_text()
    assert "موبایل" in bad_mobile.locator("td").last.inner_text()
    assert Customer.objects.count() == 0
    page.screenshot(path=str(RESULTS / "import-3-preview.png"), full_page=True)

    # 4. Start: the job page polls while the job waits for a worker.
    # On SQLite in memory the live server shares this thread's database connection; its polls are held
    # in the browser while the worker runs here, and let through once it is done.
    page.route("**/customers/import/*/", lambda route: route.continue_())
    page.locator("button", has_text="شروع ورود داده").click()
    page.wait_for_url(f"{live_server.url}/customers/import/{job.pk}/")
    progress = page.locator("#import-progress")
    assert progress.get_attribute("hx-trigger") == "every 1s"
    page.screenshot(path=str(RESULTS / "import-4-running.png"), full_page=True)
    call_command("worker", "--batch", "--no-startup-delay")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    page.unroute("**/customers/import/*/")

    expect(progress.locator("[data-count=created]")).to_have_text("۱", timeout=10000)
    expect(progress.locator("[data-count=rejected]")).to_have_text("۲")
    assert progress.get_attribute("hx-trigger") is None  # polling stopped
    assert "انجام شد" in progress.inner_text()
    page.screenshot(path=str(RESULTS / "import-5-done.png"), full_page=True)

    # 5. The rejected rows, as an Excel file to fix and import again.
    with page.expect_download() as download_info:
        progress.locator("a", has_text="اکسل").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-rejected.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    assert sheet.sheet_view.rightToLeft
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:5] == ("نام", "نام خانوادگی", "موبایل", "کد ملی", "شهر")
    assert len(table[0]) == 6 and table[0][5]  # the reason column
    assert [row[0] for row in table[1:]] == ["رضا", "مریم"]
    assert "کد ملی" in table[1][5] and "موبایل" in table[2][5]

    # 6. The imported customer is found by the Persian spelling of the name it was typed with in Arabic.
    page.goto(f"{live_server.url}/customers/")
    page.locator("#list-q").press_sequentially("علی", delay=60)
    expect(page.locator("table.pv-table tbody tr")).to_have_count(1)
    assert "کریمی" in page.locator("table.pv-table tbody tr").inner_text()
    page.screenshot(path=str(RESULTS / "import-6-search.png"), full_page=True)


def _workbook() -> bytes:
    # An office's workbook: a notes sheet in front, the customers on the second, visitors on the third.
    book = openpyxl.Workbook()
    book.active.title = "راهنما"
    customers = book.create_sheet("مشتریان")
    customers.append(["نام", "نام خانوادگی", "موبایل"])
    customers.append(["علي", "کریمی", "09121234567"])
    visitors = book.create_sheet("بازدیدکنندگان")
    visitors.append(["نام و نام خانوادگی", "موبایل", "ایمیل", "تاریخ تولد"])
    visitors.append(["سارا  رحیمی", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "Sara@Example.com", "1370/01/02"])
    visitors.append(["رضا احمدی", "12345", "reza@example.com", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_agent_picks_the_sheet_previews_the_stored_values_and_cancels(live_server, browser_page, agent):  # noqa: F811
    from peyvand.customers.models import Customer, ImportJob, ImportStatus

    expect = pytest.importorskip("playwright.sync_api").expect
    page = browser_page
    RESULTS.mkdir(exist_ok=True)
    log_in(page, live_server, agent)
    page.goto(f"{live_server.url}/customers/import/")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_input_files("#id_file", files=[{"name": "نمایشگاه.xlsx", "mimeType": xlsx, "buffer": _workbook()}])
    page.locator("form button[type=submit]", has_text="بعدی").click()

    # The first sheet with data is open; the empty notes sheet cannot be picked.
    page.wait_for_url("**/customers/import/*/map/")
    assert page.locator("#id_sheet").input_value() == "مشتریان"
    assert page.locator("#id_sheet option[value=راهنما]").is_disabled()
    assert page.locator("label[for=col_0]").inner_text() == "نام"
    page.select_option("#id_sheet", "بازدیدکنندگان")
    page.screenshot(path=str(RESULTS / "import-7-sheet-choice.png"), full_page=True)
    page.locator("#import-sheet button[type=submit]").click()
    expect(page.locator("label[for=col_0]")).to_have_text("نام و نام خانوادگی")
    assert page.locator("#id_sheet").input_value() == "بازدیدکنندگان"
    assert [page.locator(f"#col_{i}").input_value() for i in range(4)] == ["full_name", "mobile", "email", "birth_date"]
    page.locator("form button[type=submit]", has_text="پیش‌نمایش").click()

    # The preview: what will be stored, in Persian digits, with the cell as typed under it when it differs.
    page.wait_for_url("**/customers/import/*/preview/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    good = rows.nth(0).locator("td")
    assert good.nth(2).locator("[data-value]").inner_text() == "+۹۸۹۱۲۱۲۳۴۵۶۷"
    assert good.nth(2).locator("[data-raw] del").inner_text() == "۰۹۱۲ ۱۲۳ ۴۵۶۷"
    assert good.nth(3).locator("[data-value]").inner_text() == "sara@example.com"
    assert good.nth(4).locator("[data-value]").inner_text() == "۱۳۷۰/۰۱/۰۲"
    assert good.nth(4).locator("[data-raw]").count() == 0  # already as it will be stored
    bad = rows.nth(1)
    assert "table-danger" in (bad.get_attribute("class") or "") and bad.locator("[data-raw]").count() == 0
    assert bad.locator("td").nth(2).inner_text() == "۱۲۳۴۵"
    page.screenshot(path=str(RESULTS / "import-8-preview-values.png"), full_page=True)

    # Started, then cancelled while it waits for a worker: nothing is imported, the page says so.
    page.locator("button", has_text="شروع ورود داده").click()
    job = ImportJob.objects.get()
    page.wait_for_url(f"{live_server.url}/customers/import/{job.pk}/")
    page.locator("#import-progress [data-action=cancel]").click()
    page.wait_for_url(f"{live_server.url}/customers/import/{job.pk}/")
    progress = page.locator("#import-progress")
    expect(progress.locator(".alert")).to_be_visible()
    assert progress.get_attribute("hx-trigger") is None
    assert progress.locator("[data-action=cancel]").count() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and job.message in progress.inner_text()
    assert not Customer.objects.exists()
    page.screenshot(path=str(RESULTS / "import-9-cancelled.png"), full_page=True)

    # A second file given up at the mapping step: back to the start, where both imports are listed.
    page.goto(f"{live_server.url}/customers/import/")
    page.set_input_files("#id_file", files=[{"name": FILE_NAME, "mimeType": "text/csv", "buffer": CSV}])
    page.locator("form button[type=submit]", has_text="بعدی").click()
    page.wait_for_url("**/customers/import/*/map/")
    assert page.locator("#import-sheet").count() == 0  # a CSV file has no sheets
    page.locator("[data-action=abandon]").click()
    page.wait_for_url(f"{live_server.url}/customers/import/")
    assert ImportJob.objects.filter(status=ImportStatus.CANCELLED).count() == 2
    page.screenshot(path=str(RESULTS / "import-10-abandoned.png"), full_page=True)
