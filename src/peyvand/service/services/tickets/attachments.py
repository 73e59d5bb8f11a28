"""Files sent with a ticket: checked for size and for type by extension and by content, stored under a generated
name, and read back only through views that check the ticket's scope."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.text import clean_text

# The contract files' checks are the one place that knows what a PDF, an image or an office file looks like
# inside; tickets accept the same kinds.
from peyvand.sales.services.contracts.files import EXECUTABLE_MAGIC, FILE_KINDS, content_kind
from peyvand.service.models import Ticket, TicketAttachment, TicketMessage
from peyvand.service.services.history import ticket_event

MAX_FILES = 10


def max_attachment_bytes() -> int:
    """PEYVAND_TICKET_ATTACHMENT_MB (default 20): read each time, so a changed setting applies at once."""
    return int(getattr(settings, "PEYVAND_TICKET_ATTACHMENT_MB", 20)) * 1024 * 1024


def check_attachment(upload: Any, *, field: str = "file") -> tuple[str, str]:
    """Refuse a file that is too large, empty, a program, or not the kind its name says; (extension, content
    type) of one that will do. Raises ValidationError on `field`."""
    size = int(getattr(upload, "size", 0) or 0)
    limit = max_attachment_bytes()
    if size > limit:
        raise ValidationError(
            {
                field: _("The file is %(size)s MB; files of at most %(limit)d MB can be attached.")
                % {"size": f"{size / (1024 * 1024):.1f}", "limit": limit // (1024 * 1024)}
            }
        )
    if size == 0:
        raise ValidationError({field: _("The file is empty.")})
    ext = os.path.splitext(str(getattr(upload, "name", "") or ""))[1].lower()
    upload.seek(0)
    head = upload.read(16)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError({field: _("Programs and scripts cannot be attached.")})
    if ext not in FILE_KINDS:
        raise ValidationError(
            {field: _("Attach a PDF, JPG or PNG image, Word (DOCX), Excel (XLSX) or OpenDocument (ODT) file.")}
        )
    expected, content_type = FILE_KINDS[ext]
    kind = content_kind(head, upload)
    upload.seek(0)
    if kind != expected:
        raise ValidationError(
            {field: _("The file's content is not what its name (%(ext)s) says; it was not attached.") % {"ext": ext}}
        )
    return ext, content_type


def check_attachments(uploads: Sequence[Any], *, field: str = "attachments") -> list[tuple[str, str]]:
    """Every file of a message checked before any is stored: a message is written with all its files or none."""
    if len(uploads) > MAX_FILES:
        raise ValidationError({field: _("At most %(limit)d files at once.") % {"limit": MAX_FILES}})
    return [check_attachment(upload, field=field) for upload in uploads]


def _display_name(name: str) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = clean_text(base).strip() or "file"
    limit = TicketAttachment._meta.get_field("name").max_length or 255
    if len(base) > limit:
        stem, ext = os.path.splitext(base)
        base = stem[: limit - len(ext)] + ext
    return base


def store_attachments(
    *,
    ticket: Ticket,
    by: User | None,
    uploads: Iterable[Any],
    kinds: Sequence[tuple[str, str]],
    message: TicketMessage | None = None,
    stored: list[TicketAttachment],
) -> None:
    """Save checked files (inside the caller's transaction). Each saved file is appended to `stored` first, so
    the caller can delete the bytes if the transaction fails."""
    for upload, (ext, content_type) in zip(uploads, kinds, strict=True):
        row = TicketAttachment(
            ticket=ticket,
            message=message,
            name=_display_name(getattr(upload, "name", "")),
            size=int(upload.size),
            content_type=content_type,
            uploaded_by=by,
        )
        row.file.save(f"{uuid.uuid4().hex}{ext}", File(upload), save=False)
        stored.append(row)
        row.save()
        ticket_event(
            ticket,
            "attachment",
            by=by,
            data={"id": row.pk, "name": row.name, "message": message.pk if message else None},
        )


def discard_files(stored: Iterable[TicketAttachment]) -> None:
    """The bytes of files whose rows were rolled back: otherwise orphans nobody can reach."""
    for row in stored:
        if row.file.name:
            row.file.storage.delete(row.file.name)
