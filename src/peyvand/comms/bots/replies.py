"""Answers from the CRM to a messenger chat, all through the outbox: on a ticket that came by messenger, or
straight into a chat from its conversation page; an answer may carry a file (sent with it, in the same call)."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.bots.models import BotChat, OutgoingFile
from peyvand.comms.bots.telegram import MAX_CAPTION, MAX_TEXT
from peyvand.comms.models import Channel, OutboundMessage
from peyvand.comms.outbox import enqueue_message
from peyvand.service.models import Ticket, TicketMessage, TicketStatus
from peyvand.service.selectors import tickets_visible_to

__all__ = ["bot_conversation_reply", "bot_reply", "bot_send", "chat_for_ticket"]


def _clean_text(text: object, *, with_file: bool = False) -> str:
    value = str(text or "").strip()
    if not value and not with_file:
        raise ValidationError({"text": [_("Write the message.")]})
    limit = MAX_CAPTION if with_file else MAX_TEXT
    if len(value) > limit:
        message = (
            _("With a file the text can have at most %(limit)d characters.")
            if with_file
            else _("This is too long: at most %(limit)d characters.")
        )
        raise ValidationError({"text": [message % {"limit": limit}]})
    return value


def _check_file(upload: Any) -> str:
    """The content type of a file an agent sends: the kinds and size a ticket takes (PDF, images, office
    files; no programs), checked by content as well as by name."""
    from peyvand.service.services.tickets import check_attachment

    _ext, content_type = check_attachment(upload, field="file")
    return content_type


def _file_name(upload: Any) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "").replace("\\", "/")).strip() or "file"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext
    return name


def bot_send(
    *,
    chat: BotChat,
    text: str,
    by: User | None,
    idempotency_key: str = "",
    related: TicketMessage | None = None,
    file: Any = None,
) -> OutboundMessage:
    """Put a message to `chat` in the outbox, sent by its bot (the same `idempotency_key` twice: one message).
    With `file` (an upload or a stored file) the text is its caption (at most 1024 characters, or none), and
    the file goes in the same Bot API call as the text, so exactly once as the text does."""
    body = _clean_text(text, with_file=file is not None)
    if not chat.account.is_active:
        raise ValidationError({"text": [_("This bot is switched off; switch it on in the channel settings.")]})
    content_type = _check_file(file) if file is not None else ""
    key = idempotency_key or f"bot:chat:{chat.pk}:{uuid.uuid4().hex}"
    name = _file_name(file) if file is not None else ""
    saved: list[OutgoingFile] = []
    try:
        # One transaction: no worker can take the message before its file is there.
        with transaction.atomic():
            # The outbox writes the customer's timeline when the message is sent, so nothing is written here.
            message = enqueue_message(
                channel=Channel.MESSENGER,
                to=chat.chat_id,
                # A file without words goes without a caption; its name is the message's text in the records.
                body=body or name,
                subject=name,
                account=chat.account,
                customer=chat.customer,
                idempotency_key=key,
                related=related,
                by=by,
            )
            if file is not None and not OutgoingFile.objects.filter(message=message).exists():
                row = OutgoingFile(
                    message=message, name=name, content_type=content_type, size=int(file.size), caption=bool(body)
                )
                file.seek(0)
                row.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()[:10]}", File(file), save=False)
                saved.append(row)
                row.save()
    except BaseException:
        for row in saved:
            if row.file.name:
                row.file.storage.delete(row.file.name)
        raise
    return message


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
    if ticket_message is None:
        return bot_send(chat=chat, text=text, by=by, related=None)
    return _send_ticket_message(chat=chat, text=text, by=by, ticket_message=ticket_message)


def _send_ticket_message(
    *, chat: BotChat, text: str, by: User | None, ticket_message: TicketMessage
) -> OutboundMessage:
    """A ticket's reply into the chat, with its files: the first file carries the text when the text fits a
    caption; the text alone otherwise, and each other file as a message of its own. Every message is keyed by
    the reply (and the file), so asking again sends nothing twice."""
    key = f"bot:ticket-message:{ticket_message.pk}"
    files = list(ticket_message.attachments.order_by("id")[:10])
    first = files[0] if files and len(text.strip()) <= MAX_CAPTION else None
    main = _send_stored(chat=chat, text=text, by=by, key=key, related=ticket_message, stored=first)
    for attachment in files:
        if attachment is not first:
            _send_stored(
                chat=chat, text="", by=by, key=f"{key}:file:{attachment.pk}", related=ticket_message, stored=attachment
            )
    return main


def _send_stored(
    *, chat: BotChat, text: str, by: User | None, key: str, related: TicketMessage, stored: Any
) -> OutboundMessage:
    if stored is None:
        return bot_send(chat=chat, text=text, by=by, idempotency_key=key, related=related)
    with stored.file.open("rb") as handle:
        upload = File(handle, name=stored.name)
        return bot_send(chat=chat, text=text, by=by, idempotency_key=key, related=related, file=upload)


def bot_conversation_reply(*, chat: BotChat, text: str, by: User, file: Any = None) -> OutboundMessage:
    """An agent's answer from the conversation page or the API (to a chat they can see), with at most one file:
    on the chat's ticket when they can see it and it is not closed (it counts as the ticket's reply, SLA and
    all, and the file is the reply's attachment), straight into the chat otherwise."""
    ticket = chat.ticket
    if (
        ticket is not None
        and ticket.status != TicketStatus.CLOSED
        and tickets_visible_to(by).filter(pk=ticket.pk).exists()
    ):
        from peyvand.service.services.tickets import ticket_reply

        # A ticket's reply needs words; its file may go apart from them when they are too long for a caption.
        body = _clean_text(text)
        if file is not None:
            _check_file(file)
        with transaction.atomic():
            reply = ticket_reply(ticket=ticket, by=by, body=body, attachments=[file] if file is not None else ())
            sent = bot_reply(text=body, by=by, chat=chat, ticket_message=reply)
        assert sent is not None
        return sent
    return bot_send(chat=chat, text=text, by=by, file=file)
