"""Staff writing an e-mail to a customer from the CRM: the page and the API, scoped like the customer; the mail
queued once whatever the double presses, with its files (Persian names, their own types) stored with it and
sent by a real SMTP server on loopback; the size limit, the customer's addresses and consent checked before
anything is queued."""

from __future__ import annotations

import email
import json
import re
from email.policy import default as default_policy

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from peyvand.comms.mail.compose import html_from_text
from peyvand.comms.mail.models import OutgoingAttachment
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now
from peyvand.customers.models import Consent, CustomerEmail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mailbox(db, smtp_server, settings):
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token="mail-compose",
        is_default=True,
        config={
            "from_address": "support@example.ir",
            "from_name": "پشتیبانی پیوند",
            "host": "127.0.0.1",
            "port": str(settings.EMAIL_PORT),
            "security": "none",
        },
    )


@pytest.fixture
def customer(customer_a):
    customer_a.first_name, customer_a.last_name, customer_a.display_name = "سارا", "رضایی", "سارا رضایی"
    customer_a.save()
    CustomerEmail.objects.create(customer=customer_a, email="sara@example.com", is_primary=True)
    CustomerEmail.objects.create(customer=customer_a, email="sara.work@example.com")
    return customer_a


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _token(page) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert found, "the form carries its token"
    return found.group(1)


def _files():
    return [
        SimpleUploadedFile("گزارش سفارش.pdf", PDF, content_type="application/pdf"),
        # The browser's word for a type is not believed: the name says PNG.
        SimpleUploadedFile("نمودار.png", PNG, content_type="text/html"),
    ]


def _form(mailbox, token, **extra):
    return {
        "token": token,
        "account": str(mailbox.pk),
        "to": "sara.work@example.com",
        "subject": "پیش‌فاکتور سفارش شما",
        "body": "سلام،\nپیش‌فاکتور پیوست است.\n\nhttps://example.ir/q/12 <b>bold?</b>",
        **extra,
    }


def test_an_agent_writes_a_mail_with_files_and_a_double_press_sends_one(mailbox, customer, agent_a, smtp_server):
    client = _client(agent_a)
    page = client.get(f"/comms/mail/compose/?customer={customer.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "sara@example.com" in text and "sara.work@example.com" in text and "پشتیبانی" in text
    token = _token(page)

    first = client.post(
        f"/comms/mail/compose/?customer={customer.pk}", {**_form(mailbox, token), "attachments": _files()}
    )
    again = client.post(
        f"/comms/mail/compose/?customer={customer.pk}", {**_form(mailbox, token), "attachments": _files()}
    )

    message = OutboundMessage.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/comms/outbox/{message.pk}/"
    assert (message.customer, message.created_by, message.account) == (customer, agent_a, mailbox)
    assert message.to == "سارا رضایی <sara.work@example.com>"
    assert message.transactional and message.status == MessageStatus.QUEUED
    rows = list(OutgoingAttachment.objects.filter(message=message))
    assert [(r.name, r.content_type, r.size) for r in rows] == [
        ("گزارش سفارش.pdf", "application/pdf", len(PDF)),
        ("نمودار.png", "image/png", len(PNG)),
    ]
    # The agent can open the page they are sent to.
    assert client.get(first["Location"]).status_code == 200

    sent = deliver_now(message)

    assert sent.status == MessageStatus.SENT, sent.error
    ((recipients, raw),) = smtp_server.messages
    assert recipients == ["sara.work@example.com"]
    mail = email.message_from_bytes(raw, policy=default_policy)
    assert mail.get_content_type() == "multipart/mixed"
    assert mail["Auto-Submitted"] is None  # a person wrote it
    assert mail["Precedence"] is None
    plain = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.startswith("سلام،\nپیش‌فاکتور پیوست است.")
    html = mail.get_body(("html",)).get_content()
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "<b>" not in html
    assert '<a href="https://example.ir/q/12">' in html
    files = list(mail.iter_attachments())
    assert [(f.get_filename(), f.get_content_type(), f.get_content()) for f in files] == [
        ("گزارش سفارش.pdf", "application/pdf", PDF),
        ("نمودار.png", "image/png", PNG),
    ]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    # Persian file names as RFC 2231 says, in the raw bytes.
    assert b"filename*=utf-8''" in raw.lower()


def test_the_customer_must_be_one_the_agent_can_see(mailbox, customer, agent_b, agent_a):
    assert _client(agent_b).get(f"/comms/mail/compose/?customer={customer.pk}").status_code == 404
    response = _client(agent_b).post(
        f"/comms/mail/compose/?customer={customer.pk}", _form(mailbox, "b" * 32), follow=False
    )
    assert response.status_code == 404
    assert _client(agent_a).get("/comms/mail/compose/?customer=999999").status_code == 404
    assert _client(agent_a).get("/comms/mail/compose/").status_code == 404
    assert OutboundMessage.objects.count() == 0
    anonymous = Client().get(f"/comms/mail/compose/?customer={customer.pk}")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_files_over_the_limit_are_refused_before_anything_is_queued(mailbox, customer, agent_a, settings, tmp_path):
    settings.PEYVAND_MAIL_OUTGOING_MB = 0.001  # about 1 KB
    client = _client(agent_a)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2000, content_type="application/pdf")

    response = client.post(
        f"/comms/mail/compose/?customer={customer.pk}", {**_form(mailbox, "c" * 32), "attachments": [big]}
    )

    assert response.status_code == 422
    assert "one e-mail may carry at most" in response.content.decode()
    assert OutboundMessage.objects.count() == 0 and OutgoingAttachment.objects.count() == 0
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))
    # In Persian too, with Persian digits.
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fa"
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2000, content_type="application/pdf")
    response = client.post(
        f"/comms/mail/compose/?customer={customer.pk}", {**_form(mailbox, "c" * 32), "attachments": [big]}
    )
    assert response.status_code == 422
    assert re.search(r"[۰-۹]+ مگابایت", response.content.decode()), "the sizes in Persian digits"


def test_an_address_that_is_not_the_customers_is_refused(mailbox, customer, agent_a):
    response = _client(agent_a).post(
        f"/comms/mail/compose/?customer={customer.pk}", _form(mailbox, "d" * 32, to="someone@else.example")
    )
    assert response.status_code == 422
    assert OutboundMessage.objects.count() == 0


def test_consent_a_refusal_stops_any_mail_and_marketing_needs_a_yes(mailbox, customer, agent_a, smtp_server, settings):
    settings.PEYVAND_QUIET_HOURS = ""  # marketing would otherwise wait for the morning
    client = _client(agent_a)
    url = f"/comms/mail/compose/?customer={customer.pk}"

    response = client.post(url, _form(mailbox, "e" * 32, marketing="on"))
    assert response.status_code == 422
    assert "needs the customer&#x27;s recorded consent" in response.content.decode()

    consent = Consent.objects.create(
        customer=customer, channel="email", granted=True, recorded_at=timezone.now(), method="form"
    )
    response = client.post(url, _form(mailbox, "f" * 32, marketing="on"))
    assert response.status_code == 302
    message = OutboundMessage.objects.get()
    assert not message.transactional
    sent = deliver_now(message)
    assert sent.status == MessageStatus.SENT, sent.error
    mail = email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)
    assert mail["Precedence"] == "bulk"

    consent.granted = False
    consent.save()
    page = client.get(url)
    assert "This customer has refused e-mail" in page.content.decode()
    response = client.post(url, _form(mailbox, "g" * 32))
    assert response.status_code == 422
    assert OutboundMessage.objects.count() == 1


def test_the_customers_fields_are_filled_when_asked(mailbox, customer, agent_a):
    client = _client(agent_a)
    url = f"/comms/mail/compose/?customer={customer.pk}"
    response = client.post(
        url, _form(mailbox, "h" * 32, subject="برای {first_name}", body="{name} عزیز، سلام.", fill_fields="on")
    )
    assert response.status_code == 302
    message = OutboundMessage.objects.get()
    assert message.subject == "برای سارا" and message.body == "سارا رضایی عزیز، سلام."

    response = client.post(url, _form(mailbox, "i" * 32, body="{unknown_field}", fill_fields="on"))
    assert response.status_code == 422 and "Unknown field" in response.content.decode()
    # Without the box ticked, braces are text.
    response = client.post(url, _form(mailbox, "j" * 32, body="{first_name}"))
    assert OutboundMessage.objects.get(idempotency_key="mail-compose:" + "j" * 32).body == "{first_name}"


def test_the_page_is_right_to_left_in_persian(mailbox, customer, agent_a):
    client = _client(agent_a)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fa"
    text = client.get(f"/comms/mail/compose/?customer={customer.pk}").content.decode()
    assert 'dir="rtl"' in text and 'enctype="multipart/form-data"' in text


def test_the_customers_page_offers_to_write_only_when_there_is_an_address(customer, agent_a, customer_b, agent_b):
    link = f"/comms/mail/compose/?customer={customer.pk}"
    assert link in _client(agent_a).get(f"/customers/{customer.pk}/").content.decode()
    html = _client(agent_b).get(f"/customers/{customer_b.pk}/").content.decode()
    assert "/comms/mail/compose/?customer=" not in html  # customer B has no e-mail address


def test_the_html_version_escapes_everything_typed():
    html = html_from_text('<script>alert(1)</script>\n"x" & y\n\nhttp://a.example/?q=<1>')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;/script&gt;<br>\n&quot;x&quot; &amp; y</p>" in html
    assert '<a href="http://a.example/?q=">' in html


# The API: the same rules, multipart.


def _api_data(mailbox, customer, key, **extra):
    return {
        "customer_id": str(customer.pk),
        "to": "sara@example.com",
        "subject": "Your quote",
        "body": "Attached.",
        "idempotency_key": key,
        "account_id": str(mailbox.pk),
        **extra,
    }


def test_the_api_sends_with_files_once_per_key(mailbox, customer, agent_a, api_client):
    client = api_client(agent_a)
    data = _api_data(mailbox, customer, "api-key-0000000001")

    first = client.post("/api/v1/comms/mail/send", {**data, "files": _files()})
    again = client.post("/api/v1/comms/mail/send", {**data, "files": _files()})

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert body["status"] == "queued" and body["to"] == "سارا رضایی <sara@example.com>"
    assert [(a["name"], a["content_type"]) for a in body["attachments"]] == [
        ("گزارش سفارش.pdf", "application/pdf"),
        ("نمودار.png", "image/png"),
    ]
    assert OutboundMessage.objects.count() == 1 and OutgoingAttachment.objects.count() == 2


def test_the_api_answers_404_for_a_customer_of_another_team_and_422_per_field(
    mailbox, customer, agent_b, agent_a, api_client, settings
):
    response = api_client(agent_b).post("/api/v1/comms/mail/send", _api_data(mailbox, customer, "api-key-0000000002"))
    assert response.status_code == 404

    client = api_client(agent_a)
    response = client.post(
        "/api/v1/comms/mail/send", _api_data(mailbox, customer, "api-key-0000000003", to="x@y.example")
    )
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]
    response = client.post("/api/v1/comms/mail/send", _api_data(mailbox, customer, "short"))
    assert response.status_code == 422
    response = client.post(
        "/api/v1/comms/mail/send", _api_data(mailbox, customer, "api-key-0000000004", account_id="999999")
    )
    assert response.status_code == 422 and "account_id" in response.json()["error"]["fields"]

    settings.PEYVAND_MAIL_OUTGOING_MB = 0.00001
    response = client.post(
        "/api/v1/comms/mail/send", {**_api_data(mailbox, customer, "api-key-0000000005"), "files": _files()}
    )
    assert response.status_code == 422 and "files" in response.json()["error"]["fields"]
    assert OutboundMessage.objects.count() == 0
    assert json.loads(response.content)["error"]["code"]


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_files_of_a_sent_mail_are_downloaded_behind_the_outbox_scope(
    mailbox, customer, agent_a, agent_b, api_client
):
    body = (
        api_client(agent_a)
        .post("/api/v1/comms/mail/send", {**_api_data(mailbox, customer, "api-key-0000000010"), "files": _files()})
        .json()
    )
    pdf = body["attachments"][0]

    download = api_client(agent_a).get(pdf["url"])
    assert download.status_code == 200 and _content(download) == PDF
    assert download["Content-Type"] == "application/octet-stream"
    assert api_client(agent_b).get(pdf["url"]).status_code == 404
    assert api_client(agent_a).get(f"/api/v1/comms/mail/outgoing/{body['id']}/attachments/999999").status_code == 404

    page_url = f"/comms/mail/outgoing/{body['id']}/files/{pdf['id']}/"
    assert _content(_client(agent_a).get(page_url)) == PDF
    assert _client(agent_b).get(page_url).status_code == 404


def test_a_19_mb_file_goes_out_whole(mailbox, customer, agent_a, smtp_server):
    data = bytes(range(256)) * (19 * 1024 * 4)  # 19 MB, every byte value
    client = _client(agent_a)
    url = f"/comms/mail/compose/?customer={customer.pk}"
    big = SimpleUploadedFile("بایگانی.zip", data, content_type="application/zip")

    response = client.post(url, {**_form(mailbox, "k" * 32), "attachments": [big]})

    assert response.status_code == 302
    sent = deliver_now(OutboundMessage.objects.get())
    assert sent.status == MessageStatus.SENT, sent.error
    mail = email.message_from_bytes(smtp_server.messages[-1][1], policy=default_policy)
    (file,) = mail.iter_attachments()
    assert file.get_filename() == "بایگانی.zip" and file.get_content_type() == "application/zip"
    assert file.get_content() == data


def test_a_file_lost_from_the_storage_holds_the_mail_back_rather_than_send_it_without(
    mailbox, customer, agent_a, smtp_server
):
    client = _client(agent_a)
    url = f"/comms/mail/compose/?customer={customer.pk}"
    client.post(url, {**_form(mailbox, "l" * 32), "attachments": _files()})
    message = OutboundMessage.objects.get()
    row = OutgoingAttachment.objects.filter(message=message).first()
    row.file.storage.delete(row.file.name)

    held = deliver_now(message)

    assert held.status == MessageStatus.QUEUED and "attachment_missing" in held.error
    assert smtp_server.messages == []


def test_an_address_on_the_suppression_list_is_refused(mailbox, customer, agent_a):
    from peyvand.comms.models import SuppressionReason
    from peyvand.comms.suppression import suppress_address

    suppress_address(channel=Channel.EMAIL, address="Sara.Work@example.com", reason=SuppressionReason.HARD_BOUNCE)
    client = _client(agent_a)
    url = f"/comms/mail/compose/?customer={customer.pk}"

    refused = client.post(url, _form(mailbox, "m" * 32))
    taken = client.post(url, _form(mailbox, "n" * 32, to="sara@example.com"))

    assert refused.status_code == 422 and "suppression list" in refused.content.decode()
    assert taken.status_code == 302
    assert OutboundMessage.objects.get().to.endswith("<sara@example.com>")
