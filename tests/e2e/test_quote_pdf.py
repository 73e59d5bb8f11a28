"""A real browser makes a quote in Persian with the line editor (pick a product, add a free-text line, watch the
totals follow in Persian digits), saves it, and downloads its PDF from the quote's page; the PDF's first page
is rendered to docs/screenshots/quote-pdf.png and checked: A4, the number, the Persian labels, the amount in
words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, opened_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def quote_page() -> Iterator:
    with opened_page(width=1440, height=1000) as page:
        yield page


@pytest.fixture
def catalogue(sales_team, settings):  # noqa: F811
    from peyvand.customers.models import CustomerAddress, CustomerEmail
    from peyvand.sales.models import Product

    settings.PEYVAND_MONEY_UNIT = "toman"
    settings.PEYVAND_COMPANY_NAME = "شرکت پیوند افزار"
    settings.PEYVAND_COMPANY_DETAILS = "تهران، خیابان ولیعصر، پلاک ۱۲۰ · تلفن ۰۲۱-۸۸۰۰۰۰۰۰ · شناسه ملی ۱۰۱۰۰۲۰۰۳۰۰"
    agent, ali = sales_team
    org = ali.organization
    CustomerAddress.objects.create(
        customer=org, province="تهران", city="تهران", line="خیابان آزادی، پلاک ۴۵", is_primary=True
    )
    CustomerEmail.objects.create(customer=org, email="kharid@foolad.example", is_primary=True)
    server = Product.objects.create(name="سرور HP ProLiant DL380", sku="SRV-380", unit="دستگاه", unit_price=125_000_000)
    return agent, org, server


def _log_in(page, live_server, agent) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_an_agent_makes_a_quote_and_downloads_its_persian_pdf(live_server, quote_page, catalogue, tmp_path):
    import pypdfium2 as pdfium

    from peyvand.sales.models import Quote

    expect = pytest.importorskip("playwright.sync_api").expect
    agent, org, server = catalogue
    page = quote_page
    _log_in(page, live_server, agent)

    # From the customer's page, the quotes section's "New quote".
    page.goto(f"{live_server.url}/customers/{org.pk}/")
    page.click("#customer-quotes a[href*='/sales/quotes/new/']")
    page.wait_for_url(f"{live_server.url}/sales/quotes/new/?customer={org.pk}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_title", "تأمین سرور مرکز داده")
    page.fill("#id_notes", "سرورها با رک‌های فعلی سازگارند و مصرف برق ۳۰٪ کمتر است.")
    page.fill("#id_terms", "پرداخت ۵۰٪ پیش از تحویل و مانده پس از نصب؛ تحویل ۱۰ روز کاری.")

    # Picking the product fills the row in; the line's amount follows in Persian digits.
    first = page.locator("[data-line-row]").nth(0)
    first.locator("select[name$='-product']").select_option(str(server.pk))
    expect(first.locator("input[name$='-description']")).to_have_value("سرور HP ProLiant DL380")
    expect(first.locator("input[name$='-unit_price']")).to_have_value("12,500,000")
    first.locator("input[name$='-quantity']").fill("2")
    first.locator("input[name$='-discount_percent']").fill("5")
    expect(first.locator("[data-line-amount]")).to_have_text("۲۳٬۷۵۰٬۰۰۰")

    # A second, free-text line.
    page.click("[data-line-add]")
    second = page.locator("[data-line-row]").nth(1)
    expect(second.locator("[data-line-number]")).to_have_text("۲")
    second.locator("input[name$='-description']").fill("نصب و راه‌اندازی")
    second.locator("input[name$='-unit']").fill("خدمت")
    second.locator("input[name$='-unit_price']").fill("5,000,000")
    second.locator("input[name$='-quantity']").fill("۲")
    expect(page.locator('[data-total="net"]')).to_have_text("۳۳٬۷۵۰٬۰۰۰")
    expect(page.locator('[data-total="total"]')).to_have_text("۳۷٬۱۲۵٬۰۰۰")

    # A third row, removed again: it leaves no line behind.
    page.click("[data-line-add]")
    page.locator("[data-line-row]").nth(2).locator("[data-line-remove]").click()
    expect(page.locator("[data-line-row]")).to_have_count(2)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("[data-line-editor]").screenshot(path=str(SCREENSHOTS / "quote-line-editor.png"))
    page.click("form.pv-quote-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/sales/quotes/*/")
    page.screenshot(path=str(SCREENSHOTS / "quote-detail.png"), full_page=True)
    quote = Quote.objects.get(customer=org)
    # The server priced it the same way as the page did, in Rials.
    assert (quote.net_total, quote.vat_total, quote.total) == (337_500_000, 33_750_000, 371_250_000)
    assert quote.lines.count() == 2
    expect(page.locator("#quote-totals")).to_contain_text("۳۷٬۱۲۵٬۰۰۰ تومان")

    # The PDF link gives the download.
    with page.expect_download() as download_info:
        page.click("#quote-pdf-link")
    download = download_info.value
    assert download.suggested_filename == f"{quote.number}.pdf"
    target = tmp_path / "quote.pdf"
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")

    document = pdfium.PdfDocument(data)
    try:
        first_page = document[0]
        width, height = first_page.get_size()
        assert (round(width), round(height)) == (595, 842)
        text = first_page.get_textpage().get_text_range()
        image = first_page.render(scale=1.6).to_pil()
    finally:
        document.close()
    assert quote.number in text
    assert "مبلغ قابل پرداخت" in text
    assert "سیصد و هفتاد و یک میلیون و دویست و پنجاه هزار ریال" in text
    assert "۳۷۱٬۲۵۰٬۰۰۰" in text
    assert image.size[0] > 900 and image.size[1] > 1300
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "quote-pdf.png")
