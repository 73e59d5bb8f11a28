"""Exports too large for one request: a job the worker writes to a file in media storage, with its
progress, that only the user who asked for it may download until it expires."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile
import time
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.customers.exporting.files import Format, export_customers, export_filename
from peyvand.customers.exporting.filters import ExportFilters
from peyvand.customers.exporting.table import count_all, count_at_most
from peyvand.customers.models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# Progress is written at most this often: a row per chunk would be 500 writes for a million customers.
PROGRESS_SECONDS = 1.0
RUNNING = (ExportStatus.PENDING, ExportStatus.RUNNING)


def export_inline_limit() -> int:
    """The most rows an export may hold and still be made within the request (PEYVAND_EXPORT_INLINE_ROWS)."""
    return int(settings.PEYVAND_EXPORT_INLINE_ROWS)


def export_keep_days() -> int:
    return int(settings.PEYVAND_EXPORT_KEEP_DAYS)


def export_fits_inline(*, user: User, filters: ExportFilters) -> bool:
    """Whether the export is small enough to send at once; counted along the export's own scoped path and
    no further than the limit, so asking costs a few milliseconds even for a million customers."""
    limit = export_inline_limit()
    return count_at_most(user=user, filters=filters, limit=limit) <= limit


# --- reads --------------------------------------------------------------------------------------------------


def export_jobs_of(user: User) -> QuerySet[ExportJob]:
    """The user's own exports, newest first: nobody else's, whatever their role (the file is the asker's
    view of the customers at the time)."""
    return ExportJob.objects.filter(by_id=user.pk).order_by("-id")


def export_job_get(*, user: User, pk: int) -> ExportJob:
    """One of the user's own exports; raises ExportJob.DoesNotExist for anyone else's."""
    return export_jobs_of(user).get(pk=pk)


def export_job_open(*, job: ExportJob, user: User) -> IO[bytes]:
    """The finished file of `job`, opened for `user`, who must be the active user who asked for it.

    Raises ExportJob.DoesNotExist for anyone else's job (to them it does not exist), ValidationError when
    the file is not ready yet, failed or has expired."""
    if job.by_id != user.pk or not user.is_active:
        raise ExportJob.DoesNotExist
    if job.status in RUNNING:
        raise ValidationError(_("The file is not ready yet."), code="not_ready")
    if job.status != ExportStatus.DONE or not job.file or _expired(job):
        raise ValidationError(_("This export has no file any more; export the list again."), code="gone")
    try:
        return job.file.open("rb")
    except FileNotFoundError:
        raise ValidationError(_("This export has no file any more; export the list again."), code="gone") from None


def _expired(job: ExportJob) -> bool:
    return job.expires_at is not None and job.expires_at <= timezone.now()


# --- writes -------------------------------------------------------------------------------------------------


def export_job_start(*, by: User, filters: ExportFilters, fmt: Format, language: str) -> ExportJob:
    """Record an export for `by` and queue it for the worker; the job says how it goes."""
    from peyvand.customers.tasks import run_export_job  # the task module imports this one

    if not by.is_active:
        raise PermissionDenied(_("An inactive account cannot export."))
    job = ExportJob.objects.create(
        by=by, filters=filters.as_json(), file_format=fmt, language="en" if language == "en" else "fa"
    )
    result = run_export_job.enqueue(job.pk)
    # The immediate backend has already run the job by now; only the task id is added to what it wrote.
    ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def export_job_run(*, job_id: int) -> None:
    """Write the job's file as its asker sees the customers now (moments after asking), with progress."""
    job = ExportJob.objects.select_related("by").filter(pk=job_id).first()
    if job is None or job.status not in RUNNING:
        return  # removed, or already finished by an earlier attempt
    export_jobs_clean()
    with translation.override(job.language or "fa"):
        if not job.by.is_active:
            _finish(job, ExportStatus.FAILED, message=_("The account that asked for this export is no longer active."))
            return
        try:
            _write(job)
        except Exception:
            logger.exception("Export job %s failed", job.pk)
            _finish(job, ExportStatus.FAILED, message=_("The export failed; please try again or ask an administrator."))


def _write(job: ExportJob) -> None:
    filters = ExportFilters.from_json(job.filters)
    fmt: Format = "csv" if job.file_format == "csv" else "xlsx"
    job.status = ExportStatus.RUNNING
    job.started_at = timezone.now()
    job.processed_rows = 0
    job.total_rows = count_all(user=job.by, filters=filters)
    job.save(update_fields=["status", "started_at", "processed_rows", "total_rows", "updated_at"])
    last = time.monotonic()

    def progress(done: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_SECONDS:
            last = time.monotonic()
            ExportJob.objects.filter(pk=job.pk).update(processed_rows=done, updated_at=timezone.now())

    with tempfile.TemporaryFile() as out:
        written = export_customers(
            user=job.by, filters=filters, fmt=fmt, out=out, language=job.language or "fa", progress=progress
        )
        out.seek(0)
        job.file_name = export_filename(fmt, job.language or "fa")
        # The stored name cannot be guessed, should media ever be served; the download gives the plain one.
        stored = f"customers-{job.pk}-{secrets.token_hex(8)}.{fmt}"
        job.file.save(stored, File(out), save=False)
    job.processed_rows = written
    job.total_rows = written
    _finish(job, ExportStatus.DONE)


def _finish(job: ExportJob, status: str, *, message: str = "") -> None:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.expires_at = job.finished_at + dt.timedelta(days=export_keep_days())
    job.save()


def export_jobs_clean(*, now: dt.datetime | None = None) -> int:
    """Remove the exports (file and record) whose time is up, and any never finished within the keeping time
    (its worker stopped); returns how many. Run before each export, so old files go as new ones are made
    without a schedule of their own."""
    now = now or timezone.now()
    stale = Q(expires_at__lte=now) | Q(
        expires_at__isnull=True, created_at__lte=now - dt.timedelta(days=export_keep_days())
    )
    expired = list(ExportJob.objects.filter(stale))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(expired)
