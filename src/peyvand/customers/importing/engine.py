"""Running an import: a job from an upload, then its rows validated like a form and written in batches."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.jalali import to_jalali_string
from peyvand.core.text import search_key
from peyvand.customers.duplicates import record_candidates_task
from peyvand.customers.importing.cleaning import Batch, PreparedRow, RowCleaner, plain, prepared_batches
from peyvand.customers.importing.mapping import auto_map, looks_like_data
from peyvand.customers.importing.readers import ImportFileError, open_table
from peyvand.customers.models import (
    Customer,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomField,
    ImportJob,
    ImportMapping,
    ImportRowError,
    ImportStatus,
    OnDuplicate,
    Source,
)
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import customer_create, customer_snapshot, customer_update
from peyvand.customers.services.bulk import customer_values_allowed, customers_bulk_create

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000  # rows per transaction: fewer commits and schema changes (the FTS trigger), same memory order
Progress = Callable[[ImportJob], None]


# --- creating a job ---------------------------------------------------------------------------------------


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
    columns = {k: v for k, v in columns.items() if v and k.isdigit() and int(k) < len(headers)}
    if not columns and looks_like_data(headers):
        raise ImportFileError(
            _(
                "The first row looks like data, not headings. Add a row of column names (for example "
                "نام، نام خانوادگی، موبایل) at the top and try again."
            )
        )
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


# --- running it -------------------------------------------------------------------------------------------


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    processed: int = 0


class _Importer:
    """One run over a job's rows; holds the look-ups that are the same for every batch."""

    def __init__(self, job: ImportJob, by: User) -> None:
        self.job = job
        self.by = by
        self.orgs: dict[str, int | None] = {}
        self.owners: dict[str, int | None] = {}
        self.teams: dict[str, int | None] = {}
        # A dry run writes nothing, so rows repeating an earlier row of the file are found here instead.
        self.seen: set[str] = set()
        self.default_team = job.team_id if job.team_id is not None else by.team_id
        # Custom field definitions are read once: validation would otherwise query them for every row.
        self.cleaner = RowCleaner(
            mapping=job.mapping,
            custom_fields=CustomField.objects.filter(is_active=True),
            by=by,
            default_team=self.default_team,
        )
        # The customers the current batch's rows match (on-duplicate update), see _load_matches.
        self.loaded: dict[int, Customer] = {}

    # -- one row --

    def _error(self, row: PreparedRow, column: int | None, message: str) -> ImportRowError:
        header = self.job.headers[column] if column is not None and column < len(self.job.headers) else ""
        return ImportRowError(
            job=self.job,
            line=row.line,
            column=header[:200],
            message=message[:500],
            values=[plain(v) for v in row.cells],
        )

    def _lookup(self, cache: dict[str, int | None], text: str, find: Callable[[str], int | None]) -> int | None:
        key = search_key(text)
        if key not in cache:
            cache[key] = find(key)
        return cache[key]

    def _organization(self, name: str) -> int | None:
        def find(key: str) -> int | None:
            pk: int | None = (
                customers_visible_to(self.by)
                .filter(kind=CustomerKind.ORGANIZATION, search_key=key)
                .aggregate(pk=Min("pk"))["pk"]
            )
            if pk is None and not self.job.dry_run:
                # A contact's company that is not in the CRM yet is created (as the importer's), the way a
                # person typing the contact would add it first.
                pk = customer_create(
                    by=self.by, data={"kind": CustomerKind.ORGANIZATION, "name": name, "source": Source.IMPORT}
                ).pk
            return pk

        return self._lookup(self.orgs, name, find)

    def complete(self, row: PreparedRow) -> list[ImportRowError]:
        """A cleaned row made ready to write: its organisation, account manager and team found (in the
        caller's reach; a missing organisation is created), the importer's defaults and rules applied.
        Returns the row's errors: its cleaning problems and its references that were not found."""
        parsed = row.parsed
        errors = [self._error(row, column, message) for column, message in row.problems]
        refs: dict[str, int] = {}
        if parsed.owner:
            owner = self._lookup(
                self.owners,
                parsed.owner,
                lambda _k: (
                    users_visible_to(self.by)
                    .filter(username__iexact=parsed.owner.strip())
                    .values_list("pk", flat=True)
                    .first()
                ),
            )
            if owner is None:
                errors.append(
                    self._error(row, parsed.columns.get("owner_id"), _("No such user, or not one you can assign to."))
                )
            else:
                refs["owner_id"] = owner
        if parsed.team:
            team = self._lookup(
                self.teams,
                parsed.team,
                lambda k: next((t.pk for t in teams_visible_to(self.by) if search_key(t.name) == k), None),
            )
            if team is None:
                errors.append(
                    self._error(row, parsed.columns.get("team_id"), _("No such team, or not one you can assign to."))
                )
            else:
                refs["team_id"] = team
        values = row.values
        if errors or values is None:
            row.values = None
            return errors
        if values["kind"] == CustomerKind.PERSON and parsed.organization:
            org = self._organization(parsed.organization)
            if org is not None:
                values["organization_id"] = org
        if refs or parsed.organization:
            values.update(refs)
            row.built = None  # built for the importer's defaults: made again when written
        try:
            customer_values_allowed(by=self.by, values=values)
        except ValidationError as exc:
            row.values = None
            return [self._error(row, column, message) for column, message in self.cleaner.problems_of(row, exc)]
        return []

    # -- a batch --

    def _existing(self, rows: Iterable[PreparedRow]) -> dict[str, int]:
        """Which of the batch's phones, e-mails and national codes visible customers already have."""
        phones: set[str] = set()
        emails: set[str] = set()
        codes: set[str] = set()
        for row in rows:
            for key in row.keys:
                {"p": phones, "e": emails, "n": codes}[key[0]].add(key[2:])
        pairs: list[tuple[str, int]] = []
        # Each look-up goes by its own index (number, e-mail, national code); visibility is checked after,
        # on the few customers found: a join with the scope made SQLite walk every customer per batch.
        if phones:
            pairs += [
                ("p:" + n, pk)
                for n, pk in CustomerPhone.objects.filter(number__in=phones).values_list("number", "customer_id")
            ]
        if emails:
            pairs += [
                ("e:" + e, pk)
                for e, pk in CustomerEmail.objects.filter(email__in=emails).values_list("email", "customer_id")
            ]
        if codes:
            pairs += [
                ("n:" + c, pk)
                for c, pk in Customer.objects.filter(national_id__in=codes).values_list("national_id", "pk")
            ]
        if not pairs:
            return {}
        visible = set(
            customers_visible_to(self.by).filter(pk__in={pk for _key, pk in pairs}).values_list("pk", flat=True)
        )
        found: dict[str, int] = {}
        for key, pk in pairs:
            if pk in visible:
                found[key] = min(pk, found.get(key, pk))
        return found

    def run_batch(
        self, batch: Batch, prepared: list[PreparedRow | None] | None = None
    ) -> tuple[_Counts, list[ImportRowError]]:
        """Write one batch (its rows `prepared` by the cleaner, here or in another process)."""
        counts = _Counts(processed=len(batch))
        errors: list[ImportRowError] = []
        rows: list[PreparedRow] = []
        for row in self.cleaner.prepare_batch(batch) if prepared is None else prepared:
            if row is None:
                counts.skipped += 1
                continue
            problems = self.complete(row)
            if problems:
                errors += problems
                counts.rejected += 1
            else:
                rows.append(row)
        existing = self._existing(rows)
        if self.job.on_duplicate == OnDuplicate.UPDATE:
            self._load_matches(rows, existing)
        pending: list[PreparedRow] = []
        pending_keys: set[str] = set()
        policy = self.job.on_duplicate

        def flush() -> None:
            if pending and not self.job.dry_run:
                created = customers_bulk_create(
                    by=self.by, rows=[r.values or {} for r in pending], built=[r.built for r in pending]
                )
                # Queued once the batch is committed (a rolled-back batch has nothing to check).
                transaction.on_commit(partial(record_candidates_task.enqueue, list(created)))
                for row, pk in zip(pending, created, strict=True):
                    for key in row.keys:
                        existing.setdefault(key, pk)
            pending.clear()
            pending_keys.clear()

        for row in rows:
            match_pending = any(k in pending_keys or k in self.seen for k in row.keys)
            match = next((existing[k] for k in row.keys if k in existing), None)
            if policy == OnDuplicate.CREATE or (match is None and not match_pending):
                pending.append(row)
                pending_keys.update(row.keys)
                if self.job.dry_run:
                    self.seen.update(row.keys)
                counts.created += 1
                continue
            if policy == OnDuplicate.SKIP:
                counts.skipped += 1
                continue
            if match is None:
                if self.job.dry_run:
                    counts.unchanged += 1
                    continue
                # The customer is one this batch is about to create: create it now, then update it.
                flush()
                match = next(existing[k] for k in row.keys if k in existing)
            outcome = self._update(row, match)
            if isinstance(outcome, list):
                errors += outcome
                counts.rejected += 1
            elif outcome:
                counts.updated += 1
            else:
                counts.unchanged += 1
        flush()
        return counts, errors

    def _load_matches(self, rows: Iterable[PreparedRow], existing: Mapping[str, int]) -> None:
        """The customers a batch's rows match, with their phones, e-mails, addresses and tags, in five
        queries: most rows of a re-imported file change nothing, and deciding that must not cost a
        handful of queries per row."""
        pks: set[int] = set()
        for row in rows:
            match = next((existing[k] for k in row.keys if k in existing), None)
            if match is not None:
                pks.add(match)
        self.loaded = {
            c.pk: c
            for c in Customer.objects.filter(pk__in=pks).prefetch_related("phones", "emails", "addresses", "tags")
        }

    def _update(self, row: PreparedRow, pk: int) -> bool | list[ImportRowError]:
        """Bring an existing customer up to date with the row's non-empty values; False when they are all
        there already (nothing is written, so no revision either)."""
        values = row.values or {}
        # Taken out of the batch's preloaded customers: a later row matching the same customer reads it
        # again, so it sees what this row changed.
        customer = self.loaded.pop(pk, None) or Customer.objects.get(pk=pk)
        current = customer_snapshot(customer)
        data: dict[str, Any] = {"kind": customer.kind}
        given = set(row.parsed.data) | {
            k for k in ("organization_id", "owner_id", "team_id", "name") if k in row.parsed.columns
        }
        for name in (
            "first_name",
            "last_name",
            "name",
            "job_title",
            "gender",
            "birth_date",
            "income_bracket",
            "national_id",
            "lifecycle_stage",
            "source",
            "organization_id",
            "owner_id",
            "team_id",
        ):
            if name in given and name in values:
                now = current.get(name)
                new = values[name]
                if (new.isoformat() if isinstance(new, date) else new) != now:
                    data[name] = new
        if "notes" in given and values.get("notes") and values["notes"] not in (customer.notes or ""):
            data["notes"] = f"{customer.notes}\n{values['notes']}".strip()
        custom = {
            k: v for k, v in values.get("custom_fields", {}).items() if k in row.parsed.data.get("custom_fields", {})
        }
        if any(customer.custom_fields.get(k) != v for k, v in custom.items()):
            data["custom_fields"] = custom
        for name, key in (("phones", "number"), ("emails", "email")):
            have = {item[key] for item in current[name]}
            new_items = [item for item in values.get(name, []) if item[key] not in have]
            if new_items:
                data[name] = [*current[name], *({**item, "is_primary": False} for item in new_items)]
        parts = ("province", "city", "line", "postal_code")
        new_addresses = [
            a
            for a in values.get("addresses", [])
            if not any(all(not a[p] or a[p] == old[p] for p in parts) for old in current["addresses"])
        ]
        if new_addresses:
            data["addresses"] = [*current["addresses"], *({**a, "is_primary": False} for a in new_addresses)]
        if set(values.get("tags", [])) - set(current["tags"]):
            data["tags"] = sorted(set(current["tags"]) | set(values["tags"]))
        if len(data) == 1:
            return False
        if self.job.dry_run:
            return True
        try:
            with transaction.atomic():
                customer_update(customer=customer, by=self.by, data=data)
        except ValidationError as exc:
            return [self._error(row, column, message) for column, message in self.cleaner.problems_of(row, exc)]
        return True


def _reset(job: ImportJob) -> None:
    job.row_errors.all().delete()
    job.created_count = job.updated_count = job.unchanged_count = job.skipped_count = job.error_count = 0
    job.processed_rows = job.last_committed_line = 0


def _add(job: ImportJob, counts: _Counts) -> None:
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
    importer = _Importer(job, by)

    def commit(batch: Batch, prepared: list[PreparedRow | None]) -> None:
        if ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CANCELLED).exists():
            raise _Cancelled
        with transaction.atomic():
            counts, errors = importer.run_batch(batch, prepared)
            ImportRowError.objects.bulk_create(errors)
            _add(job, counts)
            job.last_committed_line = batch[-1][0]
            job.save(update_fields=_COUNTERS)
        if progress is not None:
            progress(job)

    # Reading and cleaning are half an import's work and read no database: a large file has them done in a
    # second process, a few batches ahead of the batch being written.
    remaining = (job.total_rows or 0) - job.processed_rows
    other_process = settings.PEYVAND_IMPORT_PROCESSES > 0 and remaining >= settings.PEYVAND_IMPORT_PARALLEL_ROWS
    try:
        try:
            path = job.file.path
        except NotImplementedError:  # a storage without local files: read here, in this process
            path, other_process = "", False
        with job.file.open("rb") if not path else nullcontext(None) as stream:
            for batch, prepared in prepared_batches(
                importer.cleaner,
                path=path,
                stream=stream,
                sheet=job.sheet,
                after_line=resume_after,
                size=batch_size,
                other_process=other_process,
            ):
                commit(batch, prepared)
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


def _stop(job: ImportJob, message: str) -> ImportJob:
    job.refresh_from_db()
    job.status, job.message, job.finished_at = ImportStatus.FAILED, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "updated_at"])
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
    importer = _Importer(job, by)
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
