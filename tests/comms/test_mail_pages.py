"""The e-mail pages and API: the incoming mails scoped like the customers they came from (mail from nobody known
for managers and administrators), each mail with its files behind the same check, and "poll now" for
administrators only."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from django.conf import settings as django_settings
from django.test import Client

from comms.imap_server import ImapServer
from peyvand.comms.mail.receiving import mail_receive
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage
from peyvand.customers.models import CustomerEmail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(db, imap):
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token="mail-pages",
        config={
            "from_address": "support@example.ir",
            "host": "127.0.0.1",
            "security": "none",
            "username": "support@example.ir",
            "imap_host": imap.host,
            "imap_port": str(imap.port),
            "imap_security": "none",
            "unknown_sender": "none",
        },
        secrets={"password": "secret"},
    )


def _raw(sender: str, subject: str, message_id: str, *, attach: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.ir"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("متن نامه")
    message.add_alternative('<p onclick="alert(1)">متن <script>alert(1)</script>نامه</p>', subtype="html")
    if attach:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename="قرارداد.pdf")
    return message.as_bytes()


@pytest.fixture
def mails(mailbox, customer_a, customer_b):
    CustomerEmail.objects.create(customer=customer_a, email="a@example.com")
    CustomerEmail.objects.create(customer=customer_b, email="b@example.com")
    return {
        "a": mail_receive(account=mailbox, raw=_raw("a@example.com", "نامه مشتری الف", "a-1@x", attach=True)).message,
        "b": mail_receive(account=mailbox, raw=_raw("b@example.com", "نامه مشتری ب", "b-1@x")).message,
        "stranger": mail_receive(account=mailbox, raw=_raw("who@else.example", "ناشناس", "s-1@x")).message,
    }


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _ids(response) -> set[int]:
    return {item["id"] for item in response.json()["items"]}


def test_the_api_lists_the_mails_of_customers_the_caller_can_see(mails, api_client, agent_a, agent_b, manager_a, admin):
    assert _ids(api_client(agent_a).get("/api/v1/comms/mail/messages")) == {mails["a"].pk}
    assert _ids(api_client(agent_b).get("/api/v1/comms/mail/messages")) == {mails["b"].pk}
    # Mail from nobody known is for managers and administrators.
    assert _ids(api_client(manager_a).get("/api/v1/comms/mail/messages")) == {mails["a"].pk, mails["stranger"].pk}
    assert _ids(api_client(admin).get("/api/v1/comms/mail/messages")) == {m.pk for m in mails.values()}
    unmatched = api_client(admin).get("/api/v1/comms/mail/messages?status=unmatched").json()["items"]
    assert [m["id"] for m in unmatched] == [mails["stranger"].pk]
    assert unmatched[0]["message_id"] == "s-1@x"
    assert api_client(None).get("/api/v1/comms/mail/messages").status_code == 401


def test_the_api_gives_one_mail_with_its_files_and_404_to_other_teams(mails, api_client, agent_a, agent_b):
    mail = mails["a"]
    body = api_client(agent_a).get(f"/api/v1/comms/mail/messages/{mail.pk}").json()
    assert body["subject"] == "نامه مشتری الف" and body["status"] == "processed"
    assert body["customer_id"] == mail.customer_id and body["interaction_id"] == mail.interaction_id
    (attachment,) = body["attachments"]
    assert attachment["name"] == "قرارداد.pdf"
    download = api_client(agent_a).get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == PDF
    assert api_client(agent_b).get(f"/api/v1/comms/mail/messages/{mail.pk}").status_code == 404
    assert api_client(agent_b).get(attachment["url"]).status_code == 404
    assert api_client(agent_a).get("/api/v1/comms/mail/messages?limit=0").status_code == 422


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_poll_now_is_for_administrators_and_queues_the_poll(mailbox, imap, customer_a, api_client, admin, manager_a):
    CustomerEmail.objects.create(customer=customer_a, email="a@example.com")
    imap.add(_raw("a@example.com", "تازه", "fresh@x"))

    assert (
        api_client(manager_a).post("/api/v1/comms/mail/poll", "{}", content_type="application/json").status_code == 403
    )
    # The database queue: the request only queues the poll; nothing is fetched until a worker runs it.
    response = api_client(admin).post("/api/v1/comms/mail/poll", "", content_type="application/json")

    assert response.status_code == 202
    body = response.json()
    assert body["account_ids"] == [mailbox.pk] and body["task_id"]
    assert InboundMessage.objects.count() == 0
    assert imap.commands == []
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(id=body["task_id"])
    assert queued.task_path.endswith("mailbox_poll_now_task") and queued.args_kwargs["args"] == [[mailbox.pk]]

    missing = api_client(admin).post(
        "/api/v1/comms/mail/poll", json.dumps({"account_id": 999999}), content_type="application/json"
    )
    assert missing.status_code == 422
    assert "account_id" in missing.json()["error"]["fields"]


def test_a_queued_poll_runs_in_the_worker_and_brings_the_mail(mailbox, imap, customer_a, api_client, admin, settings):
    settings.TASKS = IMMEDIATE
    CustomerEmail.objects.create(customer=customer_a, email="a@example.com")
    imap.add(_raw("a@example.com", "تازه", "fresh@x"))

    response = api_client(admin).post(
        "/api/v1/comms/mail/poll", json.dumps({"account_id": mailbox.pk}), content_type="application/json"
    )

    assert response.status_code == 202
    assert InboundMessage.objects.get().subject == "تازه"
    assert mailbox.mail_poll.stored == 1 and mailbox.mail_poll.finished_at is not None


def test_the_inbox_page_shows_what_the_user_may_see(mails, agent_a, manager_a):
    page = _page_client(agent_a).get("/comms/mail/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "نامه مشتری الف" in text
    assert "نامه مشتری ب" not in text and "ناشناس" not in text
    assert "ناشناس" in _page_client(manager_a).get("/comms/mail/?status=unmatched").content.decode()
    assert "نامه مشتری الف" not in _page_client(manager_a).get("/comms/mail/?status=unmatched").content.decode()


def test_the_mail_page_shows_the_mail_safely_and_its_files_behind_the_check(mails, agent_a, agent_b):
    mail = mails["a"]
    client = _page_client(agent_a)
    page = client.get(f"/comms/mail/{mail.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "متن نامه" in text and "قرارداد.pdf" in text
    # The sender's HTML only inside a sandboxed frame, escaped: it never runs in the page.
    assert 'sandbox=""' in text
    assert "<script>alert(1)</script>" not in text
    # A mail from a customer offers to write back to them.
    assert f'href="/comms/mail/compose/?customer={mail.customer_id}"' in text
    attachment = mail.attachments.get()
    download = client.get(f"/comms/mail/{mail.pk}/files/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    other = _page_client(agent_b)
    assert other.get(f"/comms/mail/{mail.pk}/").status_code == 404
    assert other.get(f"/comms/mail/{mail.pk}/files/{attachment.pk}/").status_code == 404


def test_the_mailboxes_page_and_poll_button_are_for_administrators(mailbox, imap, admin, manager_a, agent_a, settings):
    settings.TASKS = IMMEDIATE
    assert _page_client(agent_a).get("/comms/mail/mailboxes/").status_code == 403
    assert _page_client(manager_a).post("/comms/mail/mailboxes/poll/").status_code == 403
    client = _page_client(admin)
    page = client.get("/comms/mail/mailboxes/")
    assert page.status_code == 200 and "پشتیبانی" in page.content.decode() and "Never" in page.content.decode()
    imap.add(_raw("x@y.example", "یک نامه", "one@x"))

    response = client.post("/comms/mail/mailboxes/poll/", {"account": mailbox.pk}, follow=True)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Poll queued for پشتیبانی" in text
    # The queue ran it at once (as a worker would): the page shows its outcome.
    assert "1 fetched, 1 new" in text
    assert InboundMessage.objects.count() == 1
