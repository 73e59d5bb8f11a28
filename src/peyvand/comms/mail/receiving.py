"""Storing an incoming mail once: the record, its files and what it became are written in one transaction, keyed
by the mailbox and the mail's Message-ID, so a mail fetched twice (a poll that died before marking it seen, two
polls at once) is one record. A mail that cannot be routed is still stored, as failed, with the reason."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.comms.mail.config import MailboxConfig, attachment_limit_bytes, mailbox_config
from peyvand.comms.mail.parsing import ParsedMail, parse_mail, summary
from peyvand.comms.mail.routing import route_mail
from peyvand.comms.models import Channel, ChannelAccount, InboundAttachment, InboundMessage, InboundStatus

__all__ = ["StoredMail", "mail_receive", "mail_store"]

logger = logging.getLogger("peyvand.mail")


@dataclass(frozen=True)
class StoredMail:
    message: InboundMessage
    created: bool


def _received_at(parsed: ParsedMail) -> datetime:
    now = timezone.now()
    # The sender's clock is believed unless it is in the future or absurdly old (a mistyped year).
    if parsed.date is None or parsed.date > now + timedelta(minutes=10) or parsed.date.year < 1990:
        return now
    return parsed.date


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.message_dict.items())
        return f"routing: {detail}"[:500]
    return f"routing: {type(exc).__name__}: {exc}"[:500]


def mail_store(*, account: ChannelAccount, parsed: ParsedMail, config: MailboxConfig | None = None) -> StoredMail:
    """Store `parsed` for `account` and route it (unless a record of it is there already: then that one)."""
    existing = InboundMessage.objects.filter(account=account, external_id=parsed.message_id).first()
    if existing is not None:
        return StoredMail(existing, False)
    config = config or mailbox_config(account)
    files: list[InboundAttachment] = []
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                channel=Channel.EMAIL,
                account=account,
                external_id=parsed.message_id,
                sender=parsed.sender[:255],
                recipient=parsed.recipient[:255],
                subject=parsed.subject[:255],
                body=parsed.text,
                html=parsed.html,
                received_at=_received_at(parsed),
                status=InboundStatus.PROCESSED,
                raw=summary(parsed),
            )
            for attachment in parsed.attachments:
                if attachment.data is None:
                    continue
                row = InboundAttachment(
                    message=inbound,
                    name=attachment.name[:255] or "attachment",
                    content_type=attachment.content_type[:100],
                    size=attachment.size,
                )
                row.file.save(f"mail-{uuid.uuid4().hex}", ContentFile(attachment.data), save=False)
                files.append(row)
                row.save()
            if any(a.refused for a in parsed.attachments):
                inbound.error = _("Some attachments were not kept: %(names)s") % {
                    "names": ", ".join(a.name for a in parsed.attachments if a.refused)
                }
            try:
                with transaction.atomic():
                    route_mail(inbound=inbound, parsed=parsed, config=config)
            except Exception as exc:
                # Kept, marked failed with the reason: a person can act on it from the mail list, and the mail is
                # not fetched again and again. A rule that cannot be carried out is expected; anything else is a
                # fault, logged with its traceback.
                if isinstance(exc, (ValidationError, PermissionDenied, DatabaseError, ValueError, LookupError)):
                    logger.warning("Mail %s of mailbox %s not routed: %s", parsed.message_id, account.pk, exc)
                else:
                    logger.exception("Mail %s of mailbox %s not routed", parsed.message_id, account.pk)
                inbound.status, inbound.error = InboundStatus.FAILED, _error_text(exc)
                # What the routing wrote was rolled back with it.
                inbound.interaction, inbound.related_type, inbound.related_id = None, None, ""
            inbound.error = inbound.error[:500]
            inbound.save()
    except IntegrityError:
        # Another poll stored it first.
        _discard(files)
        again = InboundMessage.objects.filter(account=account, external_id=parsed.message_id).first()
        if again is None:
            raise
        return StoredMail(again, False)
    except BaseException:
        _discard(files)
        raise
    return StoredMail(inbound, True)


def mail_receive(*, account: ChannelAccount, raw: bytes) -> StoredMail:
    """Parse and store one mail as it came from the server (RFC 5322 bytes)."""
    return mail_store(account=account, parsed=parse_mail(raw, attachment_limit=attachment_limit_bytes()))


def _discard(files: list[InboundAttachment]) -> None:
    for row in files:
        if row.file.name:
            row.file.storage.delete(row.file.name)
