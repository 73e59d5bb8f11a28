"""HTTP API for background customer exports: ask for one, follow its progress, download its file."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from peyvand.core.downloads import file_download
from peyvand.core.http import AuthedRequest
from peyvand.core.templatetags.peyvand import pdigits
from peyvand.customers import exporting
from peyvand.customers.models import ExportJob, ExportStatus
from peyvand.customers.page_queries import active_language
from peyvand.customers.schemas import CustomerSelection, ExportJobIn, ExportJobOut

router = Router(tags=["customers"])

RECENT_JOBS = 20
ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The OpenAPI answer of an export download, shared by the one-request export and a job's file.
FILE_RESPONSE = {
    "description": "The file, as an attachment (customers-<date>.xlsx or .csv).",
    "content": {
        exporting.CONTENT_TYPES["xlsx"]: _BINARY,
        exporting.CONTENT_TYPES["csv"].split(";")[0]: _BINARY,
    },
}


def selection_filters(selection: CustomerSelection) -> exporting.ExportFilters:
    """The API's names for the list filters, as the export reads them."""
    return exporting.ExportFilters(
        q=selection.q or "",
        kind=selection.kind or "",
        stage=selection.lifecycle_stage or "",
        owner=selection.owner_id,
        team=selection.team_id,
        tag=selection.tag or "",
        city=selection.city or "",
        organization=selection.organization_id,
        health=selection.health or "",
        months=selection.inactive_months,
    )


def conflict(request: HttpRequest, *, code: str, message: str) -> HttpResponse:
    """409 in the API's one error shape: the request is fine, but not now or not this way."""
    from peyvand.core.api import error_response  # not at the top: core.api imports this module's router

    return error_response(request, status=409, code=code, message=message)


def job_out(job: ExportJob) -> ExportJobOut:
    total = job.total_rows or 0
    done = job.status == ExportStatus.DONE
    return ExportJobOut(
        id=job.pk,
        status=job.status,  # type: ignore[arg-type]  # one of the four ExportStatus values
        format=job.file_format,  # type: ignore[arg-type]  # xlsx or csv, as created
        filters=job.filters,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        progress=1.0 if done else (min(1.0, job.processed_rows / total) if total else 0.0),
        message=job.message,
        file_name=job.file_name,
        file_url=reverse("api:customer_export_job_file", kwargs={"pk": job.pk}) if done and job.file else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
    )


@router.post(
    "",
    response={202: ExportJobOut},
    summary="Export the list, with its filters, in the background (any size)",
    description="Queues an export of every customer you may see that matches the filters; follow it with "
    "GET /customers/exports/{id} and download it from `file_url` once `status` is done. Only you can "
    "download it, until `expires_at`.",
)
def export_job_create(request: AuthedRequest, payload: ExportJobIn) -> Status[ExportJobOut]:
    job = exporting.export_job_start(
        by=request.auth,
        filters=selection_filters(payload),
        fmt=payload.format,
        language=payload.lang or active_language(),
    )
    return Status(202, job_out(job))


@router.get("", response=list[ExportJobOut], summary="Your recent exports, newest first")
def export_job_list(request: AuthedRequest) -> list[ExportJobOut]:
    return [job_out(job) for job in exporting.export_jobs_of(request.auth)[:RECENT_JOBS]]


@router.get("/{int:pk}", response=ExportJobOut, summary="One of your exports: its status and progress")
def export_job_get(request: AuthedRequest, pk: int) -> ExportJobOut:
    return job_out(exporting.export_job_get(user=request.auth, pk=pk))


@router.get(
    "/{int:pk}/file",
    url_name="customer_export_job_file",
    summary="Download the file of one of your exports",
    openapi_extra={
        "responses": {
            200: FILE_RESPONSE,
            409: {"description": "The file is not ready yet, the export failed, or the file has expired.", **ERROR},
        }
    },
)
def export_job_file(request: AuthedRequest, pk: int) -> HttpResponseBase:
    job = exporting.export_job_get(user=request.auth, pk=pk)
    try:
        file = exporting.export_job_open(job=job, user=request.auth)
    except ValidationError as exc:
        return conflict(request, code=getattr(exc, "code", None) or "not_ready", message=exc.messages[0])
    return file_download(request, file, filename=job.file_name, content_type=exporting.CONTENT_TYPES[job.file_format])


def too_large(request: HttpRequest) -> HttpResponse:
    """The answer of the immediate export for a list over the limit: where to ask instead."""
    return conflict(
        request,
        code="export_too_large",
        message=_(
            "This list has more than %(limit)s customers, too many to export in one request; "
            "ask for it with POST /api/v1/customers/exports and download it when it is ready."
        )
        % {"limit": pdigits(f"{exporting.export_inline_limit():,}")},
    )
