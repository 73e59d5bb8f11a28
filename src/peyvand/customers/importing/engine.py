"""Running an import: the job's rows read and cleaned (in a second process for large files), then written a batch
at a time, each batch in one transaction with the job's counters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.processes import collection_paused
from peyvand.core.sqlite import checkpoints_beside, page_cache
from peyvand.customers.importing.cleaning import PreparedRow, prepared_batches
from peyvand.customers.importing.readers import ImportFileError
from peyvand.customers.importing.writer import BatchCounts, BatchWriter
from peyvand.customers.models import (
    ImportJob,
    ImportRowError,
    ImportStatus,
)

logger = logging.getLogger(__name__)

# Rows per transaction. Into a large database each row dirties a leaf page of every index, and a page
# written once per transaction instead of once per row is most of the gain: 100,000 rows into a
# 1M-customer SQLite file took 45 s in transactions of 2,000, 36 s of 5,000, 29 s of 10,000.
BATCH_SIZE = 10_000
# Rows cleaned, handed over and written at a time inside a transaction: what is in memory at once.
CHUNK_SIZE = 2000
SQLITE_CACHE_KIB = 16_384  # see core.sqlite.page_cache
Progress = Callable[[ImportJob], None]


def _reset(job: ImportJob) -> None:
    job.row_errors.all().delete()
    job.created_count = job.updated_count = job.unchanged_count = job.skipped_count = job.error_count = 0
    job.processed_rows = job.last_committed_line = 0


def _add(job: ImportJob, counts: BatchCounts) -> None:
    job.created_count += counts.created
    job.updated_count += counts.updated
    job.unchanged_count += counts.unchanged
    job.skipped_count += counts.skipped
    job.error_count += counts.rejected
    job.processed_rows += counts.processed


_COUNTERS = [
    "created_count",
    "updated_count",
    "unchanged_count",
    "skipped_count",
    "error_count",
    "processed_rows",
    "last_committed_line",
    "updated_at",
]


def run_import(job_id: int, *, progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> ImportJob:
    """Import a job's rows, each batch in one transaction with the job's counters; a job that stopped half-way
    goes on after its last committed batch. Never raises for bad data: the job's status and message say."""
    job = ImportJob.objects.select_related("by").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        return job
    by = job.by
    if by is None or not by.is_active:
        job.status, job.message = ImportStatus.FAILED, _("The user who started this import can no longer import.")
        job.save(update_fields=["status", "message", "updated_at"])
        return job
    if job.dry_run or job.last_committed_line == 0:
        _reset(job)
    resume_after = job.last_committed_line
    job.status, job.message, job.started_at, job.finished_at = ImportStatus.RUNNING, "", timezone.now(), None
    job.save()
    importer = BatchWriter(job, by)

    def commit(chunks: Iterator[tuple[int, list[PreparedRow | None]]]) -> bool:
        """Write chunks in one transaction until it holds `batch_size` rows; False once the file is done."""
        if ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CANCELLED).exists():
            raise _Cancelled
        written = 0
        with transaction.atomic():
            while written < batch_size:
                ready = next(chunks, None)
                if ready is None:
                    break
                last_line, prepared = ready
                counts, errors = importer.run_batch(prepared)
                ImportRowError.objects.bulk_create(errors)
                _add(job, counts)
                job.last_committed_line = last_line
                written += len(prepared)
                del ready, prepared, errors  # the next chunk is read with this one gone
            if written:
                job.save(update_fields=_COUNTERS)
        if written and progress is not None:
            progress(job)
        return written >= batch_size

    # Reading and cleaning are half an import's work and read no database: a large file has them done in a
    # second process, a few batches ahead of the batch being written.
    remaining = (job.total_rows or 0) - job.processed_rows
    other_process = settings.PEYVAND_IMPORT_PROCESSES > 0 and remaining >= settings.PEYVAND_IMPORT_PARALLEL_ROWS
    try:
        try:
            path = job.file.path
        except NotImplementedError:  # a storage without local files: read here, in this process
            path, other_process = "", False
        with (
            job.file.open("rb") if not path else nullcontext(None) as stream,
            checkpoints_beside(connection) if other_process else nullcontext(None) as log,
            page_cache(connection, kib=SQLITE_CACHE_KIB),
        ):
            chunks = prepared_batches(
                importer.cleaner,
                path=path,
                stream=stream,
                sheet=job.sheet,
                after_line=resume_after,
                size=min(batch_size, CHUNK_SIZE),
                other_process=other_process,
            )
            # A transaction makes tens of thousands of objects that live until it is written (collection_paused).
            more = True
            while more:
                with collection_paused():
                    more = commit(chunks)
                if log is not None:
                    log.after_commit()
    except ImportFileError as exc:
        return _stop(job, exc.message)
    except _Cancelled:
        job.refresh_from_db()
        job.finished_at = timezone.now()
        job.message = _("Cancelled; the %(count)s rows already processed are kept.") % {"count": job.processed_rows}
        job.save(update_fields=["finished_at", "message", "updated_at"])
        return job
    except Exception:
        logger.exception("Import %s stopped", job.pk)
        return _stop(
            job,
            _(
                "The import stopped because of an unexpected error; the batches already saved are "
                "kept, and running it again continues after them."
            ),
        )
    job.status, job.finished_at, job.total_rows = ImportStatus.DONE, timezone.now(), job.processed_rows
    job.save(update_fields=["status", "finished_at", "total_rows", "updated_at"])
    return job


class _Cancelled(Exception):
    """Someone cancelled the job while it ran: it stops before its next batch."""


def _stop(job: ImportJob, message: str) -> ImportJob:
    job.refresh_from_db()
    job.status, job.message, job.finished_at = ImportStatus.FAILED, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "updated_at"])
    return job
