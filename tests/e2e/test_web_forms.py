"""A web form embedded in a page of another site, in a real browser: the visitor fills it in Persian (Persian
digits in the phone number) inside the frame, the frame sizes itself to the form, and a lead is made. A site the
form does not allow cannot frame it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from e2e.test_browser import CHROMIUM, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@contextmanager
def other_site(html: str) -> Iterator[str]:
    """A second web server on 127.0.0.1 (another origin than the live server's localhost) serving one page."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _shop_page(live_url: str, key: str) -> str:
    return f"""<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>فروشگاه</title></head>
<body><h1>فروشگاه نمونه</h1>
<iframe src="{live_url}/comms/forms/f/{key}/?embed=1" data-peyvand-form="{key}" title="فرم تماس"
  style="width:100%;border:0;min-height:120px;height:150px"></iframe>
<script src="{live_url}/static/peyvand/webforms-embed.js" async></script>
</body></html>"""


@pytest.fixture
def contact_form(transactional_db):
    from django.core.cache import cache

    from factories import TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.comms.webforms.services import form_create

    cache.clear()
    sales = TeamFactory(name="فروش")
    admin = UserFactory(username="boss", role=Role.ADMIN, team=None)
    return form_create(
        by=admin,
        data={
            "name": "تماس سایت",
            "title_fa": "درخواست مشاوره",
            "intro_fa": "فرم را پر کنید تا با شما تماس بگیریم.",
            "fields": [
                {
                    "key": "name",
                    "label_fa": "نام و نام خانوادگی",
                    "type": "text",
                    "maps_to": "last_name",
                    "required": True,
                },
                {"key": "mobile", "label_fa": "موبایل", "type": "phone", "maps_to": "phone", "required": True},
                {"key": "topic", "label_fa": "موضوع", "type": "select", "choices": ["خرید", "پشتیبانی"]},
                {"key": "message", "label_fa": "پیام", "type": "textarea", "maps_to": "message"},
            ],
            "action": "lead",
            "lead_team_id": sales.pk,
            "success_fa": "سپاس! کارشناسان ما به زودی تماس می‌گیرند.",
            "min_fill_seconds": 1,
        },
    )


def test_a_visitor_fills_the_embedded_form_in_persian(live_server, contact_form):
    from peyvand.comms.webforms.models import FormSubmission, SubmissionStatus
    from peyvand.sales.models import Lead, LeadSource

    expect = pytest.importorskip("playwright.sync_api").expect
    with other_site(_shop_page(live_server.url, contact_form.key)) as shop:
        contact_form.allowed_origins = [shop]
        contact_form.save(update_fields=["allowed_origins"])
        with opened_page() as page:
            page.goto(f"{shop}/")
            frame_element = page.locator("iframe[data-peyvand-form]")
            frame = page.frame_locator("iframe[data-peyvand-form]")
            expect(frame.locator("h1")).to_have_text("درخواست مشاوره")
            assert frame.locator("html").get_attribute("dir") == "rtl"
            # The embed script grows the frame from its first 150px to the form's height.
            page.wait_for_function(
                "() => parseInt(document.querySelector('iframe[data-peyvand-form]').style.height) > 300"
            )
            frame.locator("#pvf-name").fill("نیلوفر کاظمی")
            frame.locator("#pvf-mobile").fill("۰۹۱۲ ۷۶۵ ۴۳۲۱")
            frame.locator("#pvf-topic").select_option("خرید")
            frame.locator("#pvf-message").fill("برای ۲۰ کاربر پیش‌فاکتور می‌خواهم.")
            # The bots' trap is off screen and out of the tab order; a person never fills it.
            trap = frame.locator("#pvf-website").bounding_box()
            assert trap is not None and trap["y"] + trap["height"] <= 0
            assert frame.locator("#pvf-website").get_attribute("tabindex") == "-1"
            page.wait_for_timeout(1100)  # a person takes longer than the form's minimum
            frame.locator("button[type=submit]").click()
            expect(frame.locator("[data-form-done]")).to_contain_text("سپاس! کارشناسان ما به زودی تماس می‌گیرند.")
            assert frame_element.is_visible()

    lead = Lead.objects.get()
    assert lead.last_name == "نیلوفر کاظمی" and lead.phone == "+989127654321"
    assert lead.source == LeadSource.WEB_FORM and "۲۰ کاربر" in lead.interest
    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.ACCEPTED and submission.lead == lead


def test_a_site_the_form_does_not_allow_cannot_frame_it(live_server, contact_form):
    from peyvand.comms.webforms.models import FormSubmission

    with other_site(_shop_page(live_server.url, contact_form.key)) as stranger:
        assert stranger not in contact_form.allowed_origins
        with opened_page(expected_console=("frame-ancestors", "Refused to frame", "refused to connect")) as page:
            page.goto(f"{stranger}/")
            page.wait_for_timeout(1500)
            frame = page.frame_locator("iframe[data-peyvand-form]")
            assert frame.locator("form").count() == 0
    assert not FormSubmission.objects.exists()
