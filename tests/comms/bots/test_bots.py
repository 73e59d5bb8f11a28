"""Messenger bots end to end against a local Bot API server: sending through the outbox (429 retried after the
time the API asks for, a blocked user failing for good), the webhook (secret checked, an update recorded once),
linking a chat by a shared phone or a deep link, polling getUpdates with its offset, and a message becoming a
ticket whose answer goes back to the chat."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from urllib.parse import parse_qs, urlparse

from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from comms.bots.conftest import SECRET
from factories import CustomerFactory
from peyvand.comms.bots.inbound import bot_poll, bot_update_receive
from peyvand.comms.bots.linking import link_token_make
from peyvand.comms.bots.models import BotChat, BotState
from peyvand.comms.bots.replies import bot_reply
from peyvand.comms.bots.telegram import ASK_CONTACT, LINKED
from peyvand.comms.models import ChannelAccount, InboundMessage, InboundStatus, MessageStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now, enqueue_message
from peyvand.customers.models import Interaction
from peyvand.service.models import MessageKind, Ticket, TicketMessage, TicketStatus

_UPDATES = itertools.count(500_000)
_DATES = itertools.count(1_760_000_000, 60)


def message_update(text=None, *, chat_id=777001, update_id=None, contact=None, user_id=None, date=None):
    user = {"id": user_id or chat_id, "is_bot": False, "first_name": "سارا", "last_name": "کریمی", "username": "sara_k"}
    message = {
        "message_id": next(_UPDATES),
        "from": user,
        "chat": {"id": chat_id, "type": "private", "first_name": "سارا", "last_name": "کریمی", "username": "sara_k"},
        "date": date if date is not None else int(time.time()),
    }
    if text is not None:
        message["text"] = text
    if contact is not None:
        message["contact"] = contact
    return {"update_id": update_id if update_id is not None else next(_UPDATES), "message": message}


def post_update(client, bot, update, *, secret=SECRET, token=None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post(
        f"/comms/bots/{token or bot.inbound_token}/update",
        data=update,
        content_type="application/json",
        headers=headers,
    )


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- sending ------------------------------------------------------------------------------------------------


def test_it_sends_a_persian_message_through_the_bot_api(bot, stub):
    message = enqueue_message(
        channel="messenger", to="777001", body="سلام، سفارش شما ارسال شد ✅", account=bot, idempotency_key="t-send-1"
    )
    message = deliver_now(message)
    assert message.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert stub.sent == [{"chat_id": "777001", "text": "سلام، سفارش شما ارسال شد ✅"}]
    assert message.provider_message_id == "1001"


def test_a_429_is_retried_after_the_time_the_api_asks_for_and_sent_once(bot, stub):
    stub.fail_next["sendMessage"] = [(429, "Too Many Requests: retry after 37", {"retry_after": 37})]
    message = enqueue_message(channel="messenger", to="777001", body="یادآوری", account=bot, idempotency_key="t-429")
    before = timezone.now()
    message = deliver_now(message)
    assert message.status == MessageStatus.QUEUED
    assert stub.sent == []
    assert message.next_attempt_at >= before + dt.timedelta(seconds=37)
    assert "429" in message.error

    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    message = deliver_now(message)
    assert message.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert deliver_now(message).status == message.status  # a sent message is not sent again
    assert [m["text"] for m in stub.sent] == ["یادآوری"]
    assert stub.calls["sendMessage"] == 2


def test_the_outbox_workers_send_a_bots_messages_once_each(bot, stub):
    from peyvand.comms.outbox import send_due

    for n in range(3):
        enqueue_message(channel="messenger", to=f"90{n}", body=f"پیام {n}", account=bot, idempotency_key=f"t-w-{n}")
    stats = send_due(accounts=[bot])
    assert stats.sent == 3
    assert send_due(accounts=[bot]).sent == 0
    assert sorted(m["chat_id"] for m in stub.sent) == ["900", "901", "902"]
    statuses = set(OutboundMessage.objects.values_list("status", flat=True))
    assert statuses <= {MessageStatus.SENT, MessageStatus.DELIVERED}


def test_a_user_who_blocked_the_bot_fails_for_good(bot, stub):
    stub.blocked.add("777002")
    message = enqueue_message(channel="messenger", to="777002", body="سلام", account=bot, idempotency_key="t-blk")
    message = deliver_now(message)
    assert message.status == MessageStatus.FAILED
    assert "blocked" in message.error
    deliver_now(message)
    assert stub.calls["sendMessage"] == 1


def test_a_bale_bot_is_the_same_provider_at_another_address(db, stub, linked_customer, agent_a, api_client):
    bale = ChannelAccount.objects.create(
        channel="messenger",
        provider="bale",
        name="بله",
        config={"base_url": stub.url, "bot_username": "peyvand_bale_bot"},
        secrets={"token": stub.token},
        inbound_token="bale-inbound-token-0123456789",
    )
    message = deliver_now(
        enqueue_message(channel="messenger", to="42", body="درود از بله", account=bale, idempotency_key="t-bale")
    )
    assert message.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert stub.sent[-1] == {"chat_id": "42", "text": "درود از بله"}
    # Bale sends no secret header: the secret address alone lets its updates in.
    response = post_update(Client(), bale, message_update("سلام", chat_id=42), secret=None)
    assert response.status_code == 200
    link = api_client(agent_a).post(
        f"/api/v1/comms/bots/customers/{linked_customer.pk}/link",
        data={"account_id": bale.pk},
        content_type="application/json",
    )
    assert link.status_code == 200
    assert link.json()["url"].startswith("https://ble.ir/peyvand_bale_bot?start=")


# --- the webhook ------------------------------------------------------------------------------------------------


def test_the_webhook_refuses_a_wrong_secret_or_address(bot):
    client = Client()
    update = message_update("سلام")
    assert post_update(client, bot, update, secret="wrong").status_code == 403
    assert post_update(client, bot, update, secret=None).status_code == 403
    assert post_update(client, bot, update, token="not-a-bot-token").status_code == 403
    ChannelAccount.objects.filter(pk=bot.pk).update(is_active=False)
    assert post_update(client, bot, update).status_code == 403
    assert InboundMessage.objects.count() == 0


def test_the_same_update_twice_is_recorded_once(bot, linked_customer):
    chat = BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    update = message_update("اینترنت قطع است")
    client = Client()
    first, second = post_update(client, bot, update), post_update(client, bot, update)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert InboundMessage.objects.filter(account=bot).count() == 1
    assert Ticket.objects.count() == 1
    assert Interaction.objects.filter(customer=linked_customer, channel="messenger", direction="in").count() == 1
    chat.refresh_from_db()
    assert chat.ticket is not None


def test_what_is_not_an_update_is_answered_400_and_others_are_kept(bot):
    client = Client()
    bad_json = client.post(
        f"/comms/bots/{bot.inbound_token}/update",
        data=b"\xff{not json",
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert bad_json.status_code == 400
    assert post_update(client, bot, {"message": {"text": "no id"}}).status_code == 400
    assert post_update(client, bot, [1, 2]).status_code == 400
    assert post_update(client, bot, {"update_id": True}).status_code == 400
    # An update that is not a message (a member change) is kept, answered 200, and does nothing else.
    member = post_update(client, bot, {"update_id": 9, "my_chat_member": {"chat": {"id": 1}}})
    assert member.status_code == 200
    assert InboundMessage.objects.get().status == InboundStatus.IGNORED
    # A message with broken pieces (no sender, odd date) still lands.
    odd = {"update_id": 10, "message": {"chat": {"id": 55, "type": "private"}, "date": "yesterday", "text": "x"}}
    assert post_update(client, bot, odd).status_code == 200
    assert InboundMessage.objects.filter(external_id="10", body="x").exists()
    assert Client().get(f"/comms/bots/{bot.inbound_token}/update").status_code == 405
    broken = client.post(
        f"/comms/bots/{bot.inbound_token}/update",
        data=b'{"update_id": 12, "message": {"chat": {"id": 56, "type": "private"}, "text": "a\\u0000b\\ud800c"}}',
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert broken.status_code == 200
    assert InboundMessage.objects.get(external_id="12").body in ("ab?c", "ab\ufffdc")
    huge = {"update_id": 11, "message": {"chat": {"id": 55, "type": "private"}, "text": "x" * 1_100_000}}
    assert post_update(client, bot, huge).status_code == 400
    assert not InboundMessage.objects.filter(external_id="11").exists()


# --- linking ----------------------------------------------------------------------------------------------------


def test_start_asks_for_the_phone_with_a_contact_button(bot, stub):
    post_update(Client(), bot, message_update("/start"))
    ask = OutboundMessage.objects.get(template=ASK_CONTACT)
    assert ask.to == "777001"
    deliver_now(ask)
    markup = stub.sent[-1]["reply_markup"]
    assert markup["keyboard"][0][0]["request_contact"] is True
    assert markup["keyboard"][0][0]["text"] == ask.subject != ""


def test_a_shared_contact_links_the_chat_to_the_customer_with_that_phone(bot, linked_customer):
    contact = {"phone_number": "989121234567", "first_name": "سارا", "user_id": 777001}
    post_update(Client(), bot, message_update(contact=contact))
    chat = BotChat.objects.get(account=bot, chat_id="777001")
    assert chat.customer == linked_customer
    assert chat.phone == "+989121234567"
    assert chat.linked_at is not None
    assert OutboundMessage.objects.filter(template=LINKED, to="777001").count() == 1


def test_someone_elses_contact_does_not_link_the_chat(bot, linked_customer):
    contact = {"phone_number": "+989121234567", "first_name": "سارا", "user_id": 123}
    post_update(Client(), bot, message_update(contact=contact, chat_id=888, user_id=888))
    chat = BotChat.objects.get(chat_id="888")
    assert chat.customer is None
    assert OutboundMessage.objects.filter(template=ASK_CONTACT, to="888").exists()


def test_an_unknown_phone_keeps_the_chat_unlinked(bot, linked_customer):
    contact = {"phone_number": "989351112233", "first_name": "x", "user_id": 999}
    post_update(Client(), bot, message_update(contact=contact, chat_id=999))
    chat = BotChat.objects.get(chat_id="999")
    assert chat.customer is None
    assert chat.phone == "+989351112233"
    assert InboundMessage.objects.get().status == InboundStatus.UNMATCHED


def test_a_deep_link_made_in_the_crm_links_the_chat(bot, linked_customer, agent_a, agent_b, api_client):
    response = api_client(agent_a).post(
        f"/api/v1/comms/bots/customers/{linked_customer.pk}/link", data={}, content_type="application/json"
    )
    assert response.status_code == 200
    url = urlparse(response.json()["url"])
    assert (url.netloc, url.path) == ("t.me", "/peyvand_bot")
    payload = parse_qs(url.query)["start"][0]
    assert len(payload) <= 64 and payload.replace("-", "").replace("_", "").isalnum()
    # Another team's agent cannot make a link for this customer.
    other = api_client(agent_b).post(
        f"/api/v1/comms/bots/customers/{linked_customer.pk}/link", data={}, content_type="application/json"
    )
    assert other.status_code == 404
    # A forged token links nobody.
    forged = payload[:-3] + ("aaa" if not payload.endswith("aaa") else "bbb")
    post_update(Client(), bot, message_update(f"/start {forged}", chat_id=4040))
    assert BotChat.objects.get(chat_id="4040").customer is None
    post_update(Client(), bot, message_update(f"/start {payload}", chat_id=4041))
    chat = BotChat.objects.get(chat_id="4041")
    assert chat.customer == linked_customer
    assert OutboundMessage.objects.filter(template=LINKED, to="4041").exists()


def test_an_expired_deep_link_links_nobody(bot, linked_customer, settings):
    settings.PEYVAND_BOT_LINK_DAYS = 7
    old = link_token_make(account=bot, customer=linked_customer, at=timezone.now() - dt.timedelta(days=8))
    post_update(Client(), bot, message_update(f"/start {old}", chat_id=5050))
    assert BotChat.objects.get(chat_id="5050").customer is None


def test_the_link_page_makes_a_link_for_a_visible_customer(bot, linked_customer, agent_a, agent_b):
    client = english(Client())
    client.force_login(agent_a)
    page = client.get(f"/comms/bots/link/{linked_customer.pk}/")
    assert page.status_code == 200
    made = client.post(f"/comms/bots/link/{linked_customer.pk}/", {"account": str(bot.pk)})
    assert made.status_code == 200
    assert "https://t.me/peyvand_bot?start=" in made.content.decode()
    other = Client()
    other.force_login(agent_b)
    assert other.get(f"/comms/bots/link/{linked_customer.pk}/").status_code == 404


# --- polling ------------------------------------------------------------------------------------------------------


def test_polling_asks_from_the_last_offset_and_records_each_update_once(bot, stub, linked_customer):
    BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    for update_id, text in ((100, "یک"), (101, "دو"), (102, "سه")):
        stub.add_update(message_update(text, update_id=update_id))
    assert bot_poll(account=bot) == 3
    assert BotState.objects.get(account=bot).update_offset == 103
    assert list(InboundMessage.objects.order_by("id").values_list("body", flat=True)) == ["یک", "دو", "سه"]

    stub.add_update(message_update("چهار", update_id=103))
    assert bot_poll(account=bot) == 1
    assert stub.offsets == [0, 103]
    assert [u["update_id"] for u in stub.updates] == [103]  # the API forgot what came before the offset

    # A worker killed after recording but before moving the offset gets the same update again: recorded once.
    BotState.objects.filter(account=bot).update(update_offset=103)
    assert bot_poll(account=bot) == 0
    assert InboundMessage.objects.filter(account=bot).count() == 4
    assert Ticket.objects.count() == 1  # one conversation
    assert TicketMessage.objects.filter(kind=MessageKind.CUSTOMER).count() == 3


def test_polling_an_api_that_fails_keeps_the_offset_and_says_why(bot, stub):
    BotState.objects.create(account=bot, update_offset=55)
    stub.fail_next["getUpdates"] = [(502, "Bad Gateway", {})]
    assert bot_poll(account=bot) == 0
    state = BotState.objects.get(account=bot)
    assert state.update_offset == 55
    assert "502" in state.last_error


def test_the_poll_is_scheduled_only_for_bots_that_poll(bot, stub, settings):
    from peyvand.comms.bots.tasks import SCHEDULES, bots_poll_schedule

    assert ("bots.poll", bots_poll_schedule) in SCHEDULES
    settings.PEYVAND_BOT_POLL_SECONDS = 5
    assert bots_poll_schedule() is not None
    assert bots_poll_schedule() is None  # one run waiting is enough
    bot.config = {**bot.config, "receive": "webhook"}
    bot.save()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    assert bots_poll_schedule() is None


def test_the_webhook_command_points_the_bot_at_the_site_and_back(bot, stub, settings):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir"
    ChannelAccount.objects.filter(pk=bot.pk).update(secrets={"token": stub.token})
    call_command("bot_webhook", str(bot.pk))
    bot.refresh_from_db()
    assert stub.webhook["url"] == f"https://crm.example.ir/comms/bots/{bot.inbound_token}/update"
    assert stub.webhook["secret_token"] == bot.secrets["webhook_secret"] != ""
    assert bot.config["receive"] == "webhook"
    # While the webhook is set the bot is not polled; the update it posts with the new secret gets in.
    from peyvand.comms.bots.inbound import polling_accounts

    assert bot not in polling_accounts()
    assert post_update(Client(), bot, message_update("hi"), secret=bot.secrets["webhook_secret"]).status_code == 200
    call_command("bot_webhook", str(bot.pk), "--remove")
    bot.refresh_from_db()
    assert stub.webhook == {}
    assert bot.config["receive"] == "polling"


# --- tickets and answers ------------------------------------------------------------------------------------------


def test_a_message_becomes_a_ticket_and_the_agents_answer_goes_back_by_the_outbox(
    bot, stub, linked_customer, agent_a, api_client, desk_queue
):
    chat = BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    post_update(Client(), bot, message_update("سلام، فاکتور من صادر نشده"))
    post_update(Client(), bot, message_update("شماره سفارش ۱۲۳۴"))
    ticket = Ticket.objects.get()
    assert ticket.channel == "bot"
    assert ticket.customer == linked_customer
    assert ticket.description == "سلام، فاکتور من صادر نشده"
    assert list(ticket.messages.values_list("kind", "body")) == [(MessageKind.CUSTOMER, "شماره سفارش ۱۲۳۴")]
    inbound = InboundMessage.objects.order_by("id")
    assert [m.status for m in inbound] == [InboundStatus.PROCESSED] * 2
    assert all(m.customer == linked_customer and m.interaction is not None for m in inbound)

    client = api_client(agent_a)
    listed = client.get("/api/v1/comms/bots/chats")
    assert [c["id"] for c in listed.json()] == [chat.pk]
    response = client.post(
        f"/api/v1/comms/bots/chats/{chat.pk}/messages", data={"text": "صادر شد ✅"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    reply = TicketMessage.objects.get(ticket=ticket, kind=MessageKind.REPLY)
    assert reply.body == "صادر شد ✅" and reply.author == agent_a
    out = OutboundMessage.objects.get(pk=response.json()["id"])
    assert out.idempotency_key == f"bot:ticket-message:{reply.pk}"
    # The desk's hook asking again for the same reply finds the same message: it goes out once.
    assert bot_reply(ticket=ticket, text=reply.body, by=None, ticket_message=reply) == out
    deliver_now(out)
    assert [m["text"] for m in stub.sent if m["chat_id"] == "777001"] == ["صادر شد ✅"]
    detail = client.get(f"/api/v1/comms/bots/chats/{chat.pk}")
    assert [(m["inbound"], m["text"]) for m in detail.json()["messages"]][-1] == (False, "صادر شد ✅")


def test_an_answer_written_on_the_ticket_page_goes_back_to_the_chat_once(
    bot, stub, linked_customer, agent_a, desk_queue, django_capture_on_commit_callbacks
):
    from peyvand.service.services.tickets import ticket_reply

    BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    post_update(Client(), bot, message_update("کارت گارانتی نرسیده"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, by=agent_a, body="امروز ارسال می‌شود")
    out = OutboundMessage.objects.get(idempotency_key=f"bot:ticket-message:{reply.pk}")
    assert (out.channel, out.to, out.body) == ("messenger", "777001", "امروز ارسال می‌شود")
    deliver_now(out)
    assert [m["text"] for m in stub.sent if m["chat_id"] == "777001"] == ["امروز ارسال می‌شود"]
    # The answer went into the chat: the "answered" notice by e-mail or SMS is recorded as not sent, and why.
    notice = ticket.notifications.get(template="ticket_answered")
    assert (notice.status, notice.error) == ("skipped", "answered_in_chat")
    assert not OutboundMessage.objects.filter(channel__in=["sms", "email"]).exists()


def test_a_ticket_that_is_not_from_a_messenger_gets_no_bot_answer(bot, linked_customer, agent_a):
    from peyvand.service.services.tickets import ticket_create

    ticket = ticket_create(by=agent_a, data={"subject": "تلفنی", "customer_id": linked_customer.pk})
    assert bot_reply(ticket=ticket, text="پاسخ", by=agent_a) is None


def test_after_a_quiet_conversation_on_a_closed_ticket_a_new_message_opens_a_new_ticket(bot, linked_customer):
    BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    old = int((timezone.now() - dt.timedelta(hours=30)).timestamp())
    post_update(Client(), bot, message_update("مشکل اول", date=old))
    first = Ticket.objects.get()
    Ticket.objects.filter(pk=first.pk).update(status=TicketStatus.CLOSED)
    post_update(Client(), bot, message_update("مشکل دوم"))
    assert Ticket.objects.count() == 2
    second = Ticket.objects.exclude(pk=first.pk).get()
    assert second.description == "مشکل دوم"
    assert BotChat.objects.get().ticket == second
    assert set(BotChat.objects.get().tickets.all()) == {first, second}


def test_an_unlinked_chat_still_lands_and_becomes_a_ticket_with_its_contact(bot):
    post_update(Client(), bot, message_update("قیمت محصول؟", chat_id=31337))
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.UNMATCHED
    assert inbound.customer is None
    ticket = Ticket.objects.get()
    assert ticket.customer is None and ticket.contact_name == "سارا کریمی"
    assert inbound.related == ticket


def test_an_account_without_tickets_keeps_the_timeline_only(bot, linked_customer):
    bot.config = {**bot.config, "ticket_rule": "none"}
    bot.save()
    BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    bot_update_receive(account=bot, update=message_update("فقط سلام"))
    assert Ticket.objects.count() == 0
    assert Interaction.objects.filter(customer=linked_customer, channel="messenger", body="فقط سلام").exists()


# --- who sees what ----------------------------------------------------------------------------------------------


def test_chats_are_scoped_by_their_customer_and_unlinked_ones_by_role(
    bot, linked_customer, agent_a, agent_b, manager_a, api_client
):
    linked = BotChat.objects.create(account=bot, chat_id="1", customer=linked_customer, linked_at=timezone.now())
    unlinked = BotChat.objects.create(account=bot, chat_id="2")
    assert [c["id"] for c in api_client(agent_a).get("/api/v1/comms/bots/chats").json()] == [linked.pk]
    assert api_client(agent_b).get("/api/v1/comms/bots/chats").json() == []
    assert api_client(agent_b).get(f"/api/v1/comms/bots/chats/{linked.pk}").status_code == 404
    assert api_client(agent_a).get(f"/api/v1/comms/bots/chats/{unlinked.pk}").status_code == 404
    sent = api_client(agent_b).post(
        f"/api/v1/comms/bots/chats/{linked.pk}/messages", data={"text": "x"}, content_type="application/json"
    )
    assert sent.status_code == 404
    assert {c["id"] for c in api_client(manager_a).get("/api/v1/comms/bots/chats").json()} == {linked.pk, unlinked.pk}
    unlinked_only = api_client(manager_a).get("/api/v1/comms/bots/chats?show=unlinked").json()
    assert [c["id"] for c in unlinked_only] == [unlinked.pk]
    assert api_client(None).get("/api/v1/comms/bots/chats").status_code == 401
    assert OutboundMessage.objects.count() == 0


def test_an_empty_or_too_long_answer_is_refused_field_by_field(bot, linked_customer, agent_a, api_client):
    chat = BotChat.objects.create(account=bot, chat_id="1", customer=linked_customer)
    client = api_client(agent_a)
    for text in ("", "x" * 4097):
        response = client.post(
            f"/api/v1/comms/bots/chats/{chat.pk}/messages", data={"text": text}, content_type="application/json"
        )
        assert response.status_code == 422
        assert "text" in str(response.json()["error"]["fields"])
    assert OutboundMessage.objects.count() == 0


def test_the_conversation_pages_show_the_chat_and_take_an_answer(bot, linked_customer, agent_a, agent_b):
    chat = BotChat.objects.create(account=bot, chat_id="777001", customer=linked_customer, linked_at=timezone.now())
    bot_update_receive(account=bot, update=message_update("سلام از تلگرام"))
    client = english(Client())
    client.force_login(agent_a)
    listing = client.get("/comms/bots/chats/")
    assert listing.status_code == 200
    assert f"/comms/bots/chats/{chat.pk}/" in listing.content.decode()
    page = client.get(f"/comms/bots/chats/{chat.pk}/")
    assert page.status_code == 200
    assert "سلام از تلگرام" in page.content.decode()
    empty = client.post(f"/comms/bots/chats/{chat.pk}/", {"text": "  "})
    assert empty.status_code == 422
    assert "This field is required" in empty.content.decode()
    sent = client.post(f"/comms/bots/chats/{chat.pk}/", {"text": "در خدمتیم"})
    assert sent.status_code == 302
    assert OutboundMessage.objects.filter(to="777001", body="در خدمتیم", account=bot).count() == 1
    other = Client()
    other.force_login(agent_b)
    assert other.get(f"/comms/bots/chats/{chat.pk}/").status_code == 404
    assert other.post(f"/comms/bots/chats/{chat.pk}/", {"text": "x"}).status_code == 404
    anonymous = Client().get("/comms/bots/chats/")
    assert anonymous.status_code == 302


def test_a_customer_factory_phone_is_found_in_any_written_form(bot):
    customer = CustomerFactory(phone="+989351234567")
    contact = {"phone_number": "+98 935 123 4567", "first_name": "x", "user_id": 4242}
    bot_update_receive(account=bot, update=message_update(contact=contact, chat_id=4242))
    assert BotChat.objects.get(chat_id="4242").customer == customer
