"""Import jobs: made from an upload (the file checked and its rows counted), a mapping kept for the next file,
previewed, cancelled, and told apart when their worker has died."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.jalali import to_jalali_string
from peyvand.customers.importing.cleaning import PreparedRow, plain
from peyvand.customers.importing.mapping import auto_map, looks_like_data
from peyvand.customers.importing.readers import ImportFileError, open_table
from peyvand.customers.importing.writer import BatchWriter
from peyvand.customers.models import (
    CustomerKind,
    ImportJob,
    ImportMapping,
    ImportStatus,
    OnDuplicate,
)


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _count_rows(stream: IO[bytes], sheet: str) -> int:
    with open_table(stream, sheet=sheet) as table:
        return table.count_rows()


def usable_mapping(headers: list[str], columns: Mapping[str, str]) -> dict[str, str]:
    """The columns of `columns` that exist in `headers` and are mapped to a field; raises ImportFileError when
    none is and the heading row looks like a record (a file without headings)."""
    usable = {k: v for k, v in columns.items() if v and k.isdigit() and int(k) < len(headers)}
    if not usable and looks_like_data(headers):
        raise ImportFileError(
            _(
                "The first row looks like data, not headings. Add a row of column names (for example "
                "نام، نام خانوادگی، موبایل) at the top and try again."
            )
        )
    return usable


def import_job_create(
    *,
    by: User,
    stream: IO[bytes],
    file_name: str,
    on_duplicate: str = OnDuplicate.SKIP,
    dry_run: bool = False,
    sheet: str = "",
    saved_mapping: ImportMapping | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ImportJob:
    """Read the file's headings and store it as a pending job, or raise ImportFileError (nothing stored).
    `mapping` (column index → field) or `saved_mapping` override the automatic guess."""
    if on_duplicate not in OnDuplicate.values:
        raise ImportFileError(_("Choose skip, update or create for customers that already exist."))
    with open_table(stream, sheet=sheet) as table:
        file_format, encoding, sheet_name = table.file_format, table.encoding, table.sheet
        header_line, headers = table.header_line, table.headers
    columns = (
        dict(mapping)
        if mapping is not None
        else auto_map(headers, saved=saved_mapping.columns if saved_mapping else None)
    )
    columns = usable_mapping(headers, columns)
    total = _count_rows(stream, sheet)  # the rows under the header (the reader has taken the header off)
    job = ImportJob(
        by=by,
        team=by.team,
        file_name=file_name[:255],
        file_sha256=_sha256(stream),
        file_format=file_format,
        encoding=encoding,
        sheet=sheet_name,
        header_line=header_line,
        headers=headers,
        mapping=columns,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        total_rows=total,
    )
    stream.seek(0)
    job.file.save(file_name[-100:] or "import", File(stream), save=False)
    job.save()
    return job


def import_mapping_save(*, job: ImportJob, by: User, name: str) -> ImportMapping:
    """Keep the job's column choices under `name` for the next file of the same shape."""
    from peyvand.customers.importing.mapping import mapping_by_heading

    saved, _created = ImportMapping.objects.update_or_create(
        created_by=by,
        name=name.strip()[:100],
        defaults={"columns": mapping_by_heading(job.headers, job.mapping), "team": by.team},
    )
    return saved


# A running import commits a batch every few seconds; one that has committed nothing for this long has lost
# its worker (killed, machine restarted).
STALLED_AFTER = timedelta(minutes=10)


def import_job_stalled(job: ImportJob) -> bool:
    """Whether a job that is running (or was asked to stop) has not moved for STALLED_AFTER."""
    return (
        job.status in (ImportStatus.RUNNING, ImportStatus.CANCELLED)
        and job.started_at is not None
        and job.finished_at is None
        and timezone.now() - job.updated_at > STALLED_AFTER
    )


def import_job_cancel(*, job: ImportJob, by: User) -> ImportJob:
    """Stop a job: a waiting one never runs, a running one stops before its next batch (the batches already
    committed stay: each was whole), a stalled one is closed at once. A finished job cannot be cancelled."""
    if job.by_id != by.pk and not by.is_superuser:
        raise PermissionDenied(_("Only the person who started an import can cancel it."))
    job.refresh_from_db()
    stalled = import_job_stalled(job)
    updated = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.FAILED]
    ).update(status=ImportStatus.CANCELLED, updated_at=timezone.now())
    if not updated and not stalled:
        raise ValidationError(_("This import has finished; there is nothing to cancel."))
    job.refresh_from_db()
    if job.finished_at is None and (job.started_at is None or stalled):
        job.status, job.finished_at = ImportStatus.CANCELLED, timezone.now()
        job.message = (
            _("Cancelled before it started; nothing was imported.")
            if job.started_at is None
            else _("Cancelled; the %(count)s rows already processed are kept.") % {"count": job.processed_rows}
        )
        job.save(update_fields=["status", "finished_at", "message", "updated_at"])
    return job


def _as_imported(row: PreparedRow) -> dict[int, str]:
    """Column index → the value(s) that column becomes once cleaned (an E.164 phone, a Jalali date, the
    normalised name), read back from the cleaned row along the same paths validation reports errors on."""
    if row.values is None:
        return {}
    parsed = row.parsed
    shown: dict[int, list[str]] = {}
    for path, index in parsed.columns.items():
        if path.endswith(".kind"):
            continue
        if path == "organization_id":
            text = parsed.organization if row.values.get("kind") != CustomerKind.ORGANIZATION else ""
        elif path == "owner_id":
            text = parsed.owner.strip()
        elif path == "team_id":
            text = parsed.team.strip()
        else:
            value: Any = row.values
            for part in path.split("."):
                if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                elif isinstance(value, dict):
                    value = value.get(part)
                else:
                    value = None
            if value in (None, "", []):
                continue
            if isinstance(value, date):
                text = to_jalali_string(value)
            elif isinstance(value, list):
                text = "، ".join(str(v) for v in value)
            else:
                text = str(value)
        if text and text not in shown.setdefault(index, []):
            shown[index].append(text)
    return {index: " ".join(texts) for index, texts in shown.items() if texts}


def preview_rows(job: ImportJob, *, limit: int = 20) -> list[dict[str, Any]]:
    """The first rows as they would be imported: the cells as read, what each mapped column becomes once
    cleaned (`values`: column index → text), and any errors; writes nothing."""
    by = job.by
    if by is None:
        return []
    importer = BatchWriter(job, by)
    importer.job.dry_run = True  # never create organisations while previewing
    out: list[dict[str, Any]] = []
    try:
        with job.file.open("rb") as stream, open_table(stream, sheet=job.sheet) as table:
            for line, cells in table.rows:
                if not any(v != "" for v in cells):
                    continue
                row = importer.cleaner.prepare(line, cells)
                if row is None:  # nothing in the mapped columns: skipped by the import too
                    continue
                errors = importer.complete(row)
                out.append(
                    {
                        "line": line,
                        "cells": [plain(c) for c in cells],
                        "values": _as_imported(row),
                        "errors": [(e.column, e.message) for e in errors],
                    }
                )
                if len(out) >= limit:
                    break
    except ImportFileError as exc:
        out.append({"line": 0, "cells": [], "errors": [("", exc.message)]})
    return out
