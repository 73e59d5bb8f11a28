"""HTTP API for customer imports: upload a file as a job, follow its progress, cancel it, fetch its rejected rows."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from peyvand.core.http import AuthedRequest
from peyvand.customers.export_api import ERROR, conflict
from peyvand.customers.import_views import rejected_download
from peyvand.customers.importing.jobs import import_job_cancel, import_job_create
from peyvand.customers.importing.readers import MAX_UPLOAD_BYTES, ImportFileError
from peyvand.customers.importing.selectors import import_job_get
from peyvand.customers.models import ImportJob, OnDuplicate

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    file_name: str
    file_format: str
    encoding: str
    sheet: str
    status: str
    dry_run: bool
    on_duplicate: str
    headers: list[str]
    mapping: dict[str, str]
    total_rows: int | None
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    rejected: int
    progress: float
    message: str
    created_at: datetime
    finished_at: datetime | None


def _out(job: ImportJob) -> ImportOut:
    total = job.total_rows or 0
    return ImportOut(
        id=job.pk,
        file_name=job.file_name,
        file_format=job.file_format,
        encoding=job.encoding,
        sheet=job.sheet,
        status=job.status,
        dry_run=job.dry_run,
        on_duplicate=job.on_duplicate,
        headers=job.headers,
        mapping=job.mapping,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created=job.created_count,
        updated=job.updated_count,
        unchanged=job.unchanged_count,
        skipped=job.skipped_count,
        rejected=job.error_count,
        progress=min(1.0, job.processed_rows / total) if total else (1.0 if job.finished_at else 0.0),
        message=job.message,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _job(request: AuthedRequest, pk: int) -> ImportJob:
    try:
        return import_job_get(user=request.auth, pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@router.post("", response={201: ImportOut})
def import_create(
    request: AuthedRequest,
    file: File[UploadedFile],
    on_duplicate: Form[OnDuplicate] = OnDuplicate.SKIP,
    dry_run: Form[bool] = False,
    mapping: Form[str] = "",
    sheet: Form[str] = "",
) -> Status[ImportOut]:
    """Upload a CSV or XLSX file; it is checked at once (422 with the reason if it cannot be read) and
    imported in the background. `mapping` is optional JSON of column index → field key. `sheet` names the
    Excel sheet to read (default: the first sheet with data); a name the file does not have is refused with
    422, and the message lists the sheets it has."""
    from peyvand.customers.tasks import run_import_job

    if (file.size or 0) > MAX_UPLOAD_BYTES:
        raise HttpError(413, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    columns = None
    if mapping:
        try:
            columns = {str(k): str(v) for k, v in json.loads(mapping).items()}
        except (ValueError, AttributeError):
            raise HttpError(422, "mapping must be a JSON object of column index → field key.") from None
    try:
        job = import_job_create(
            by=request.auth,
            stream=file,
            file_name=file.name or "import",
            on_duplicate=on_duplicate,
            dry_run=dry_run,
            sheet=sheet[:100],
            mapping=columns,
        )
    except ImportFileError as exc:
        raise HttpError(422, exc.message) from None
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return Status(201, _out(job))


@router.get("/{int:pk}", response=ImportOut)
def import_get(request: AuthedRequest, pk: int) -> ImportOut:
    return _out(_job(request, pk))


@router.get("/{int:pk}/rejected.xlsx", response={200: None})
def import_rejected(request: AuthedRequest, pk: int) -> FileResponse:
    return rejected_download(_job(request, pk))


@router.post(
    "/{int:pk}/cancel",
    response={200: ImportOut},
    openapi_extra={
        "responses": {
            403: {
                "description": "Someone else started this import: only they (or an administrator) can cancel it.",
                **ERROR,
            },
            409: {"description": "The import has finished (`import_finished`): there is nothing to cancel.", **ERROR},
        }
    },
)
def import_cancel(request: AuthedRequest, pk: int) -> ImportOut | HttpResponse:
    """Cancel one of your imports: a waiting one never runs; a running one stops after the batch it is
    writing, and the batches already saved stay. Follow `GET /imports/{id}` until `finished_at` is set."""
    try:
        job = import_job_cancel(job=_job(request, pk), by=request.auth)
    except ValidationError as exc:
        return conflict(request, code="import_finished", message=exc.messages[0])
    return _out(job)
