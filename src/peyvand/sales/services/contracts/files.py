"""Documents attached to contracts: what may be uploaded (checked by content, not name), adding and removing."""

from __future__ import annotations

import os
import uuid
import zipfile
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.text import clean_text
from peyvand.sales.models import Contract, ContractFile
from peyvand.sales.services.contracts.common import require_visible, write_timeline

# A scanned contract with its annexes runs to a few megabytes; 20 MB leaves room without letting one upload
# fill the disk.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Extension → the kind its content must be, and the content type it is served with.
FILE_KINDS: dict[str, tuple[str, str]] = {
    ".pdf": ("pdf", "application/pdf"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".png": ("png", "image/png"),
    ".docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".odt": ("odt", "application/vnd.oasis.opendocument.text"),
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# The first bytes of programs and scripts, refused whatever the file is called.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf")


def content_kind(head: bytes, stream: IO[bytes]) -> str | None:
    """What the file's bytes say it is (never what its name says): pdf, jpeg, png, docx, xlsx, odt or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            stream.seek(0)
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                if (
                    "mimetype" in names
                    and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
                ):
                    return "odt"
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return "docx"
                    if "xl/workbook.xml" in names:
                        return "xlsx"
        except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
            return None
    return None


def _display_name(name: str) -> str:
    """The uploaded file's own name, as people will see it: no folders, tidied, within the column."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = clean_text(base).strip() or "file"
    limit = ContractFile._meta.get_field("name").max_length or 200
    if len(base) > limit:
        stem, ext = os.path.splitext(base)
        base = stem[: limit - len(ext)] + ext
    return base


def check_upload(upload: Any) -> tuple[str, str]:
    """Refuse a file that is too large, empty, a program, or not the kind its name says; (extension, content
    type) of one that will do. Raises ValidationError on `file`."""
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; files of at most %(limit)d MB can be attached.")
                % {"size": f"{size / (1024 * 1024):.1f}", "limit": MAX_FILE_BYTES // (1024 * 1024)}
            }
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    ext = os.path.splitext(str(getattr(upload, "name", "") or ""))[1].lower()
    upload.seek(0)
    head = upload.read(16)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError({"file": _("Programs and scripts cannot be attached to a contract.")})
    if ext not in FILE_KINDS:
        raise ValidationError(
            {"file": _("Attach a PDF, JPG or PNG image, Word (DOCX), Excel (XLSX) or OpenDocument (ODT) file.")}
        )
    expected, content_type = FILE_KINDS[ext]
    kind = content_kind(head, upload)
    upload.seek(0)
    if kind != expected:
        raise ValidationError(
            {"file": _("The file's content is not what its name (%(ext)s) says; it was not attached.") % {"ext": ext}}
        )
    return ext, content_type


def contract_file_add(*, contract: Contract, by: User, upload: Any) -> ContractFile:
    """Attach a document to a contract the caller can see. The file is stored under a generated name (the name
    it came with is kept for showing and downloading only) and is read back only through a view that checks
    the contract's scope."""
    require_visible(contract, by)
    ext, content_type = check_upload(upload)
    row = ContractFile(
        contract=contract,
        name=_display_name(getattr(upload, "name", "")),
        content_type=content_type,
        size=int(upload.size),
        uploaded_by=by,
    )
    row.file.save(f"{uuid.uuid4().hex}{ext}", File(upload), save=False)
    try:
        with transaction.atomic():
            row.save()
            write_timeline(
                contract,
                by=by,
                subject=_("File attached to contract %(number)s: %(name)s")
                % {"number": contract.number, "name": row.name},
            )
    except BaseException:
        # Nothing was recorded: the stored bytes go too, or they would be an orphan nobody can reach.
        row.file.delete(save=False)
        raise
    return row


@transaction.atomic
def contract_file_remove(*, file: ContractFile, by: User) -> None:
    """Remove a file from a contract the caller can see; its bytes are deleted once the removal is committed."""
    contract = file.contract
    require_visible(contract, by)
    storage, path = file.file.storage, file.file.name
    name = file.name
    file.delete()
    write_timeline(
        contract,
        by=by,
        subject=_("File removed from contract %(number)s: %(name)s") % {"number": contract.number, "name": name},
    )
    if path:
        transaction.on_commit(lambda: storage.delete(path))
