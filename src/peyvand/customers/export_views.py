"""Customer export pages: the list's Export menu (a file at once, or a background job when the list is
large), the page of one's own exports with their progress, and their downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.core.downloads import file_download, streaming_download
from peyvand.core.http import current_user
from peyvand.customers import exporting, page_queries
from peyvand.customers.exporting.jobs import export_keep_days
from peyvand.customers.models import ExportJob, ExportStatus

RECENT_JOBS = 20


def export_query(request: HttpRequest) -> str:
    """The list's filters as the export carries them: the whole list, so no page cursor and no order."""
    params = request.GET.copy()
    for name in ("cursor", "order", "format"):
        params.pop(name, None)
    return params.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def customer_export(request: HttpRequest) -> HttpResponseBase:
    """The list, with its filters (in the query string), as an XLSX or CSV file: sent at once when it is
    small, otherwise made by the worker: a POST (the Export menu) starts that job, a GET (a link) asks first."""
    user = current_user(request)
    filters = exporting.ExportFilters.from_query(request.GET)
    fmt: exporting.Format = "csv" if request.GET.get("format") == "csv" else "xlsx"
    language = page_queries.active_language()
    if not exporting.export_fits_inline(user=user, filters=filters):
        if request.method != "POST":
            return _exports_page(request, start={"format": fmt, "query": export_query(request)})
        try:
            job = exporting.export_job_start(by=user, filters=filters, fmt=fmt, language=language)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("customers:list")
        return redirect("customers:export_job", pk=job.pk)
    filename = exporting.export_filename(fmt, language)
    if fmt == "csv":
        parts = exporting.csv_stream(user=user, filters=filters, language=language)
        return streaming_download(request, parts, filename=filename, content_type=exporting.CONTENT_TYPES["csv"])
    file = exporting.xlsx_file(user=user, filters=filters, language=language)
    return file_download(request, file, filename=filename, content_type=exporting.CONTENT_TYPES["xlsx"])


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's own recent exports; refreshed in place while one of them is still being made."""
    return _exports_page(request)


def _exports_page(request: HttpRequest, *, start: dict[str, str] | None = None) -> HttpResponse:
    jobs = list(exporting.export_jobs_of(current_user(request))[:RECENT_JOBS])
    context = {
        "jobs": jobs,
        "running": any(job.status in (ExportStatus.PENDING, ExportStatus.RUNNING) for job in jobs),
        "start": start,
        "inline_limit": exporting.export_inline_limit(),
        "keep_days": export_keep_days(),
    }
    if request.headers.get("HX-Request") == "true" and start is None:
        return render(request, "customers/export/_jobs.html", context)
    return render(request, "customers/export/list.html", context)


def _job_or_404(request: HttpRequest, pk: int) -> ExportJob:
    # Someone else's export and a missing one look the same: neither exists for this user.
    try:
        return exporting.export_job_get(user=current_user(request), pk=pk)
    except ExportJob.DoesNotExist:
        raise Http404(_("No such export.")) from None


@login_required
@require_GET
def export_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    partial = request.headers.get("HX-Request") == "true"
    template = "customers/export/_progress.html" if partial else "customers/export/detail.html"
    running = job.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
    return render(request, template, {"job": job, "running": running})


@login_required
@require_GET
def export_job_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _job_or_404(request, pk)
    try:
        file = exporting.export_job_open(job=job, user=current_user(request))
    except ExportJob.DoesNotExist:
        raise Http404(_("No such export.")) from None
    except ValidationError as exc:
        messages.warning(request, exc.messages[0])
        return redirect("customers:export_job", pk=job.pk)
    return file_download(request, file, filename=job.file_name, content_type=exporting.CONTENT_TYPES[job.file_format])
