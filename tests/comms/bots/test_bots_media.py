"""Messenger bots, the second round, against a local Bot API server over real HTTP: files that come with messages
(stored first, fetched afterwards by getFile and the file address, retried, left out when too large), edited
messages, files sent with an answer (multipart sendDocument / sendPhoto, once), group chats, and the bot's
webhook page."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from comms.bots.conftest import SECRET
from peyvand.comms.bots.files import MAX_ATTEMPTS, incoming_files_fetch_due
from peyvand.comms.bots.inbound import bot_poll, bot_update_receive
from peyvand.comms.bots.models import BotChat, FileStatus, IncomingFile, OutgoingFile
from peyvand.comms.models import InboundAttachment, InboundMessage, InboundStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now, send_due
from peyvand.customers.models import Interaction
from peyvand.service.models import MessageKind, Ticket, TicketAttachment, TicketMessage

_IDS = itertools.count(700_000)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 3000
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def customer(linked_customer):
    return linked_customer


@pytest.fixture
def chat(bot, customer):
    return BotChat.objects.create(account=bot, chat_id="777001", customer=customer, linked_at=timezone.now())


def message(text=None, *, chat_id=777001, message_id=None, chat_type="private", title="", **extra):
    user = {"id": 777001, "is_bot": False, "first_name": "سارا", "last_name": "کریمی", "username": "sara_k"}
    chat = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat.update(first_name="سارا", last_name="کریمی", username="sara_k")
    else:
        chat["title"] = title
    body = {"message_id": message_id or next(_IDS), "from": user, "chat": chat, "date": int(time.time())}
    if text is not None:
        body["text"] = text
    body.update(extra)
    return body


def update(body, *, kind="message", update_id=None):
    return {"update_id": update_id if update_id is not None else next(_IDS), kind: body}


def post(bot, payload, *, client=None):
    return (client or Client()).post(
        f"/comms/bots/{bot.inbound_token}/update",
        data=payload,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def logged_in(user):
    client = english(Client())
    client.force_login(user)
    return client


def photo_sizes(prefix="ph"):
    return [
        {"file_id": f"{prefix}-small", "file_unique_id": "a", "width": 90, "height": 60, "file_size": 900},
        {"file_id": f"{prefix}-big", "file_unique_id": "c", "width": 1280, "height": 853, "file_size": len(JPEG)},
        {"file_id": f"{prefix}-mid", "file_unique_id": "b", "width": 320, "height": 213, "file_size": 1500},
    ]


# --- files in -----------------------------------------------------------------------------------------------------


def test_a_photo_is_stored_first_then_fetched_onto_the_message_and_its_ticket(bot, stub, chat, agent_a, agent_b):
    stub.add_file("ph-big", JPEG, path="photos/file_7.jpg")
    stub.add_file("ph-small", b"\xff\xd8\xff small", path="photos/file_8.jpg")
    response = post(bot, update(message(photo=photo_sizes(), caption="رسید پرداخت")))
    assert response.status_code == 200
    # The update is on record before any file is asked for: a messenger that is down loses nothing.
    assert stub.calls["getFile"] == 0
    inbound = InboundMessage.objects.get()
    assert inbound.body == "رسید پرداخت"
    row = IncomingFile.objects.get()
    assert (row.kind, row.file_id, row.status) == ("photo", "ph-big", FileStatus.PENDING)
    ticket = Ticket.objects.get()
    assert ticket.description == "رسید پرداخت"

    assert incoming_files_fetch_due() == 1
    row.refresh_from_db()
    assert row.status == FileStatus.FETCHED and row.attachment is not None
    assert row.attachment.message == inbound
    with row.attachment.file.open("rb") as handle:
        assert handle.read() == JPEG
    assert stub.downloads == {"photos/file_7.jpg": 1}  # the largest size only
    on_ticket = TicketAttachment.objects.get(ticket=ticket)
    assert on_ticket.size == len(JPEG) and on_ticket.content_type == "image/jpeg"
    assert incoming_files_fetch_due() == 0  # fetched once

    page = logged_in(agent_a).get(f"/comms/bots/chats/{chat.pk}/")
    url = f"/comms/bots/chats/{chat.pk}/files/in/{row.pk}/"
    assert url in page.content.decode()
    download = logged_in(agent_a).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == JPEG
    assert logged_in(agent_b).get(url).status_code == 404
    assert logged_in(agent_a).get(f"/comms/bots/chats/{chat.pk}/files/xx/{row.pk}/").status_code == 404


def test_a_document_on_a_running_conversation_goes_on_the_ticket_message(bot, stub, chat):
    stub.add_file("doc-1", PDF, path="documents/file_1.pdf")
    post(bot, update(message("سلام، فاکتور را می‌فرستم")))
    document = {"file_id": "doc-1", "file_unique_id": "d1", "file_name": "فاکتور.pdf", "mime_type": "application/pdf"}
    post(bot, update(message(document=document)))
    second = InboundMessage.objects.order_by("id").last()
    assert second.body == "(فایل فرستاد)" or second.body.startswith("(")  # no caption: the placeholder text
    assert incoming_files_fetch_due() == 1
    reply = TicketMessage.objects.get(kind=MessageKind.CUSTOMER)
    assert list(reply.attachments.values_list("name", "size")) == [("فاکتور.pdf", len(PDF))]
    assert InboundAttachment.objects.get(message=second).name == "فاکتور.pdf"


def test_a_file_over_the_limit_is_recorded_as_left_out_with_the_reason(bot, stub, chat, settings):
    big = {"file_id": "huge", "file_unique_id": "h", "file_name": "backup.zip", "file_size": 25 * 1024 * 1024}
    post(bot, update(message(document=big, caption="نسخه پشتیبان")))
    row = IncomingFile.objects.get()
    assert row.status == FileStatus.TOO_LARGE and "too_large" in row.error
    assert incoming_files_fetch_due() == 0
    assert stub.calls["getFile"] == 0
    # The Bot API's own refusal ("file is too big") is read the same way.
    stub.add_file("claims-big", b"x", claimed_size=21 * 1024 * 1024)
    post(bot, update(message(document={"file_id": "claims-big", "file_name": "a.pdf"})))
    # A file the server hands out but that is larger than the site's own limit: left out, read no further.
    settings.PEYVAND_BOT_FILE_MB = 1
    stub.add_file("over-ours", PDF + b"1" * (1024 * 1024), path="documents/big.pdf")
    post(bot, update(message(document={"file_id": "over-ours", "file_name": "big.pdf"})))
    assert incoming_files_fetch_due() == 0
    statuses = dict(IncomingFile.objects.values_list("file_id", "status"))
    assert statuses == {"huge": "too_large", "claims-big": "too_large", "over-ours": "too_large"}
    assert InboundAttachment.objects.count() == 0
    # The messages themselves are all there, as handled messages.
    assert InboundMessage.objects.filter(status=InboundStatus.PROCESSED).count() == 3


def test_a_failed_download_is_retried_later_and_a_permanent_failure_is_recorded(bot, stub, chat):
    stub.add_file("v-1", b"OggS voice bytes", path="voice/file_3.oga")
    stub.fail_download = [502]
    post(bot, update(message(voice={"file_id": "v-1", "file_unique_id": "v", "duration": 3, "mime_type": "audio/ogg"})))
    assert incoming_files_fetch_due() == 0
    row = IncomingFile.objects.get()
    assert row.status == FileStatus.PENDING and row.attempts == 1 and "502" in row.error
    assert row.next_attempt_at > timezone.now()
    assert incoming_files_fetch_due() == 0  # not due yet
    later = timezone.now() + dt.timedelta(minutes=2)
    assert incoming_files_fetch_due(now=later) == 1
    row.refresh_from_db()
    assert row.status == FileStatus.FETCHED and row.attempts == 2
    # A voice message is kept on the message's record; a ticket takes only documents and images.
    assert row.attachment.content_type == "audio/ogg"
    assert TicketAttachment.objects.count() == 0

    post(bot, update(message(document={"file_id": "unknown-id", "file_name": "x.pdf"})))
    incoming_files_fetch_due()
    failed = IncomingFile.objects.get(file_id="unknown-id")
    assert failed.status == FileStatus.FAILED and "invalid file_id" in failed.error


def test_a_fetch_that_never_succeeds_is_given_up_after_the_last_try(bot, stub, chat):
    stub.add_file("f-9", PDF, path="documents/f9.pdf")
    post(bot, update(message(document={"file_id": "f-9", "file_name": "f9.pdf"})))
    stub.fail_download = [503] * (MAX_ATTEMPTS + 2)
    now = timezone.now()
    for attempt in range(MAX_ATTEMPTS):
        incoming_files_fetch_due(now=now + dt.timedelta(days=attempt + 1))
    row = IncomingFile.objects.get()
    assert row.status == FileStatus.FAILED and row.error.startswith("gave_up") and row.attempts == MAX_ATTEMPTS
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED


def test_an_animated_sticker_is_left_out_and_a_still_one_kept(bot, stub, chat):
    animated = {"file_id": "st-a", "file_unique_id": "s", "is_animated": True, "is_video": False, "emoji": "😀"}
    post(bot, update(message(sticker=animated)))
    assert IncomingFile.objects.get(file_id="st-a").status == FileStatus.SKIPPED
    stub.add_file("st-b", b"RIFF....WEBPVP8 ", path="stickers/file_5.webp")
    post(bot, update(message(sticker={"file_id": "st-b", "file_unique_id": "t", "is_animated": False})))
    incoming_files_fetch_due()
    kept = IncomingFile.objects.get(file_id="st-b")
    assert kept.status == FileStatus.FETCHED and kept.attachment.content_type == "image/webp"


def test_the_file_fetching_is_scheduled_while_files_are_due(bot, stub, chat):
    from django_tasks_db.models import DBTaskResult

    from peyvand.comms.bots.tasks import SCHEDULES, bots_files_schedule, bots_files_task

    assert ("bots.files", bots_files_schedule) in SCHEDULES
    assert bots_files_schedule() is None  # nothing to fetch
    stub.add_file("s-1", PDF, path="documents/s1.pdf")
    post(bot, update(message(document={"file_id": "s-1", "file_name": "s1.pdf"})))
    assert bots_files_schedule() is not None
    assert bots_files_schedule() is None  # one run waiting is enough
    assert DBTaskResult.objects.count() == 1
    assert bots_files_task.call() == 1
    assert IncomingFile.objects.get().status == FileStatus.FETCHED


def test_files_of_polled_updates_are_fetched_the_same_way(bot, stub, chat):
    stub.add_file("poll-doc", PDF, path="documents/p.pdf")
    stub.add_update(update(message(document={"file_id": "poll-doc", "file_name": "p.pdf"}, caption="از پولینگ")))
    assert bot_poll(account=bot) == 1
    assert incoming_files_fetch_due() == 1
    assert InboundAttachment.objects.get().name == "p.pdf"
    # A polled edit changes that message and is not counted as a new one.
    polled = InboundMessage.objects.get()
    edit = message(caption="از پولینگ، ویرایش", message_id=polled.raw["message"]["message_id"], edit_date=1)
    stub.add_update(update(edit, kind="edited_message"))
    assert bot_poll(account=bot) == 0
    polled.refresh_from_db()
    assert polled.body == "از پولینگ، ویرایش" and InboundMessage.objects.count() == 1


# --- edits ----------------------------------------------------------------------------------------------------------


def test_an_edit_changes_the_stored_message_and_shows_once_on_the_timeline_and_ticket(bot, stub, chat, agent_a):
    post(bot, update(message("سفارش ۱۲ نرسید", message_id=42)))
    post(bot, update(message("سلام دوباره", message_id=43)))
    first = InboundMessage.objects.order_by("id").first()
    ticket = Ticket.objects.get()
    reply = TicketMessage.objects.get(kind=MessageKind.CUSTOMER)

    edit = message("سفارش ۱۳ نرسید", message_id=42, edit_date=int(time.time()) + 5)
    assert post(bot, update(edit, kind="edited_message")).json()["id"] == first.pk
    first.refresh_from_db()
    assert first.body == "سفارش ۱۳ نرسید"
    assert first.raw["edits"][0]["previous"] == "سفارش ۱۲ نرسید"
    assert first.raw["message"]["text"] == "سفارش ۱۲ نرسید"  # the original update is kept as it came
    assert InboundMessage.objects.count() == 2  # an edit is not a new message
    ticket.refresh_from_db()
    assert ticket.description.startswith("سفارش ۱۳ نرسید") and ticket.description.count("(") == 1
    timeline = Interaction.objects.get(pk=first.interaction_id)
    assert timeline.body.startswith("سفارش ۱۳ نرسید")
    marker = timeline.body.removeprefix("سفارش ۱۳ نرسید")
    assert marker.strip()

    # The same edit again (a retried webhook, or the same edit_date under another update id): applied once.
    post(bot, update(edit, kind="edited_message"))
    again = update(edit, kind="edited_message")
    post(bot, again)
    first.refresh_from_db()
    assert len(first.raw["edits"]) == 1
    # A second edit: the newest text, the marker still once.
    post(bot, update(message("سفارش ۱۴", message_id=42, edit_date=int(time.time()) + 9), kind="edited_message"))
    timeline.refresh_from_db()
    assert timeline.body == "سفارش ۱۴" + marker
    first.refresh_from_db()
    assert [e["previous"] for e in first.raw["edits"]] == ["سفارش ۱۲ نرسید", "سفارش ۱۳ نرسید"]

    post(bot, update(message("سلام دوباره!", message_id=43, edit_date=int(time.time()) + 3), kind="edited_message"))
    reply.refresh_from_db()
    assert reply.body == "سلام دوباره!" + marker
    page = logged_in(agent_a).get(f"/comms/bots/chats/{chat.pk}/").content.decode()
    assert page.count("pv-edited") == 2
    assert "سفارش ۱۴" in page and "سفارش ۱۲ نرسید" not in page


def test_an_edit_of_a_message_never_received_is_kept_as_a_message(bot, chat):
    post(bot, update(message("ویرایش پیام قدیمی", message_id=5, edit_date=int(time.time())), kind="edited_message"))
    inbound = InboundMessage.objects.get()
    assert inbound.body == "ویرایش پیام قدیمی" and inbound.status == InboundStatus.PROCESSED


# --- files out ------------------------------------------------------------------------------------------------------


def test_an_answer_with_a_document_goes_out_once_in_one_multipart_call(bot, stub, customer, agent_a):
    chat = BotChat.objects.create(account=bot, chat_id="5151", customer=customer)
    upload = SimpleUploadedFile("پیش فاکتور.pdf", PDF, content_type="application/pdf")
    response = logged_in(agent_a).post(f"/comms/bots/chats/{chat.pk}/", {"text": "پیش‌فاکتور پیوست است", "file": upload})
    assert response.status_code == 302
    out = OutboundMessage.objects.get(to="5151")
    attached = OutgoingFile.objects.get(message=out)
    assert (attached.name, attached.size, attached.caption) == ("پیش فاکتور.pdf", len(PDF), True)
    assert send_due(accounts=[bot]).sent == 1
    assert send_due(accounts=[bot]).sent == 0
    deliver_now(out)  # a sent message is not sent again
    assert stub.calls["sendDocument"] == 1 and stub.calls["sendMessage"] == 0
    sent = stub.uploads[0]
    assert sent["chat_id"] == "5151" and sent["caption"] == "پیش‌فاکتور پیوست است"
    assert sent["document"]["content"] == PDF and sent["document"]["filename"] == "پیش فاکتور.pdf"
    out.refresh_from_db()
    assert out.status in ("sent", "delivered") and out.provider_message_id
    # The customer's timeline has the one line of it; the page lists the file for download.
    assert Interaction.objects.filter(customer=customer, direction="out", channel="messenger").count() == 1
    page = logged_in(agent_a).get(f"/comms/bots/chats/{chat.pk}/")
    link = f"/comms/bots/chats/{chat.pk}/files/out/{attached.pk}/"
    assert link in page.content.decode()
    assert b"".join(logged_in(agent_a).get(link).streaming_content) == PDF


def test_an_image_without_words_goes_as_a_photo_without_a_caption(bot, stub, customer, agent_a):
    chat = BotChat.objects.create(account=bot, chat_id="5152", customer=customer)
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    assert logged_in(agent_a).post(f"/comms/bots/chats/{chat.pk}/", {"text": "", "file": upload}).status_code == 302
    out = OutboundMessage.objects.get(to="5152")
    assert out.body == "screen.png" and not OutgoingFile.objects.get(message=out).caption
    deliver_now(out)
    assert stub.calls["sendPhoto"] == 1
    assert "caption" not in stub.uploads[0] and stub.uploads[0]["photo"]["content"] == PNG


def test_a_file_that_will_not_do_is_refused_on_the_form(bot, stub, customer, agent_a):
    chat = BotChat.objects.create(account=bot, chat_id="5153", customer=customer)
    client = logged_in(agent_a)
    program = SimpleUploadedFile("setup.pdf", b"MZ\x90\x00 program", content_type="application/pdf")
    refused = client.post(f"/comms/bots/chats/{chat.pk}/", {"text": "x", "file": program})
    assert refused.status_code == 422 and "Programs and scripts" in refused.content.decode()
    long_caption = client.post(
        f"/comms/bots/chats/{chat.pk}/",
        {"text": "ب" * 1025, "file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )
    assert long_caption.status_code == 422 and "at most 1024 characters" in long_caption.content.decode()
    nothing = client.post(f"/comms/bots/chats/{chat.pk}/", {"text": " "})
    assert nothing.status_code == 422 and "This field is required" in nothing.content.decode()
    assert OutboundMessage.objects.count() == 0 and OutgoingFile.objects.count() == 0


def test_an_answer_on_the_chats_ticket_carries_its_file_and_goes_once(
    bot, stub, chat, agent_a, desk_queue, django_capture_on_commit_callbacks
):
    post(bot, update(message("قرارداد را بفرستید")))
    ticket = Ticket.objects.get()
    upload = SimpleUploadedFile("قرارداد.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(agent_a).post(f"/comms/bots/chats/{chat.pk}/", {"text": "بفرمایید", "file": upload})
    assert response.status_code == 302
    reply = TicketMessage.objects.get(ticket=ticket, kind=MessageKind.REPLY)
    assert list(reply.attachments.values_list("name", flat=True)) == ["قرارداد.pdf"]
    out = OutboundMessage.objects.get(to="777001", idempotency_key=f"bot:ticket-message:{reply.pk}")
    assert OutboundMessage.objects.filter(to="777001").count() == 1  # the desk's hook found the same message
    deliver_now(out)
    assert stub.calls["sendDocument"] == 1
    assert stub.uploads[0]["caption"] == "بفرمایید" and stub.uploads[0]["document"]["content"] == PDF


def test_a_long_ticket_reply_sends_its_text_and_then_each_file(bot, stub, chat, agent_a, desk_queue):
    from peyvand.comms.bots.replies import bot_reply
    from peyvand.service.services.tickets import ticket_reply

    post(bot, update(message("راهنما لطفا")))
    ticket = Ticket.objects.get()
    files = [
        SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("b.png", PNG, content_type="image/png"),
    ]
    reply = ticket_reply(ticket=ticket, by=agent_a, body="م" * 1500, attachments=files)
    bot_reply(ticket=ticket, text=reply.body, by=None, ticket_message=reply)
    bot_reply(ticket=ticket, text=reply.body, by=None, ticket_message=reply)  # asked twice: nothing twice
    assert send_due(accounts=[bot]).sent == 3
    assert stub.calls["sendMessage"] == 1 and stub.calls["sendDocument"] == 1 and stub.calls["sendPhoto"] == 1
    assert all("caption" not in u for u in stub.uploads)


# --- groups ---------------------------------------------------------------------------------------------------------


def test_group_talk_is_kept_as_ignored_and_shown_on_the_bots_page(bot, stub, admin):
    response = post(bot, update(message("کی میریم ناهار؟", chat_id=-100123, chat_type="supergroup", title="تیم خرید")))
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.error, inbound.sender) == (InboundStatus.IGNORED, "group_chat", "-100123")
    assert not BotChat.objects.exists() and not Ticket.objects.exists()
    page = logged_in(admin).get(f"/comms/bots/accounts/{bot.pk}/webhook/")
    text = page.content.decode()
    assert "کی میریم ناهار؟" in text and "تیم خرید" in text and "A group message not meant for the bot" in text


def test_a_group_message_to_the_bot_is_handled_as_the_groups_conversation(bot, stub, agent_a, manager_a):
    group = {"chat_id": -100777, "chat_type": "group", "title": "شرکت آلفا"}
    post(bot, update(message("@peyvand_bot فاکتور خرداد را بفرستید", **group)))
    chat = BotChat.objects.get(chat_id="-100777")
    assert chat.display_name == "شرکت آلفا"
    ticket = Ticket.objects.get()
    assert ticket.description == "سارا کریمی: فاکتور خرداد را بفرستید"
    assert ticket.contact_name == "شرکت آلفا"
    # A reply to the bot's own message is meant for it; a plain message in between is not handled.
    post(bot, update(message("ممنون از همه", **group)))
    bot_id = int(stub.token.split(":")[0])
    to_bot = message("کی می‌رسد؟", reply_to_message={"message_id": 1, "from": {"id": bot_id, "is_bot": True}}, **group)
    post(bot, update(to_bot))
    assert list(InboundMessage.objects.order_by("id").values_list("status", flat=True)) == [
        InboundStatus.UNMATCHED,
        InboundStatus.IGNORED,
        InboundStatus.UNMATCHED,
    ]
    assert TicketMessage.objects.get(kind=MessageKind.CUSTOMER).body == "سارا کریمی: کی می‌رسد؟"
    # The answer goes to the group, where it was asked; the contact button is not offered there.
    post(bot, update(message("/start@peyvand_bot", **group)))
    assert not OutboundMessage.objects.filter(template="bots:ask_contact").exists()
    assert OutboundMessage.objects.filter(to="-100777").count() == 1
    # The group's page shows every message, the ones not handled marked as such.
    page = logged_in(manager_a).get(f"/comms/bots/chats/{chat.pk}/").content.decode()
    assert "ممنون از همه" in page and "Not handled" in page


# --- the webhook page -----------------------------------------------------------------------------------------------


def test_the_webhook_page_shows_the_messengers_view_and_switches_between_webhook_and_polling(
    bot, stub, admin, agent_a, settings
):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir"
    url = f"/comms/bots/accounts/{bot.pk}/webhook/"
    client = logged_in(admin)
    page = client.get(url)
    assert page.status_code == 200
    assert "Polling" in page.content.decode()
    assert f"https://crm.example.ir/comms/bots/{bot.inbound_token}/update" in page.content.decode()

    assert client.post(url, {"action": "set"}).status_code == 302
    assert stub.webhook["url"] == f"https://crm.example.ir/comms/bots/{bot.inbound_token}/update"
    bot.refresh_from_db()
    assert bot.config["receive"] == "webhook"
    assert stub.webhook["secret_token"] == bot.secrets["webhook_secret"]

    stub.add_update(update(message("در صف")))
    stub.webhook_error = (1_764_000_000, "Wrong response from the webhook: 502 Bad Gateway")
    text = client.get(url).content.decode()
    assert "Webhook" in text and "502 Bad Gateway" in text
    assert 'class="col-sm-8 pv-pending">1<' in text
    # In Persian the page is right to left, the error's time in the Jalali calendar and Tehran's time
    # (1764000000 is 2025-11-24 16:00 UTC: 3 Azar 1404, 19:30 in Tehran), the count in Persian digits.
    persian = Client()
    persian.force_login(admin)
    text = persian.get(url).content.decode()
    assert 'dir="rtl"' in text and "۱۴۰۴/۰۹/۰۳ ۱۹:۳۰" in text and 'pv-pending">۱<' in text

    assert client.post(url, {"action": "polling"}).status_code == 302
    assert stub.webhook == {}
    bot.refresh_from_db()
    assert bot.config["receive"] == "polling"
    assert client.post(url, {"action": "other"}).status_code == 400

    assert logged_in(agent_a).get(url).status_code == 403
    assert logged_in(agent_a).post(url, {"action": "polling"}).status_code == 403
    assert Client().get(url).status_code == 302
    assert client.get("/comms/bots/accounts/999999/webhook/").status_code == 404


def test_the_webhook_page_says_what_is_missing_or_refused(bot, stub, admin, settings):
    settings.PEYVAND_SITE_URL = ""
    url = f"/comms/bots/accounts/{bot.pk}/webhook/"
    client = logged_in(admin)
    assert "PEYVAND_SITE_URL" in client.get(url).content.decode()
    followed = client.post(url, {"action": "set"}, follow=True)
    assert "PEYVAND_SITE_URL" in followed.content.decode() and stub.webhook == {}
    settings.PEYVAND_SITE_URL = "http://crm.local"  # the messenger wants HTTPS
    followed = client.post(url, {"action": "set"}, follow=True)
    assert "An HTTPS URL must be provided" in followed.content.decode()
    stub.fail_next["getWebhookInfo"] = [(502, "Bad Gateway", {})]
    assert "did not answer" in client.get(url).content.decode()


def test_a_same_update_with_a_file_twice_is_one_message_and_one_file(bot, stub, chat):
    stub.add_file("dup", PDF, path="documents/dup.pdf")
    payload = update(message(document={"file_id": "dup", "file_name": "dup.pdf"}))
    assert post(bot, payload).status_code == post(bot, payload).status_code == 200
    bot_update_receive(account=bot, update=payload)
    assert IncomingFile.objects.count() == 1
    assert incoming_files_fetch_due() == 1
    assert stub.downloads == {"documents/dup.pdf": 1}


def test_the_api_answers_with_a_file_and_shows_files_and_edits(bot, stub, chat, agent_a, agent_b, api_client):
    stub.add_file("api-doc", PDF, path="documents/api.pdf")
    post(bot, update(message(document={"file_id": "api-doc", "file_name": "رسید.pdf"}, caption="رسید", message_id=7)))
    post(bot, update(message("رسید خرید", message_id=7, edit_date=int(time.time()) + 1), kind="edited_message"))
    incoming_files_fetch_due()
    client = api_client(agent_a)
    detail = client.get(f"/api/v1/comms/bots/chats/{chat.pk}").json()
    first = detail["messages"][0]
    assert first["edited"] is True and first["text"] == "رسید خرید"
    assert first["files"][0]["name"] == "رسید.pdf" and first["files"][0]["status"] == "fetched"
    assert first["files"][0]["url"].startswith(f"/comms/bots/chats/{chat.pk}/files/in/")

    upload = SimpleUploadedFile("جواب.pdf", PDF, content_type="application/pdf")
    sent = client.post(f"/api/v1/comms/bots/chats/{chat.pk}/files", data={"text": "", "file": upload})
    assert sent.status_code == 201, sent.content
    out = OutboundMessage.objects.get(pk=sent.json()["id"])
    assert OutgoingFile.objects.get(message=out).name == "جواب.pdf"
    program = SimpleUploadedFile("x.pdf", b"#!/bin/sh\nrm -rf /", content_type="application/pdf")
    refused = client.post(f"/api/v1/comms/bots/chats/{chat.pk}/files", data={"file": program})
    assert refused.status_code == 422 and "file" in str(refused.json()["error"]["fields"])
    other = api_client(agent_b).post(
        f"/api/v1/comms/bots/chats/{chat.pk}/files",
        data={"file": SimpleUploadedFile("y.pdf", PDF, content_type="application/pdf")},
    )
    assert other.status_code == 404
    assert OutgoingFile.objects.count() == 1
