"""Choosing which sheet of an Excel workbook a waiting import reads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.customers.importing.jobs import usable_mapping
from peyvand.customers.importing.mapping import auto_map
from peyvand.customers.importing.readers import ImportFileError, SheetInfo, open_table, workbook_sheets
from peyvand.customers.models import ImportJob, ImportStatus


def import_job_sheets(job: ImportJob) -> list[SheetInfo]:
    """The sheets of a job's workbook ([] for a CSV file, or when the stored file is gone)."""
    if job.file_format != "xlsx":
        return []
    try:
        with job.file.open("rb") as stream:
            return workbook_sheets(stream)
    except (OSError, ImportFileError):
        return []


def import_job_sheet_set(*, job: ImportJob, by: User, sheet: str) -> ImportJob:
    """Read a waiting job from another sheet of its workbook: that sheet's headings and row count, and the
    mapping guessed again from its headings (the old one was for other columns). Raises ImportFileError
    when that sheet cannot be imported; the job is then left as it was."""
    if job.by_id != by.pk:
        raise PermissionDenied(_("Only the person who started an import can change it."))
    if job.status != ImportStatus.PENDING:
        raise ValidationError(_("This import has already started."))
    with job.file.open("rb") as stream, open_table(stream, sheet=sheet) as table:
        sheet_name, header_line, headers = table.sheet, table.header_line, table.headers
        total = table.count_rows()
    mapping = usable_mapping(headers, auto_map(headers))
    job.sheet, job.header_line, job.headers, job.mapping, job.total_rows = (
        sheet_name,
        header_line,
        headers,
        mapping,
        total,
    )
    job.save(update_fields=["sheet", "header_line", "headers", "mapping", "total_rows", "updated_at"])
    return job
