"""A ticket's life after it is opened: status changes, replies the customer gets, internal notes, what the
customer writes (a closed ticket is reopened or followed by a new one, never lost) and files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.sales.services._common import Errors
from peyvand.service import sla
from peyvand.service.kb_services import kb_article_used
from peyvand.service.models import (
    ClosedTicketReply,
    KbArticle,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.services.history import ticket_event
from peyvand.service.services.settings import service_settings
from peyvand.service.services.tickets.attachments import check_attachments, discard_files, store_attachments
from peyvand.service.services.tickets.common import (
    SLA_FIELDS,
    TRANSITIONS,
    automation_later,
    change_status,
    clean_body,
    has_reply,
    locked,
    notify_later,
    require_visible,
    save_versioned,
    write_timeline,
)

S = TicketStatus
# Statuses in which nobody has started on the ticket yet: a reply starts the work.
NOT_STARTED = (S.NEW, S.ASSIGNED, S.REOPENED)
# What a reply may move the ticket to in the same step ("reply and set waiting", "reply and resolve").
REPLY_STATUSES = (S.WAITING, S.RESOLVED)


def _status_error(errors: Errors, old: str, new: str) -> None:
    errors.add(
        "status",
        _("A ticket cannot go from “%(from)s” to “%(to)s”.") % {"from": S(old).label, "to": S(new).label},
    )


def _check_transition(ticket: Ticket, *, by: User, new: str, resolution: str, errors: Errors) -> None:
    old = ticket.status
    if new not in S.values:
        errors.add("status", _("Unknown status."))
    elif new == S.ASSIGNED:
        errors.add("status", _("Assign the ticket to someone to make it assigned."))
    elif new == S.CLOSED and by.is_admin_role:
        # An administrator closes duplicates and spam from any status.
        return
    elif new not in TRANSITIONS.get(old, frozenset()):
        _status_error(errors, old, new)
    elif new == S.RESOLVED and not resolution and not has_reply(ticket):
        errors.add("resolution", _("Reply to the customer, or write how it was resolved, before resolving."))


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, by: User, status: str, version: int, resolution: str = "") -> Ticket:
    """Move a ticket the caller can see along its life (see TRANSITIONS): resolving needs a reply to the
    customer or a note of the resolution; closing only a resolved ticket (an administrator: any); reopening a
    resolved or closed one. The SLA clocks follow; the customer hears of waiting and resolved."""
    require_visible(ticket, by)
    ticket = locked(ticket, version=version)
    if status == ticket.status:
        return ticket
    errors = Errors()
    resolution = str(resolution or "").strip()
    if len(resolution) > 10_000:
        errors.add("resolution", _("This is too long: at most %(limit)d characters.") % {"limit": 10_000})
    _check_transition(ticket, by=by, new=status, resolution=resolution, errors=errors)
    errors.raise_if_any()
    now = timezone.now()
    if resolution and status == S.RESOLVED:
        note = TicketMessage.objects.create(
            ticket=ticket, kind=MessageKind.NOTE, body=_("Resolution: %(text)s") % {"text": resolution}, author=by
        )
        ticket_event(ticket, "message", by=by, data={"id": note.pk, "kind": MessageKind.NOTE})
    change_status(ticket, by=by, new=status, at=now, data={"resolution": resolution} if resolution else None)
    save_versioned(ticket, fields=["status", "reopen_count", *SLA_FIELDS])
    if status == S.WAITING:
        notify_later(ticket, "ticket_waiting")
    elif status == S.RESOLVED:
        notify_later(ticket, "ticket_resolved")
        write_timeline(
            ticket, by=by, subject=_("Ticket %(number)s resolved") % {"number": ticket.number}, body=resolution
        )
    return ticket


def _clean_kb(value: KbArticle | int | None, errors: Errors) -> KbArticle | None:
    if value is None:
        return None
    if isinstance(value, KbArticle):
        return value
    article = KbArticle.objects.filter(pk=value).first() if str(value).isdigit() else None
    if article is None:
        errors.add("kb_article", _("No such knowledge-base article."))
    return article


def ticket_reply(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    kb_article: KbArticle | int | None = None,
    attachments: Sequence[Any] = (),
    set_status: str | None = None,
    version: int | None = None,
) -> TicketMessage:
    """Answer the customer on a ticket the caller can see (not a closed one: reopen it first). The first answer
    stops the first-response clock; a ticket nobody had started is now in progress, or, with `set_status`,
    waiting for the customer or resolved in the same step. The customer gets the answer once it is committed."""
    require_visible(ticket, by)
    errors = Errors()
    text = clean_body(body, errors)
    article = _clean_kb(kb_article, errors)
    if set_status not in (None, "", *REPLY_STATUSES):
        errors.add("set_status", _("A reply can set the ticket waiting for the customer or resolved."))
    errors.raise_if_any()
    kinds = check_attachments(attachments)
    stored: list[TicketAttachment] = []
    try:
        with transaction.atomic():
            ticket = locked(ticket, version=version)
            if ticket.status == S.CLOSED:
                errors.add("body", _("This ticket is closed; reopen it to reply."))
                errors.raise_if_any()
            now = timezone.now()
            message = TicketMessage.objects.create(
                ticket=ticket, kind=MessageKind.REPLY, body=text, author=by, kb_article=article
            )
            store_attachments(ticket=ticket, by=by, uploads=attachments, kinds=kinds, message=message, stored=stored)
            ticket_event(ticket, "message", by=by, data={"id": message.pk, "kind": MessageKind.REPLY})
            if article is not None:
                kb_article_used(article)
            if ticket.first_responded_at is None:
                sla.sla_on_first_reply(ticket, at=now)
                if ticket.first_responded_at is None:
                    ticket.first_responded_at = now
            ticket.last_staff_reply_at = now
            target = set_status or (S.IN_PROGRESS if ticket.status in NOT_STARTED else None)
            if target and target != ticket.status:
                if target not in TRANSITIONS.get(ticket.status, frozenset()):
                    _status_error(errors, ticket.status, target)
                    errors.raise_if_any()
                change_status(ticket, by=by, new=target, at=now)
            save_versioned(ticket, fields=["last_staff_reply_at", "status", "reopen_count", *SLA_FIELDS])
            notify_later(ticket, "ticket_answered", {"message_id": message.pk, "body": text})
            if ticket.channel == TicketChannel.BOT:
                # A ticket that came by a messenger is answered in the same chat; the reply's id keys the send,
                # so the bot conversation page (which also sends it) cannot make it go twice.
                _answer_in_chat(ticket, message, text)
            # The answer itself asks the customer for what is missing: no second notice for "waiting".
            if target == S.RESOLVED:
                notify_later(ticket, "ticket_resolved")
    except BaseException:
        discard_files(stored)
        raise
    return message


def ticket_note(*, ticket: Ticket, by: User, body: str, attachments: Sequence[Any] = ()) -> TicketMessage:
    """An internal note on a ticket the caller can see: for staff only, never sent to the customer."""
    require_visible(ticket, by)
    errors = Errors()
    text = clean_body(body, errors)
    errors.raise_if_any()
    kinds = check_attachments(attachments)
    stored: list[TicketAttachment] = []
    try:
        with transaction.atomic():
            message = TicketMessage.objects.create(ticket=ticket, kind=MessageKind.NOTE, body=text, author=by)
            store_attachments(ticket=ticket, by=by, uploads=attachments, kinds=kinds, message=message, stored=stored)
            ticket_event(ticket, "message", by=by, data={"id": message.pk, "kind": MessageKind.NOTE})
    except BaseException:
        discard_files(stored)
        raise
    return message


def _follow_ups(ticket: Ticket) -> Q:
    return Q(ticket=ticket) | Q(
        ticket__in=TicketEvent.objects.filter(kind="follows", data__ticket=ticket.pk).values("ticket_id")
    )


def _open_follow_up(closed: Ticket, *, body: str, channel: str) -> Ticket:
    """A new ticket for what the customer wrote on a closed one, referring to it (setting: new_ticket)."""
    from peyvand.service.services.tickets.editing import ticket_create

    base: dict[str, Any] = {
        "kind": closed.kind,
        "subject": (_("Follow-up to %(number)s: %(subject)s") % {"number": closed.number, "subject": closed.subject})[
            :200
        ],
        "description": body,
        "priority": closed.priority,
    }
    if closed.customer_id is not None:
        base["customer_id"] = closed.customer_id
    for name in ("contact_name", "contact_email", "contact_phone"):
        if getattr(closed, name):
            base[name] = getattr(closed, name)
    full = {**base, "category_id": closed.category_id, "fields": closed.fields}
    for key in ("order_id", "contract_id"):
        if getattr(closed, key) is not None:
            full[key] = getattr(closed, key)
    try:
        with transaction.atomic():
            new = ticket_create(by=None, data=full, channel=channel)
    except ValidationError:
        # The category's template or the documents changed since: the message matters more than the details.
        if not any(base.get(k) for k in ("contact_name", "contact_email", "contact_phone")):
            base["contact_name"] = str(closed.customer) if closed.customer_id else closed.number
        if closed.customer is None or closed.customer.deleted_at is not None:
            base.pop("customer_id", None)
        new = ticket_create(by=None, data=base, channel=channel)
    ticket_event(new, "follows", data={"ticket": closed.pk, "number": closed.number})
    ticket_event(closed, "followed_up", data={"ticket": new.pk, "number": new.number})
    return new


def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    channel: str = TicketChannel.PORTAL,
    external_id: str = "",
    attachments: Sequence[Any] = (),
    by: User | None = None,
) -> TicketMessage:
    """What the customer wrote on a ticket (by a channel, the portal, or taken down by staff `by`). Never lost:
    a closed ticket is reopened, or followed by a new ticket that refers to it, as the desk's settings say; a
    resolved one is reopened; one waiting for the customer is back in progress. The same `external_id` (an
    e-mail's Message-ID) twice is stored once: the message first stored is returned."""
    if by is not None:
        require_visible(ticket, by)
    errors = Errors()
    text = clean_body(body, errors)
    if channel not in TicketChannel.values:
        errors.add("channel", _("Unknown channel."))
    external_id = str(external_id or "").strip()
    if len(external_id) > 255:
        errors.add("external_id", _("This is too long: at most %(limit)d characters.") % {"limit": 255})
    errors.raise_if_any()
    kinds = check_attachments(attachments)
    stored: list[TicketAttachment] = []
    try:
        with transaction.atomic():
            ticket = locked(ticket, version=None)
            if external_id:
                seen = TicketMessage.objects.filter(_follow_ups(ticket), external_id=external_id).first()
                if seen is not None:
                    return seen
            now = timezone.now()
            target = ticket
            if ticket.status == S.CLOSED and service_settings().closed_ticket_reply == ClosedTicketReply.NEW_TICKET:
                target = _open_follow_up(ticket, body=text, channel=channel)
                target = locked(target, version=None)
            message = TicketMessage.objects.create(
                ticket=target, kind=MessageKind.CUSTOMER, body=text, author=by, channel=channel, external_id=external_id
            )
            store_attachments(ticket=target, by=by, uploads=attachments, kinds=kinds, message=message, stored=stored)
            ticket_event(target, "message", by=by, data={"id": message.pk, "kind": MessageKind.CUSTOMER})
            target.last_customer_message_at = now
            if target.status in (S.CLOSED, S.RESOLVED):
                change_status(target, by=by, new=S.REOPENED, at=now, data={"reason": "customer_message"})
            elif target.status == S.WAITING:
                change_status(target, by=by, new=S.IN_PROGRESS, at=now, data={"reason": "customer_message"})
            save_versioned(target, fields=["last_customer_message_at", "status", "reopen_count", *SLA_FIELDS])
            automation_later("customer_replied", target)
    except BaseException:
        discard_files(stored)
        raise
    return message


def ticket_attachment_add(*, ticket: Ticket, by: User, upload: Any) -> TicketAttachment:
    """Attach a file to a ticket the caller can see (not to one of its messages)."""
    require_visible(ticket, by)
    kinds = check_attachments([upload], field="file")
    stored: list[TicketAttachment] = []
    try:
        with transaction.atomic():
            store_attachments(ticket=ticket, by=by, uploads=[upload], kinds=kinds, stored=stored)
    except BaseException:
        discard_files(stored)
        raise
    return stored[0]


def _answer_in_chat(ticket: Ticket, message: TicketMessage, text: str) -> None:
    from peyvand.comms.bots.replies import bot_reply

    transaction.on_commit(lambda: bot_reply(ticket=ticket, text=text, by=None, ticket_message=message))
