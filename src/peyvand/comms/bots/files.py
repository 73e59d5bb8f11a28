"""Files that come with messenger messages: noted when the update is stored, fetched afterwards (getFile, then the
file's address), kept as the message's attachment and put on the ticket the message became."""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import os
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from peyvand.comms.bots.models import FileStatus, IncomingFile
from peyvand.comms.bots.telegram import GET_FILE_LIMIT, BotApi, FileTooLarge
from peyvand.comms.models import InboundAttachment, InboundMessage
from peyvand.comms.providers import PermanentError, TemporaryError

__all__ = [
    "MAX_ATTEMPTS",
    "file_limit_bytes",
    "incoming_file_fetch",
    "incoming_files_due",
    "incoming_files_fetch_due",
    "incoming_files_record",
]

log = logging.getLogger(__name__)

# A fetch that keeps failing for a temporary reason is given up after this many tries (about a day and a half
# with the back-off below), and recorded as failed.
MAX_ATTEMPTS = 10
# How long a worker holds a file it is fetching before another may take it.
LEASE = dt.timedelta(minutes=5)

# What a Message can carry, in the order looked at; each gives (file object, default name).
_KINDS = ("photo", "document", "voice", "audio", "video", "video_note", "animation", "sticker")
_DEFAULT_NAMES = {
    "photo": ("photo", ".jpg", "image/jpeg"),
    "voice": ("voice", ".oga", "audio/ogg"),
    "audio": ("audio", ".mp3", "audio/mpeg"),
    "video": ("video", ".mp4", "video/mp4"),
    "video_note": ("video-note", ".mp4", "video/mp4"),
    "animation": ("animation", ".mp4", "video/mp4"),
    "sticker": ("sticker", ".webp", "image/webp"),
    "document": ("file", "", "application/octet-stream"),
}


def file_limit_bytes() -> int:
    """PEYVAND_BOT_FILE_MB (default 20, the Bot API's own limit for getFile): a larger file is left out."""
    limit = int(float(getattr(settings, "PEYVAND_BOT_FILE_MB", 20)) * 1024 * 1024)
    return max(1, min(limit, GET_FILE_LIMIT))


def _largest_photo(sizes: Any) -> dict[str, Any] | None:
    """A photo comes as several sizes; the largest (by bytes, else by pixels, else the last) is the one kept."""
    photos = [p for p in sizes if isinstance(p, dict) and p.get("file_id")] if isinstance(sizes, list) else []
    if not photos:
        return None

    def weight(photo: dict[str, Any]) -> tuple[int, int]:
        size, width, height = photo.get("file_size"), photo.get("width"), photo.get("height")
        pixels = width * height if isinstance(width, int) and isinstance(height, int) else 0
        return (size if isinstance(size, int) else 0, pixels)

    return max(reversed(photos), key=weight)


def _name(kind: str, found: dict[str, Any], message_id: Any) -> tuple[str, str]:
    stem, ext, default_type = _DEFAULT_NAMES[kind]
    content_type = str(found.get("mime_type") or "")[:100] or default_type
    given = os.path.basename(str(found.get("file_name") or "").replace("\\", "/")).strip()
    if given:
        return given[:255], content_type
    ext = ext or mimetypes.guess_extension(content_type) or ".bin"
    return f"{stem}-{message_id}{ext}"[:255], content_type


def incoming_files_record(inbound: InboundMessage, message: dict[str, Any]) -> list[IncomingFile]:
    """Note the file `message` carries (inside the caller's transaction, with the message): to be fetched
    later. A file the Bot API will not hand out (over 20 MB by its own word) or that is not worth keeping (an
    animated sticker) is recorded as left out, with the reason."""
    rows: list[IncomingFile] = []
    limit = file_limit_bytes()
    for kind in _KINDS:
        found = _largest_photo(message.get(kind)) if kind == "photo" else message.get(kind)
        if not isinstance(found, dict) or not isinstance(found.get("file_id"), str) or not found["file_id"]:
            continue
        name, content_type = _name(kind, found, message.get("message_id", ""))
        given_size = found.get("file_size")
        size = given_size if isinstance(given_size, int) else 0
        row = IncomingFile(
            message=inbound,
            kind=kind,
            file_id=found["file_id"][:255],
            file_unique_id=str(found.get("file_unique_id") or "")[:100],
            name=name,
            content_type=content_type,
            declared_size=size,
            next_attempt_at=timezone.now(),
        )
        if size > limit:
            row.status, row.error = FileStatus.TOO_LARGE, f"too_large: {size} bytes, more than {limit}"
        elif kind == "sticker" and (found.get("is_animated") or found.get("is_video")):
            # An animated sticker is a Lottie or a video: no use on a ticket, and its emoji is in the text.
            row.status, row.error = FileStatus.SKIPPED, "animated_sticker"
        row.save()
        rows.append(row)
        # A message carries one file (a photo's sizes are one file); a second kind would be the same file.
        break
    return rows


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 6 * 3600))


def incoming_files_due(now: dt.datetime | None = None) -> Any:
    return IncomingFile.objects.filter(status=FileStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now or timezone.now())
    )


def _claim(row: IncomingFile, now: dt.datetime) -> bool:
    """Take the file for this worker: its next try moved past the lease, so no other worker fetches it now."""
    return bool(
        incoming_files_due(now)
        .filter(pk=row.pk)
        .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE, updated_at=now)
    )


def incoming_file_fetch(row: IncomingFile, *, now: dt.datetime | None = None) -> str:
    """Fetch one file that is due; returns its status afterwards (pending again when the try failed for a
    temporary reason, with its next try set by a back-off; failed after MAX_ATTEMPTS or for good)."""
    now = now or timezone.now()
    if not _claim(row, now):
        row.refresh_from_db()
        return row.status
    row.refresh_from_db()
    inbound = row.message
    account = inbound.account
    if account is None:
        return _finish(row, FileStatus.FAILED, "the bot's account is gone")
    api = BotApi.for_account(account)
    limit = file_limit_bytes()
    try:
        info = api.get_file(row.file_id)
        size = info.get("file_size")
        if isinstance(size, int) and size > limit:
            raise FileTooLarge(size)
        data = api.download(str(info.get("file_path") or ""), limit=limit)
    except FileTooLarge as exc:
        return _finish(row, FileStatus.TOO_LARGE, f"too_large: {exc.size} bytes, more than {limit}")
    except PermanentError as exc:
        if "too big" in str(exc).lower():
            return _finish(row, FileStatus.TOO_LARGE, f"too_large: {exc}")
        log.warning("Messenger file %s of message %s not fetched: %s", row.pk, inbound.pk, exc)
        return _finish(row, FileStatus.FAILED, str(exc))
    except TemporaryError as exc:
        if row.attempts >= MAX_ATTEMPTS:
            log.warning("Messenger file %s given up after %d tries: %s", row.pk, row.attempts, exc)
            return _finish(row, FileStatus.FAILED, f"gave_up: {exc}")
        IncomingFile.objects.filter(pk=row.pk).update(
            next_attempt_at=timezone.now() + _retry_delay(row.attempts), error=f"retry: {exc}"[:500]
        )
        return FileStatus.PENDING
    if not data:
        return _finish(row, FileStatus.FAILED, "the file is empty")
    _store(row, data)
    return FileStatus.FETCHED


def _finish(row: IncomingFile, status: str, error: str) -> str:
    IncomingFile.objects.filter(pk=row.pk).update(status=status, error=error[:500], next_attempt_at=None)
    return status


def _store(row: IncomingFile, data: bytes) -> None:
    """Keep the bytes as the message's attachment and, when a ticket accepts the kind, on the ticket the message
    became (a voice message or a sticker stays on the message's record)."""
    ext = os.path.splitext(row.name)[1].lower()[:10]
    attachment = InboundAttachment(
        message=row.message, name=row.name, content_type=row.content_type[:100], size=len(data)
    )
    attachment.file.save(f"bot-{uuid.uuid4().hex}{ext}", ContentFile(data), save=False)
    stored: list[Any] = []
    try:
        with transaction.atomic():
            attachment.save()
            IncomingFile.objects.filter(pk=row.pk).update(
                status=FileStatus.FETCHED, error="", next_attempt_at=None, attachment=attachment
            )
            _on_ticket(row, data, stored)
    except BaseException:
        for name in [attachment.file.name, *(f.file.name for f in stored)]:
            if name:
                attachment.file.storage.delete(name)
        raise


def _on_ticket(row: IncomingFile, data: bytes, stored: list[Any]) -> None:
    from peyvand.service.models import Ticket, TicketMessage
    from peyvand.service.services.tickets import check_attachment
    from peyvand.service.services.tickets.attachments import store_attachments

    became = row.message.related
    if isinstance(became, TicketMessage):
        ticket, ticket_message = became.ticket, became
    elif isinstance(became, Ticket):
        ticket, ticket_message = became, None
    else:
        return
    upload = ContentFile(data, name=row.name)
    try:
        kind = check_attachment(upload)
    except ValidationError:
        log.info("Messenger file %s (%s) is not a kind tickets take; kept on the message", row.pk, row.name)
        return
    try:
        with transaction.atomic():
            store_attachments(
                ticket=ticket, by=None, uploads=[upload], kinds=[kind], message=ticket_message, stored=stored
            )
    except IntegrityError:
        log.warning("Messenger file %s could not be put on ticket %s", row.pk, ticket.pk)


def incoming_files_fetch_due(*, limit: int = 20, now: dt.datetime | None = None) -> int:
    """Fetch up to `limit` files that are due, oldest first; returns how many were fetched."""
    fetched = 0
    for row in list(incoming_files_due(now).select_related("message__account").order_by("id")[:limit]):
        try:
            fetched += incoming_file_fetch(row, now=now) == FileStatus.FETCHED
        except Exception:
            # One file's fault (the storage, a bug) must not keep the others waiting; its lease runs out and it
            # is tried again.
            log.exception("Fetching the messenger file %s failed", row.pk)
    return fetched
