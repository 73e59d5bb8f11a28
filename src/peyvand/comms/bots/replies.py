"""Answers from the CRM to a messenger chat, all through the outbox: on a ticket that came by messenger, or
straight into a chat from its conversation page."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.bots.models import BotChat
from peyvand.comms.bots.telegram import MAX_TEXT
from peyvand.comms.models import Channel, OutboundMessage
from peyvand.comms.outbox import enqueue_message
from peyvand.service.models import Ticket, TicketMessage, TicketStatus
from peyvand.service.selectors import tickets_visible_to

__all__ = ["bot_conversation_reply", "bot_reply", "bot_send", "chat_for_ticket"]


def _clean_text(text: object) -> str:
    value = str(text or "").strip()
    if not value:
        raise ValidationError({"text": [_("Write the message.")]})
    if len(value) > MAX_TEXT:
        raise ValidationError({"text": [_("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT}]})
    return value


def bot_send(
    *,
    chat: BotChat,
    text: str,
    by: User | None,
    idempotency_key: str = "",
    related: TicketMessage | None = None,
) -> OutboundMessage:
    """Put a message to `chat` in the outbox, sent by its bot (the same `idempotency_key` twice: one message)."""
    body = _clean_text(text)
    if not chat.account.is_active:
        raise ValidationError({"text": [_("This bot is switched off; switch it on in the channel settings.")]})
    # The outbox writes the customer's timeline when the message is sent, so nothing is written here.
    return enqueue_message(
        channel=Channel.MESSENGER,
        to=chat.chat_id,
        body=body,
        account=chat.account,
        customer=chat.customer,
        idempotency_key=idempotency_key or f"bot:chat:{chat.pk}:{uuid.uuid4().hex}",
        related=related,
        by=by,
    )


def chat_for_ticket(ticket: Ticket) -> BotChat | None:
    """The messenger chat a ticket came from (the newest, should several have written on it)."""
    return ticket.bot_chats.select_related("account", "customer").order_by("-last_message_at", "-id").first()


def bot_reply(
    *,
    text: str,
    by: User | None,
    ticket: Ticket | None = None,
    chat: BotChat | None = None,
    ticket_message: TicketMessage | None = None,
) -> OutboundMessage | None:
    """Send `text` to the messenger chat of `ticket` (None when the ticket did not come by messenger), or to
    `chat`. The service desk calls this for an answer on a ticket (`ticket_message`: the reply, whose id keys
    the send, so calling twice for one reply sends it once)."""
    if ticket is not None and by is not None and not tickets_visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot see this ticket."))
    if chat is None:
        if ticket is None:
            raise ValidationError({"chat": [_("Say which chat or ticket to answer.")]})
        chat = chat_for_ticket(ticket)
        if chat is None:
            return None
    key = f"bot:ticket-message:{ticket_message.pk}" if ticket_message is not None else ""
    return bot_send(chat=chat, text=text, by=by, idempotency_key=key, related=ticket_message)


def bot_conversation_reply(*, chat: BotChat, text: str, by: User) -> OutboundMessage:
    """An agent's answer from the conversation page or the API (to a chat they can see): on the chat's ticket
    when they can see it and it is not closed (it counts as the ticket's reply, SLA and all), straight into the
    chat otherwise."""
    body = _clean_text(text)
    ticket = chat.ticket
    if (
        ticket is not None
        and ticket.status != TicketStatus.CLOSED
        and tickets_visible_to(by).filter(pk=ticket.pk).exists()
    ):
        from peyvand.service.services.tickets import ticket_reply

        with transaction.atomic():
            reply = ticket_reply(ticket=ticket, by=by, body=body)
            sent = bot_reply(text=body, by=by, chat=chat, ticket_message=reply)
        assert sent is not None
        return sent
    return bot_send(chat=chat, text=body, by=by)
