"""The channel settings pages: administrators add and change accounts (the form built from the provider's
settings, secrets never shown back), make one the channel's default, rotate its inbound token and send a test
through it; managers read; agents are refused; a provider whose code is missing or broken is shown as such."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils.translation import gettext_noop

from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox import default_account
from peyvand.comms.providers import PROVIDERS, ConfigField, PermanentError, SendResult, TemporaryError
from peyvand.comms.sms.console import ConsoleSms

pytestmark = pytest.mark.django_db

SECRET = "kv-secret-1234567890"


class KeyedSms:
    """A gateway with a secret key, a choice and an address of its own for delivery reports."""

    channel = "sms"
    name = "keyed"
    label = gettext_noop("Keyed test gateway")
    config_fields = (
        ConfigField("api_key", "API key", secret=True),
        ConfigField("sender", "Sender line number"),
        ConfigField("mode", "Mode", required=False, default="live", choices=(("live", "Live"), ("sandbox", "Sandbox"))),
    )
    sent: list[tuple[str, str]] = []

    def __init__(self, account):
        self.account = account

    def send(self, message):
        KeyedSms.sent.append((message.to, message.body))
        return SendResult(provider_message_id=f"k-{message.pk}", segments=1)

    def inbound_urls(self):
        return [("Delivery reports", f"/comms/sms/{self.account.inbound_token}/delivery")]


class RefusingSms(KeyedSms):
    name = "refusing"
    config_fields = ()

    def send(self, message):
        raise PermanentError("401: the API key is not valid")


class BusySms(KeyedSms):
    name = "busy"
    config_fields = ()

    def send(self, message):
        raise TemporaryError("503: try again later", retry_after=30)


class CrashingSms(KeyedSms):
    name = "crashing"
    config_fields = ()

    def send(self, message):
        raise KeyError("status")


class Pbx:
    channel = "call"
    name = "testpbx"
    label = "Test PBX"
    config_fields = ()

    def __init__(self, account):
        self.account = account


@pytest.fixture(autouse=True)
def providers(monkeypatch):
    monkeypatch.setitem(PROVIDERS["sms"], "keyed", "comms.test_settings_pages.KeyedSms")
    monkeypatch.setitem(PROVIDERS["sms"], "refusing", "comms.test_settings_pages.RefusingSms")
    monkeypatch.setitem(PROVIDERS["sms"], "busy", "comms.test_settings_pages.BusySms")
    monkeypatch.setitem(PROVIDERS["sms"], "crashing", "comms.test_settings_pages.CrashingSms")
    monkeypatch.setitem(PROVIDERS["sms"], "broken", "peyvand.comms.sms.no_such_gateway.Gateway")
    monkeypatch.setitem(PROVIDERS["call"], "testpbx", "comms.test_settings_pages.Pbx")
    KeyedSms.sent.clear()


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_account(channel="sms", provider="keyed", **fields):
    defaults = {
        "name": f"{provider} account",
        "config": {"sender": "3000123", "mode": "live"} if provider == "keyed" else {},
        "secrets": {"api_key": SECRET} if provider == "keyed" else {},
        "inbound_token": f"tok-{provider}-{ChannelAccount.objects.count()}",
        "is_default": False,
    }
    defaults.update(fields)
    return ChannelAccount.objects.create(channel=channel, provider=provider, **defaults)


def form_data(**overrides):
    data = {
        "name": "Kavenegar main line",
        "is_active": "on",
        "rate_per_minute": "300",
        "cfg_api_key": SECRET,
        "cfg_sender": "3000123",
        "cfg_mode": "sandbox",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- who may see and change ---------------------------------------------------------------------------------


def test_the_settings_page_lists_every_channel_with_its_accounts(admin):
    account = make_account(is_default=True)
    make_account(provider="console", name="Old console", is_active=False)

    page = browser(admin).get("/comms/settings/")

    html = page.content.decode()
    assert page.status_code == 200
    for label in ("E-mail", "SMS", "Messenger", "Live chat", "Telephony", "Web form"):
        assert label in html
    assert account.name in html and "Old console" in html
    assert f'href="/comms/settings/{account.pk}/"' in html
    assert "/comms/settings/new/sms/keyed/" in html  # the admin may add accounts
    assert SECRET not in html


def test_a_manager_reads_the_settings_but_cannot_change_them(manager_a):
    account = make_account()
    client = browser(manager_a)

    listing = client.get("/comms/settings/")
    detail = client.get(f"/comms/settings/{account.pk}/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert "/comms/settings/new/" not in listing.content.decode()
    body = detail.content.decode()
    assert account.inbound_token not in body  # the inbound addresses are for administrators
    assert f"/comms/settings/{account.pk}/edit/" not in body
    assert client.get(f"/comms/settings/{account.pk}/edit/").status_code == 403
    assert client.get("/comms/settings/new/sms/keyed/").status_code == 403
    assert client.post(f"/comms/settings/{account.pk}/edit/", form_data(name="Hijacked")).status_code == 403
    assert client.post(f"/comms/settings/{account.pk}/rotate-token/").status_code == 403
    assert client.post(f"/comms/settings/{account.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"}).status_code == 403
    account.refresh_from_db()
    assert account.name == "keyed account" and account.is_active
    assert not OutboundMessage.objects.exists()


def test_an_agent_is_refused_the_settings(agent_a):
    account = make_account()
    client = browser(agent_a)
    assert client.get("/comms/settings/").status_code == 403
    assert client.get(f"/comms/settings/{account.pk}/").status_code == 403


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(db):
    page = Client().get("/comms/settings/")
    assert page.status_code == 302 and "/login" in page["Location"]


# --- adding and changing accounts --------------------------------------------------------------------------


def test_an_admin_adds_an_account_with_the_form_its_provider_describes(admin):
    client = browser(admin)
    form = client.get("/comms/settings/new/sms/keyed/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="cfg_api_key"' in html and 'type="password"' in html
    assert 'name="cfg_sender"' in html and 'name="cfg_mode"' in html

    response = client.post("/comms/settings/new/sms/keyed/", form_data())

    account = ChannelAccount.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/comms/settings/{account.pk}/"
    assert (account.channel, account.provider, account.name) == ("sms", "keyed", "Kavenegar main line")
    assert account.config == {"sender": "3000123", "mode": "sandbox"}
    assert account.secrets == {"api_key": SECRET}
    assert account.rate_per_minute == 300 and account.is_active
    # The first active account of a channel is its default by itself.
    assert account.is_default and default_account("sms") == account
    assert len(account.inbound_token) >= 32


def test_a_missing_required_setting_shows_the_form_again_and_saves_nothing(admin):
    response = browser(admin).post("/comms/settings/new/sms/keyed/", form_data(cfg_api_key="", cfg_sender=""))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was saved" in html and "This field is required." in html
    assert not ChannelAccount.objects.exists()


def test_a_value_outside_the_providers_choices_is_refused(admin):
    response = browser(admin).post("/comms/settings/new/sms/keyed/", form_data(cfg_mode="turbo"))
    assert response.status_code == 422
    assert not ChannelAccount.objects.exists()


def test_an_unknown_channel_or_provider_is_not_found(admin):
    client = browser(admin)
    assert client.get("/comms/settings/new/fax/keyed/").status_code == 404
    assert client.get("/comms/settings/new/sms/nokia/").status_code == 404


def test_a_secret_is_never_shown_back_and_an_empty_box_keeps_it(admin):
    account = make_account()
    client = browser(admin)

    for path in (f"/comms/settings/{account.pk}/", f"/comms/settings/{account.pk}/edit/", "/comms/settings/"):
        html = client.get(path).content.decode()
        assert SECRET not in html, path
    edit = client.get(f"/comms/settings/{account.pk}/edit/").content.decode()
    assert "Set — leave empty to keep it." in edit

    response = client.post(f"/comms/settings/{account.pk}/edit/", form_data(cfg_api_key="", name="Renamed"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and account.secrets == {"api_key": SECRET}

    client.post(f"/comms/settings/{account.pk}/edit/", form_data(cfg_api_key="new-key-42"))
    account.refresh_from_db()
    assert account.secrets == {"api_key": "new-key-42"}


def test_making_an_account_the_default_takes_it_from_the_other(admin):
    first = make_account(is_default=True, name="First")
    second = make_account(name="Second")

    response = browser(admin).post(f"/comms/settings/{second.pk}/edit/", form_data(name="Second", is_default="on"))

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    assert default_account("sms") == second


def test_deactivating_an_account_stops_it_being_the_default(admin):
    first = make_account(is_default=True, name="First")
    second = make_account(name="Second")
    client = browser(admin)

    client.post(f"/comms/settings/{first.pk}/active/", {"active": "0"})

    first.refresh_from_db()
    assert not first.is_active and not first.is_default
    assert default_account("sms") == second
    client.post(f"/comms/settings/{first.pk}/active/", {"active": "1"})
    first.refresh_from_db()
    assert first.is_active


def test_an_inactive_account_cannot_be_made_the_default(admin):
    account = make_account()
    response = browser(admin).post(f"/comms/settings/{account.pk}/edit/", form_data(is_active=None, is_default="on"))
    assert response.status_code == 422
    assert "An inactive account cannot be the channel" in response.content.decode()
    account.refresh_from_db()
    assert account.is_active


# --- inbound addresses and the token ---------------------------------------------------------------------------


def test_the_inbound_addresses_carry_the_token_and_rotating_it_replaces_them(admin):
    account = make_account(provider="console", name="Console")
    client = browser(admin)
    old = account.inbound_token

    html = client.get(f"/comms/settings/{account.pk}/").content.decode()
    assert f"http://testserver/comms/sms/{old}/delivery" in html
    assert f"http://testserver/comms/sms/{old}/inbound" in html

    response = client.post(f"/comms/settings/{account.pk}/rotate-token/")

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.inbound_token != old and len(account.inbound_token) >= 32
    html = client.get(f"/comms/settings/{account.pk}/").content.decode()
    assert old not in html and f"/comms/sms/{account.inbound_token}/delivery" in html


def test_the_site_address_setting_makes_the_inbound_addresses(admin, settings):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir/"
    account = make_account()
    html = browser(admin).get(f"/comms/settings/{account.pk}/").content.decode()
    assert f"https://crm.example.ir/comms/sms/{account.inbound_token}/delivery" in html


def test_a_call_account_has_no_send_test_but_its_addresses(admin):
    account = make_account(channel="call", provider="testpbx", name="Office PBX")
    client = browser(admin)

    html = client.get(f"/comms/settings/{account.pk}/").content.decode()

    assert "Testing this channel" in html and 'name="to"' not in html
    assert f"/comms/telephony/{account.inbound_token}/route" in html
    response = client.post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})
    assert response.status_code == 302
    assert not OutboundMessage.objects.exists()


# --- send test ------------------------------------------------------------------------------------------------


def test_send_test_through_the_console_gateway_shows_it_sent(admin):
    account = make_account(provider="console", name="Console", config={"sender": "console"})
    ConsoleSms.sent.clear()

    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "0912 123 4567", "text": "سلام"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sent to +989121234567." in html
    message = OutboundMessage.objects.get()
    assert (message.batch, message.status, message.account, message.to) == ("test", "sent", account, "+989121234567")
    assert message.provider_message_id == f"console-{message.pk}" and message.attempts == 1
    assert message.created_by == admin
    assert ConsoleSms.sent == [("+989121234567", "سلام")]


def test_send_test_without_a_text_sends_the_standard_one(admin):
    account = make_account(name="Main line")
    browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})
    [(to, text)] = KeyedSms.sent
    assert to == "+989121234567" and "Main line" in text


def test_send_test_shows_the_providers_refusal(admin):
    account = make_account(provider="refusing", name="Wrong key")

    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Not sent to +989121234567." in html and "401: the API key is not valid" in html
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and message.error == "401: the API key is not valid"


def test_a_test_that_fails_for_now_is_not_sent_again_later(admin):
    account = make_account(provider="busy", name="Busy")

    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})

    assert "503: try again later" in response.content.decode()
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.FAILED  # not left queued for a worker to retry


def test_a_provider_that_crashes_gives_a_failed_test_not_an_error_page(admin):
    account = make_account(provider="crashing", name="Buggy")
    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})
    assert response.status_code == 200
    assert "Not sent to" in response.content.decode()
    assert OutboundMessage.objects.get().status == "failed"


def test_send_test_to_a_number_that_is_not_one_is_refused_on_the_field(admin):
    account = make_account()
    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "not a number"})
    assert response.status_code == 422
    assert "Enter a mobile number" in response.content.decode()
    assert not OutboundMessage.objects.exists() and KeyedSms.sent == []


def test_send_test_by_email_goes_through_a_real_smtp_server(admin, smtp_server, settings):
    account = make_account(
        channel="email",
        provider="smtp",
        name="Support mailbox",
        config={
            "from_address": "support@example.ir",
            "host": settings.EMAIL_HOST,
            "port": str(settings.EMAIL_PORT),
            "security": "none",
        },
        secrets={},
    )

    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "sara@example.com"})

    assert "Sent to sara@example.com." in response.content.decode()
    [(recipients, raw)] = smtp_server.messages
    assert recipients == ["sara@example.com"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Support mailbox" in mail.get_body(preferencelist=("plain",)).get_content()
    assert OutboundMessage.objects.get().status == "sent"


# --- providers that cannot be loaded ----------------------------------------------------------------------------


def test_a_provider_whose_code_is_missing_is_shown_as_unavailable(admin):
    account = make_account(provider="broken", name="Half installed", config={}, secrets={})
    client = browser(admin)

    listing = client.get("/comms/settings/")
    detail = client.get(f"/comms/settings/{account.pk}/")
    edit = client.get(f"/comms/settings/{account.pk}/edit/")
    create = client.get("/comms/settings/new/sms/broken/")

    assert listing.status_code == 200 and "Provider unavailable" in listing.content.decode()
    assert detail.status_code == 200 and "cannot be loaded" in detail.content.decode()
    assert edit.status_code == 200 and create.status_code == 200
    assert "ModuleNotFoundError" in detail.content.decode()
    refused = client.post("/comms/settings/new/sms/broken/", {"name": "Another", "is_active": "on"})
    assert refused.status_code == 422 and ChannelAccount.objects.count() == 1
    # It can still be renamed or deactivated.
    assert client.post(f"/comms/settings/{account.pk}/edit/", {"name": "Parked"}).status_code == 302
    account.refresh_from_db()
    assert account.name == "Parked" and not account.is_active


def test_send_test_through_a_provider_that_cannot_be_loaded_fails_cleanly(admin):
    account = make_account(provider="broken", name="Half installed", config={}, secrets={})
    response = browser(admin).post(f"/comms/settings/{account.pk}/test/", {"to": "09121234567"})
    assert response.status_code == 200
    assert "Not sent to" in response.content.decode()
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and "no_such_gateway" in message.error


def test_the_settings_page_is_persian_and_right_to_left_by_default(admin):
    make_account(is_default=True)
    client = Client()
    client.force_login(admin)
    html = client.get("/comms/settings/").content.decode()
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert Channel.SMS.value in html


def test_an_account_missing_a_required_setting_can_still_be_deactivated(admin):
    account = make_account(secrets={}, is_default=True)
    browser(admin).post(f"/comms/settings/{account.pk}/active/", {"active": "0"})
    account.refresh_from_db()
    assert not account.is_active


def test_checking_an_asterisk_account_logs_in_to_its_ami_and_says_whether_it_answered(admin, free_port):
    from comms.ami_replay import AmiReplayServer

    server = AmiReplayServer().start()
    try:
        account = make_account(
            channel="call",
            provider="asterisk",
            config={"host": "127.0.0.1", "port": str(server.port), "username": "peyvand"},
            secrets={"secret": "s3cret"},
        )
        client = browser(admin)
        page = client.post(f"/comms/settings/{account.pk}/check/", follow=True).content.decode()
        assert "The PBX answered" in page
        assert server.logins == 1
    finally:
        server.stop()
    account.config = {"host": "127.0.0.1", "port": str(free_port), "username": "peyvand"}
    account.save()
    page = client.post(f"/comms/settings/{account.pk}/check/", follow=True).content.decode()
    assert "The PBX did not answer" in page


def test_only_an_admin_may_check_a_pbx(manager_a):
    account = make_account(channel="call", provider="testpbx")
    assert browser(manager_a).post(f"/comms/settings/{account.pk}/check/").status_code == 403


# --- what an account's page warns of and links to ----------------------------------------------------------


def test_a_mailbox_that_accepts_any_certificate_is_flagged_on_its_page(admin):
    mailbox = make_account(
        channel="email",
        provider="smtp",
        config={"host": "mail.example.ir", "port": "587", "security": "starttls", "tls_verify": "0"},
        secrets={"password": "x"},
    )
    html = browser(admin).get(f"/comms/settings/{mailbox.pk}/").content.decode()
    assert "pv-account-warning" in html and "a self-signed certificate is accepted" in html
    mailbox.config["tls_verify"] = "1"
    mailbox.save()
    assert "pv-account-warning" not in browser(admin).get(f"/comms/settings/{mailbox.pk}/").content.decode()


def test_a_bots_page_links_to_its_webhook_for_administrators_only(admin, manager_a):
    bot = make_account(channel="messenger", provider="telegram", config={"base_url": "http://127.0.0.1:9"})
    webhook = f"/comms/bots/accounts/{bot.pk}/webhook/"
    assert webhook in browser(admin).get(f"/comms/settings/{bot.pk}/").content.decode()
    assert webhook not in browser(manager_a).get(f"/comms/settings/{bot.pk}/").content.decode()


def test_the_outbox_message_page_lists_the_files_sent_with_a_mail(admin, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from peyvand.comms.mail.compose import attach_files
    from peyvand.comms.outbox import enqueue_message

    settings.MEDIA_ROOT = str(tmp_path)
    message = enqueue_message(
        channel=Channel.EMAIL, to="sara@example.com", subject="پیش‌فاکتور", body="پیوست", idempotency_key="files-1"
    )
    attach_files(message=message, files=[SimpleUploadedFile("quote.pdf", b"%PDF-1.4 test", "application/pdf")])
    [file] = message.mail_attachments.all()
    html = browser(admin).get(f"/comms/outbox/{message.pk}/").content.decode()
    assert f"/comms/mail/outgoing/{message.pk}/files/{file.pk}/" in html and "quote.pdf" in html
