"""Staff writing an e-mail to a customer from the CRM, with files: checked, queued through the outbox once (the
form's token is the message's idempotency key), its files written in the same transaction as the message.

A one-to-one mail is transactional (it answers the customer's own business, so it does not wait for quiet hours)
but still never goes to a customer who refused e-mail; a mail marked as marketing needs the customer's recorded
yes to e-mail.
"""

from __future__ import annotations

import html as html_lib
import mimetypes
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.mail.config import outgoing_limit_bytes
from peyvand.comms.mail.models import OutgoingAttachment
from peyvand.comms.models import Channel, ChannelAccount, OutboundMessage
from peyvand.comms.outbox import enqueue_message, render_text
from peyvand.comms.outbox.policy import opted_out
from peyvand.comms.suppression import suppressed_addresses
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.customers.models import Consent, Customer, CustomerEmail

__all__ = [
    "attach_files",
    "check_files",
    "compose_key",
    "customer_addresses",
    "html_from_text",
    "mail_compose_send",
    "new_compose_token",
    "sending_mailboxes",
]

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
URL = re.compile(r"https?://[^\s<>\"']+")
# Characters that would break a display name in a To header.
NAME_UNSAFE = re.compile(r"[<>\",;\\\r\n]")


def new_compose_token() -> str:
    """A fresh form token: one per form shown, so a second press of "send" finds the first mail."""
    return uuid.uuid4().hex


def compose_key(token: str) -> str:
    return f"mail-compose:{token}"


def sending_mailboxes() -> QuerySet[ChannelAccount]:
    """The e-mail accounts a mail may go out by: the active ones, the default first."""
    return ChannelAccount.objects.filter(channel=Channel.EMAIL, is_active=True).order_by("-is_default", "name", "id")


def customer_addresses(customer: Customer) -> list[str]:
    """The customer's e-mail addresses, the primary first."""
    return list(
        CustomerEmail.objects.filter(customer=customer).order_by("-is_primary", "id").values_list("email", flat=True)
    )


def _size_mb(size: int) -> str:
    """Megabytes with one decimal, none when whole ("20", "20.4"), in Persian digits on a Persian page."""
    megabytes = size / 1048576
    text = f"{megabytes:.0f}" if megabytes.is_integer() else f"{megabytes:.1f}"
    return to_persian_digits(text) if is_persian() else text


def check_files(files: Sequence[Any]) -> None:
    """Refuse files that add up to more than PEYVAND_MAIL_OUTGOING_MB (ValidationError on "files")."""
    limit = outgoing_limit_bytes()
    total = sum(int(getattr(upload, "size", 0) or 0) for upload in files)
    if total > limit:
        raise ValidationError(
            {
                "files": _(
                    "The files add up to %(size)s MB; one e-mail may carry at most %(limit)s MB. Send fewer or "
                    "smaller files, or share a link instead."
                )
                % {"size": _size_mb(total), "limit": _size_mb(limit)}
            }
        )


def _file_name(upload: Any) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "").replace("\\", "/")).strip()
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    return name[:255] or "attachment"


def _content_type(name: str, declared: str) -> str:
    # The browser's word for the type is the sender's guess; the name's extension is as good and ours.
    guessed = mimetypes.guess_type(name)[0]
    declared = (declared or "").strip().lower()
    if guessed:
        return guessed
    if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", declared):
        return declared[:100]
    return "application/octet-stream"


def attach_files(*, message: OutboundMessage, files: Sequence[IO[bytes] | Any]) -> list[OutgoingAttachment]:
    """Store `files` (uploads) as the outgoing mail's attachments. Call it in the transaction that enqueued
    `message`, before it commits, so a worker never sends the mail without them; the size limit is checked
    first (ValidationError), before anything is written. A caller whose transaction then fails removes the
    stored files (Django has no "on rollback" hook): see mail_compose_send."""
    check_files(files)
    rows: list[OutgoingAttachment] = []
    try:
        for upload in files:
            name = _file_name(upload)
            row = OutgoingAttachment(
                message=message,
                name=name,
                content_type=_content_type(name, str(getattr(upload, "content_type", "") or "")),
                size=int(getattr(upload, "size", 0) or 0),
            )
            if hasattr(upload, "seek"):
                upload.seek(0)
            row.file.save(name, upload if isinstance(upload, File) else File(upload, name=name), save=False)
            row.size = row.file.size
            row.save()
            rows.append(row)
    except BaseException:
        _discard(rows)
        raise
    return rows


def _discard(rows: Sequence[OutgoingAttachment]) -> None:
    for row in rows:
        if row.file.name:
            row.file.storage.delete(row.file.name)


def _linked(text: str) -> str:
    out, position = [], 0
    for match in URL.finditer(text):
        out.append(html_lib.escape(text[position : match.start()]))
        url = match.group(0).rstrip(".,;:!?)»")
        out.append(f'<a href="{html_lib.escape(url)}">{html_lib.escape(url)}</a>')
        position = match.start() + len(url)
    out.append(html_lib.escape(text[position:]))
    return "".join(out)


def html_from_text(text: str) -> str:
    """An HTML version of plain text: everything escaped (nothing the writer types becomes markup), paragraphs
    and line breaks kept, web addresses made links, the direction taken from the text (Persian reads RTL)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]
    body = "\n".join(f'<p dir="auto">{_linked(p).replace(chr(10), "<br>" + chr(10))}</p>' for p in paragraphs)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body><div dir="auto" style="font-family:Tahoma,Arial,sans-serif;line-height:1.7">{body}</div></body></html>'
    )


def _recipient(customer: Customer, address: str) -> str:
    name = NAME_UNSAFE.sub(" ", customer.display_name or "").strip()
    return f"{name} <{address}>"[:255] if name else address


def mail_compose_send(
    *,
    by: User,
    customer: Customer,
    to: str,
    subject: str,
    body: str,
    token: str,
    files: Sequence[Any] = (),
    account: ChannelAccount | None = None,
    account_id: int | None = None,
    fill_fields: bool = False,
    values: Mapping[str, Any] | None = None,
    marketing: bool = False,
    language: str | None = None,
) -> OutboundMessage:
    """Queue an e-mail from `by` to `customer` (whom the caller has checked `by` may see) at one of their
    addresses, with `files`, by `account` (or the mailbox `account_id`; default: the default mailbox). `token`
    makes it once: the same token again returns the first mail. With
    `fill_fields` the subject and text are templates filled from the customer (outbox.render). ValidationError
    per field for anything wrong; nothing is queued then."""
    token = (token or "").strip()
    # Browsers send CRLF line ends; the text is kept with LF (the mail package writes CRLF on the wire).
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    if not TOKEN.fullmatch(token):
        raise ValidationError({"token": [_("The form has expired: open it again.")]})
    key = compose_key(token)
    existing = OutboundMessage.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.created_by_id != by.pk or existing.customer_id != customer.pk:
            raise ValidationError({"token": [_("The form has expired: open it again.")]})
        return existing
    errors: dict[str, list[str]] = {}
    mailboxes = sending_mailboxes()
    if account is None and account_id is not None:
        account = mailboxes.filter(pk=account_id).first()
        if account is None:
            errors["account_id"] = [_("Choose one of the mailboxes that send.")]
    elif account is None:
        account = mailboxes.first()
        if account is None:
            errors["account_id"] = [
                _("No mailbox sends e-mail yet: an administrator adds one in the channel settings.")
            ]
    elif not mailboxes.filter(pk=account.pk).exists():
        errors["account_id"] = [_("Choose one of the mailboxes that send.")]
    address = (to or "").strip().lower()
    if address not in customer_addresses(customer):
        errors["to"] = [_("Choose one of the customer's e-mail addresses.")]
    subject = " ".join((subject or "").split())
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    elif len(subject) > 255:
        errors["subject"] = [_("A subject has at most 255 characters.")]
    if not (body or "").strip():
        errors["body"] = [_("Write the e-mail's text.")]
    if customer.deleted_at is not None:
        errors["customer_id"] = [_("This customer has been deleted.")]
    elif opted_out(Channel.EMAIL, [customer.pk]):
        errors["to"] = [_("This customer has refused e-mail: no e-mail is sent to them.")]
    elif marketing and not Consent.objects.filter(customer=customer, channel="email", granted=True).exists():
        errors["marketing"] = [_("Marketing e-mail needs the customer's recorded consent to e-mail.")]
    if "to" not in errors and suppressed_addresses(Channel.EMAIL, [address], transactional=not marketing):
        errors["to"] = [
            _("This address is on the suppression list (it bounced, or its reader unsubscribed): choose another.")
        ]
    try:
        check_files(files)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    language = language or ("fa" if is_persian() else "en")
    if fill_fields and not errors:
        try:
            subject = render_text(subject, customer=customer, values=values or {}, language=language, field="subject")
            body = render_text(body, customer=customer, values=values or {}, language=language, field="body")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    rows: list[OutgoingAttachment] = []
    try:
        with transaction.atomic():
            message = enqueue_message(
                channel=Channel.EMAIL,
                to=_recipient(customer, address),
                subject=subject[:255],
                body=body,
                html=html_from_text(body),
                customer=customer,
                account=account,
                idempotency_key=key,
                by=by,
                transactional=not marketing,
                language=language,
            )
            # Two presses at the same moment: the second found the first's message; its files are there.
            if message.created_by_id == by.pk and not message.mail_attachments.exists():
                rows = attach_files(message=message, files=files)
    except BaseException:
        _discard(rows)
        raise
    return message
