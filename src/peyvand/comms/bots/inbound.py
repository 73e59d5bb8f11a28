"""Updates from a messenger (by webhook or by polling getUpdates) onto the record: the inbound message, the chat
and its customer, the customer's timeline and, by the account's rule, a ticket."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from peyvand.comms.bots.edits import edit_apply, edited_original
from peyvand.comms.bots.files import incoming_files_record
from peyvand.comms.bots.groups import GROUP_CHAT, GROUP_TYPES, addressed_to_bot, group_text, is_group
from peyvand.comms.bots.linking import chat_link, customer_for_phone, link_token_read, phone_from_contact
from peyvand.comms.bots.models import BotChat, BotState
from peyvand.comms.bots.telegram import ASK_CONTACT, LINKED, BotApi
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus
from peyvand.comms.outbox import enqueue_message
from peyvand.comms.providers import PermanentError, TemporaryError
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.services.timeline import interaction_create
from peyvand.service.models import Ticket, TicketChannel

__all__ = [
    "MalformedUpdate",
    "bot_poll",
    "bot_set_webhook",
    "bot_update_receive",
    "polling_accounts",
    "webhook_secret_ok",
]

# Kept here too: the command and older callers import it from this module.
from peyvand.comms.bots.webhook import bot_set_webhook

log = logging.getLogger(__name__)


class MalformedUpdate(ValueError):
    """The body is not a Bot API update (no update_id): answered 400, never stored as a message."""


def webhook_secret_ok(account: ChannelAccount, header: str | None) -> bool:
    """The secret address authenticates an update; when the account has a webhook secret, the messenger must
    also send it back in X-Telegram-Bot-Api-Secret-Token."""
    expected = str((account.secrets or {}).get("webhook_secret") or "")
    return not expected or constant_time_compare(expected, header or "")


def _scrub(value: Any) -> Any:
    """The update with every text storable: PostgreSQL refuses NUL characters, and a lone surrogate (valid in
    JSON's \\u escapes) cannot be encoded as UTF-8."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _when(value: Any) -> dt.datetime:
    if isinstance(value, int) and 0 < value < 2**33:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return timezone.now()


def _text_of(message: dict[str, Any]) -> str:
    text = message.get("text") or message.get("caption") or ""
    if isinstance(text, str) and text.strip():
        return text.strip()
    for kind, label in (
        ("photo", _("a photo")),
        ("document", _("a file")),
        ("voice", _("a voice message")),
        ("audio", _("an audio file")),
        ("video", _("a video")),
        ("sticker", _("a sticker")),
        ("location", _("a location")),
    ):
        if kind in message:
            return _("(sent %(kind)s)") % {"kind": label}
    return _("(a message without text)")


def _bot_says(chat: BotChat, key: str, text: str, *, template: str = "", subject: str = "") -> None:
    # Keyed by the update, so an update received twice is answered once.
    enqueue_message(
        channel=Channel.MESSENGER,
        to=chat.chat_id,
        body=text,
        subject=subject,
        account=chat.account,
        customer=chat.customer,
        idempotency_key=key,
        template=template,
    )


def _ask_contact(chat: BotChat, key: str) -> None:
    _bot_says(
        chat,
        key,
        _("Hello! To link this chat to your customer record, share your phone number with the button below."),
        template=ASK_CONTACT,
        subject=_("Share my phone number"),
    )


def _chat_for(account: ChannelAccount, message: dict[str, Any]) -> BotChat:
    source = message["chat"]
    sender: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    if is_group(source):
        # A group's chat is the group: its title, not the name of whoever wrote last.
        display, username = str(source.get("title") or "")[:200], str(source.get("username") or "")[:64]
    else:
        names = [str(source.get(k) or sender.get(k) or "").strip() for k in ("first_name", "last_name")]
        display = " ".join(n for n in names if n)[:200] or str(source.get("title") or "")[:200]
        username = str(source.get("username") or sender.get("username") or "")[:64]
    chat, created = BotChat.objects.select_for_update().get_or_create(
        account=account, chat_id=str(source["id"]), defaults={"username": username, "display_name": display}
    )
    if not created and (chat.username, chat.display_name) != (username, display) and (username or display):
        chat.username, chat.display_name = username or chat.username, display or chat.display_name
        chat.save(update_fields=["username", "display_name", "updated_at"])
    return chat


def _handle_contact(chat: BotChat, message: dict[str, Any], key: str) -> str:
    """A shared contact links the chat when it is the sender's own number and one customer owns it."""
    contact: dict[str, Any] = message["contact"] if isinstance(message.get("contact"), dict) else {}
    sender: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    if contact.get("user_id") is None or contact.get("user_id") != sender.get("id"):
        _ask_contact(chat, key)
        return _("A contact that is not the sender's own number: not used for linking.")
    phone = phone_from_contact(contact.get("phone_number"))
    if phone is None:
        return _("The shared phone number could not be read.")
    chat.phone = phone
    chat.save(update_fields=["phone", "updated_at"])
    customer = customer_for_phone(phone)
    if customer is None:
        _bot_says(
            chat, key, _("Thank you. We did not find this number among our customers; your messages still reach us.")
        )
        return _("Shared phone %(phone)s matches no single customer.") % {"phone": phone}
    chat_link(chat=chat, customer=customer)
    _bot_says(
        chat,
        key,
        _("Thank you, %(name)s: this chat is now linked to your record.") % {"name": customer},
        template=LINKED,
    )
    return _("Linked by the shared phone %(phone)s.") % {"phone": phone}


def _handle_start(chat: BotChat, text: str, key: str, *, group: bool = False) -> str:
    payload = text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""
    if not payload:
        if group:
            # A contact button works in private chats only: a group is linked by the link made in the CRM.
            _bot_says(chat, key, _("Hello! Mention me or answer my messages, and we will answer here."))
        elif chat.customer_id is None:
            _ask_contact(chat, key)
        else:
            _bot_says(chat, key, _("Hello! Write your message and we will answer here."))
        return _("Started the bot.")
    customer = link_token_read(account=chat.account, token=payload)
    if customer is None:
        _bot_says(chat, key, _("This link has expired or is not valid. Ask us for a new one, or share your phone."))
        if chat.customer_id is None and not group:
            _ask_contact(chat, key + ":ask")
        return _("A link that is not valid or has expired.")
    chat_link(chat=chat, customer=customer)
    _bot_says(
        chat,
        key,
        _("Hello %(name)s! This chat is now linked to your record.") % {"name": customer},
        template=LINKED,
    )
    return _("Linked by the link sent to the customer.")


def _conversation_hours(account: ChannelAccount) -> float:
    try:
        return max(0.0, float((account.config or {}).get("conversation_hours") or 24))
    except (TypeError, ValueError):
        return 24.0


def _to_ticket(
    chat: BotChat, *, text: str, update_id: int, previous: dt.datetime | None, at: dt.datetime
) -> tuple[Ticket, Any]:
    """By the account's rule: the chat's ticket while its conversation goes on (open, or written on within the
    account's hours: a resolved one is reopened), else a new ticket."""
    from peyvand.service.services.tickets import ticket_create, ticket_customer_message

    ticket = chat.ticket
    window = dt.timedelta(hours=_conversation_hours(chat.account))
    if ticket is not None and (ticket.is_open or (previous is not None and at - previous <= window)):
        message = ticket_customer_message(
            ticket=ticket, body=text, channel=TicketChannel.BOT, external_id=f"bot:{chat.account_id}:{update_id}"
        )
        return message.ticket, message
    first_line = text.splitlines()[0] if text else ""
    data: dict[str, Any] = {
        "subject": (_("Messenger: %(text)s") % {"text": first_line})[:200],
        "description": text,
    }
    if chat.customer_id is not None:
        data["customer_id"] = chat.customer_id
    else:
        data["contact_name"] = str(chat)[:200]
        if chat.phone:
            data["contact_phone"] = chat.phone
    ticket = ticket_create(by=None, data=data, channel=TicketChannel.BOT)
    return ticket, ticket


def bot_update_receive(*, account: ChannelAccount, update: Any) -> InboundMessage:
    """Record one update of `account`'s bot; the same update_id again returns the message already recorded.
    Whatever happens after it is stored (a ticket refused, the timeline failing), the message is kept, with its
    status and error saying what became of it. An edit changes the message it edits (see edits.py); a file the
    message carries is fetched afterwards (see files.py)."""
    if (
        not isinstance(update, dict)
        or not isinstance(update.get("update_id"), int)
        or isinstance(update.get("update_id"), bool)
    ):
        raise MalformedUpdate("no update_id")
    update_id: int = update["update_id"]
    update = _scrub(update)
    external_id = str(update_id)
    seen = InboundMessage.objects.filter(account=account, external_id=external_id).first()
    if seen is not None:
        return seen
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with transaction.atomic():
                return _receive(account, update, update_id)
        except IntegrityError:
            # A second delivery of the same update raced this one and won.
            seen = InboundMessage.objects.filter(account=account, external_id=external_id).first()
            if seen is None:
                raise
            return seen


def _receive(account: ChannelAccount, update: dict[str, Any], update_id: int) -> InboundMessage:
    message = update.get("message")
    edited = update.get("edited_message")
    if not isinstance(message, dict) and isinstance(edited, dict):
        applied = _receive_edit(account, update, update_id, edited)
        if applied is not None:
            return applied
        # An edit of a message never stored here (sent before the bot was connected): kept as a message.
        message = edited
    chat_info = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(chat_info, dict) or not isinstance(chat_info.get("id"), int | str) or not str(chat_info["id"]):
        # Not a message (a member update, a poll, a callback): kept for the record, nothing to answer.
        return InboundMessage.objects.create(
            channel=Channel.MESSENGER,
            account=account,
            external_id=str(update_id),
            received_at=timezone.now(),
            status=InboundStatus.IGNORED,
            raw=update,
        )
    assert isinstance(message, dict)
    at = _when(message.get("date"))
    text = _text_of(message)
    chat_type = str(chat_info.get("type") or "private")
    group = is_group(chat_info)
    if chat_type != "private" and not (group and addressed_to_bot(account, message)):
        # A group talking among itself, or a channel: kept (visible on the bot's page), not handled.
        return InboundMessage.objects.create(
            channel=Channel.MESSENGER,
            account=account,
            external_id=str(update_id),
            sender=str(chat_info["id"])[:255],
            recipient=_bot_name(account),
            body=text,
            received_at=at,
            status=InboundStatus.IGNORED,
            error=GROUP_CHAT if group else "not_private",
            raw=update,
        )
    if group:
        text = group_text(account, message, text)
    chat = _chat_for(account, message)
    previous = chat.last_message_at
    inbound = InboundMessage.objects.create(
        channel=Channel.MESSENGER,
        account=account,
        external_id=str(update_id),
        sender=chat.chat_id,
        recipient=_bot_name(account),
        body=text,
        received_at=at,
        status=InboundStatus.PROCESSED,
        raw=update,
    )
    incoming_files_record(inbound, message)
    chat.last_message_at = max(at, previous) if previous else at
    chat.save(update_fields=["last_message_at", "updated_at"])
    key = f"bot:{account.pk}:{update_id}"
    note = ""
    command = _command(message)
    if isinstance(message.get("contact"), dict) and not group:
        note = _handle_contact(chat, message, key)
    elif command == "/start":
        note = _handle_start(chat, str(message["text"]).strip(), key, group=group)
    else:
        _file(inbound, chat, text=text, update_id=update_id, previous=previous, at=at)
        return inbound
    inbound.customer = chat.customer
    inbound.error = note[:500]
    inbound.status = InboundStatus.PROCESSED if chat.customer_id else InboundStatus.UNMATCHED
    inbound.save(update_fields=["customer", "error", "status", "updated_at"])
    return inbound


def _bot_name(account: ChannelAccount) -> str:
    return str((account.config or {}).get("bot_username") or account.name)[:255]


def _command(message: dict[str, Any]) -> str:
    """The command a message starts with, without the bot's name (`/start@the_bot x` is `/start`)."""
    text = message.get("text")
    if not isinstance(text, str) or not text.strip().startswith("/"):
        return ""
    return text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower()


def _receive_edit(
    account: ChannelAccount, update: dict[str, Any], update_id: int, edited: dict[str, Any]
) -> InboundMessage | None:
    """The stored message the edit changes (changed, or as it was when this edit was applied already); None
    when no stored message is the one edited."""
    chat_info = edited.get("chat")
    if not isinstance(chat_info, dict) or not isinstance(chat_info.get("id"), int | str):
        return None
    original = edited_original(account_id=account.pk, chat_id=str(chat_info["id"]), message_id=edited.get("message_id"))
    if original is None:
        return None
    text = _text_of(edited)
    if original.raw.get("message", {}).get("chat", {}).get("type") in GROUP_TYPES and original.status != (
        InboundStatus.IGNORED
    ):
        text = group_text(account, edited, text)
    edit_apply(original=original, update_id=update_id, edited=edited, text=text)
    return original


def _file(
    inbound: InboundMessage, chat: BotChat, *, text: str, update_id: int, previous: dt.datetime | None, at: dt.datetime
) -> None:
    """A message from the user: the customer's timeline and, by the rule, a ticket. A failure here is written on
    the message (FAILED, with the reason) and logged; the message itself stays."""
    inbound.customer = chat.customer
    inbound.status = InboundStatus.PROCESSED if chat.customer_id else InboundStatus.UNMATCHED
    try:
        with transaction.atomic():
            if chat.customer is not None:
                inbound.interaction = interaction_create(
                    customer=chat.customer,
                    by=None,
                    channel=InteractionChannel.MESSENGER,
                    direction=Direction.INBOUND,
                    subject=_("Message on %(bot)s") % {"bot": chat.account.name},
                    body=text,
                    occurred_at=at,
                    related=inbound,
                    check_visible=False,
                )
            if (chat.account.config or {}).get("ticket_rule", "conversation") != "none":
                ticket, became = _to_ticket(chat, text=text, update_id=update_id, previous=previous, at=at)
                chat.ticket = ticket
                chat.save(update_fields=["ticket", "updated_at"])
                chat.tickets.add(ticket)
                inbound.related = became
    except (ValidationError, ValueError) as exc:
        log.warning("Messenger update %s of account %s not filed: %s", update_id, chat.account_id, exc)
        inbound.status, inbound.error = InboundStatus.FAILED, str(exc)[:500]
        inbound.interaction = None
        inbound.related_type, inbound.related_id = None, ""
    inbound.save()


# --- polling and the webhook --------------------------------------------------------------------------------


def polling_accounts() -> list[ChannelAccount]:
    """The active bots with a token that receive by polling (their `receive` setting: polling unless a webhook
    was set)."""
    accounts = ChannelAccount.objects.filter(channel=Channel.MESSENGER, is_active=True)
    return [
        a
        for a in accounts
        if (a.config or {}).get("receive", "polling") == "polling" and (a.secrets or {}).get("token")
    ]


def bot_poll(*, account: ChannelAccount) -> int:
    """Ask the bot's messenger for the updates after the last one taken (getUpdates with offset) and record each;
    returns how many were new. The offset moves past an update only once it is recorded, so a worker killed
    mid-batch asks for the rest again (and the ones already recorded are recognised by their update_id)."""
    state, _created = BotState.objects.get_or_create(account=account)
    try:
        updates = BotApi.for_account(account).get_updates(offset=state.update_offset)
    except (TemporaryError, PermanentError) as exc:
        log.warning("Polling the bot %s failed: %s", account.pk, exc)
        state.last_error, state.last_polled_at = str(exc)[:500], timezone.now()
        state.save(update_fields=["last_error", "last_polled_at", "updated_at"])
        return 0
    new = 0
    for update in updates:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("Bot %s: an update without update_id skipped: %r", account.pk, update)
            continue
        known = InboundMessage.objects.filter(account=account, external_id=str(update_id)).exists()
        recorded = bot_update_receive(account=account, update=update)
        # An edit is recorded on the message it edits: it is not a new message.
        new += not known and recorded.external_id == str(update_id)
        if update_id + 1 > state.update_offset:
            state.update_offset = update_id + 1
            state.save(update_fields=["update_offset", "updated_at"])
    state.last_error, state.last_polled_at = "", timezone.now()
    state.save(update_fields=["last_error", "last_polled_at", "updated_at"])
    return new
