"""The incoming mail pages in a real browser, in Persian: the list right to left with Jalali dates, a mail with
its HTML shut in a sandboxed frame (its script never runs), and the administrator's "poll now" bringing a new
mail from a real IMAP server."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from comms.imap_server import ImapServer
from e2e.test_browser import CHROMIUM, PASSWORD, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


def _raw(subject: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "سارا رضایی <sara@example.com>"
    message["To"] = "support@example.ir"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("سفارش ۱۲۳ هنوز نرسیده است.")
    message.add_alternative("<p>سفارش <b>۱۲۳</b></p><script>document.title='hacked'</script>", subtype="html")
    return message.as_bytes()


def test_an_administrator_polls_the_mailbox_and_reads_the_mail(live_server, transactional_db, settings, tmp_path):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.comms.mail.receiving import mail_receive
    from peyvand.comms.models import ChannelAccount
    from peyvand.customers.models import CustomerEmail

    expect = pytest.importorskip("playwright.sync_api").expect
    settings.MEDIA_ROOT = tmp_path
    # The poll the button queues runs at once, as a worker would run it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    team = TeamFactory(name="پشتیبانی")
    admin = UserFactory(username="boss", role=Role.ADMIN, team=None)
    customer = CustomerFactory(team=team, first_name="سارا", last_name="رضایی")
    CustomerEmail.objects.create(customer=customer, email="sara@example.com", is_primary=True)
    imap = ImapServer().start()
    try:
        mailbox = ChannelAccount.objects.create(
            channel="email",
            provider="smtp",
            name="صندوق پشتیبانی",
            inbound_token="browser-mail",
            config={
                "from_address": "support@example.ir",
                "host": "127.0.0.1",
                "username": "support@example.ir",
                "imap_host": imap.host,
                "imap_port": str(imap.port),
                "imap_security": "none",
            },
            secrets={"password": "secret"},
        )
        mail_receive(account=mailbox, raw=_raw("نامه قبلی", "old@example.com"))
        imap.add(_raw("سفارش من کجاست؟", "new@example.com"))
        # The live server speaks HTTP only: the call pop-up's WebSocket cannot connect here, and says so; the
        # browser also reports the mail's script it refused to run.
        with opened_page(expected_console=("/ws/", "Blocked script execution in 'about:srcdoc'")) as page:
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", admin.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")

            page.goto(f"{live_server.url}/comms/mail/mailboxes/")
            assert page.evaluate("document.documentElement.dir") == "rtl"
            page.click("table.pv-mailboxes button[type=submit]")
            page.wait_for_url(f"{live_server.url}/comms/mail/mailboxes/")
            expect(page.locator(".toast.text-bg-success")).to_contain_text("صندوق پشتیبانی")
            expect(page.locator("table.pv-mailboxes")).to_contain_text("۱")

            page.goto(f"{live_server.url}/comms/mail/")
            rows = page.locator("table.pv-mail-list tbody tr")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("سفارش من کجاست؟")
            # Jalali dates in Persian digits.
            assert any("\u06f0" <= ch <= "\u06f9" for ch in rows.first.locator("td").first.inner_text())
            rows.first.locator("a").first.click()
            expect(page.locator(".pv-mail-body")).to_contain_text("سفارش ۱۲۳ هنوز نرسیده است.")
            page.locator("details summary").first.click()
            frame = page.frame_locator("iframe.pv-mail-html")
            expect(frame.locator("b")).to_have_text("۱۲۳")
            assert page.title() != "hacked"
            page.screenshot(path=str(tmp_path / "mail.png"), full_page=True)
    finally:
        imap.stop()
    assert imap.unseen() == []


def test_an_agent_writes_a_mail_with_a_file_from_the_compose_page(live_server, transactional_db, settings, tmp_path):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.comms.mail.models import OutgoingAttachment
    from peyvand.comms.models import ChannelAccount, OutboundMessage
    from peyvand.customers.models import CustomerEmail

    expect = pytest.importorskip("playwright.sync_api").expect
    settings.MEDIA_ROOT = tmp_path / "media"
    team = TeamFactory(name="فروش")
    agent = UserFactory(username="seller", role=Role.AGENT, team=team)
    customer = CustomerFactory(team=team, owner=agent, first_name="سارا", last_name="رضایی")
    CustomerEmail.objects.create(customer=customer, email="sara@example.com", is_primary=True)
    ChannelAccount.objects.create(
        channel="email",
        provider="smtp",
        name="صندوق فروش",
        inbound_token="browser-compose",
        is_default=True,
        config={"from_address": "sales@example.ir", "host": "127.0.0.1", "security": "none"},
    )
    upload = tmp_path / "فاکتور سفارش.pdf"
    upload.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with opened_page(expected_console=("/ws/",)) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", agent.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/comms/mail/compose/?customer={customer.pk}")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        expect(page.locator("#id_to")).to_have_value("sara@example.com")
        page.fill("#id_subject", "پیش‌فاکتور سفارش")
        page.fill("#id_body", "سلام {first_name} عزیز،\nپیش‌فاکتور پیوست است.")
        page.check("#id_fill_fields")
        page.set_input_files("#id_attachments", str(upload))
        page.screenshot(path=str(tmp_path / "compose.png"), full_page=True)
        page.click("form.pv-mail-compose button[type=submit]")
        page.wait_for_url(f"{live_server.url}/comms/outbox/*/")
        expect(page.locator("body")).to_contain_text("پیش‌فاکتور سفارش")
    message = OutboundMessage.objects.get()
    assert message.body.startswith("سلام سارا عزیز")
    assert [a.name for a in OutgoingAttachment.objects.filter(message=message)] == ["فاکتور سفارش.pdf"]
