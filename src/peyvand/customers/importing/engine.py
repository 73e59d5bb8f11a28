"""Running an import: a job from an upload, then its rows validated like a form and written in batches."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.text import search_key
from peyvand.customers.duplicates import record_candidates_task
from peyvand.customers.importing.mapping import CUSTOM_PREFIX, RowData, auto_map, looks_like_data, row_data
from peyvand.customers.importing.readers import Cell, ImportFileError, open_table
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
from peyvand.customers.services.validation import _clean

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Validation's error keys → the mapping fields whose columns fill them.
_ERROR_FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "full_name"),
    "last_name": ("last_name", "full_name", "first_name"),
    "name": ("organization", "full_name"),
    "phones": ("mobile", "phone"),
    "emails": ("email",),
    "addresses": ("address", "city", "province", "postal_code"),
    "organization_id": ("organization",),
    "owner_id": ("owner",),
    "team_id": ("team",),
}
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
        return sum(1 for _line, row in table.rows if any(v != "" for v in row))


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


def _plain(value: Cell) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@dataclass
class _Row:
    line: int
    cells: list[Cell]
    parsed: RowData
    values: dict[str, Any] | None = None  # cleaned, when valid
    keys: list[str] = field(default_factory=list)


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
        # Read once: validation would otherwise query the definitions for every row.
        self.custom_fields = list(CustomField.objects.filter(is_active=True))
        # The customers the current batch's rows match (on-duplicate update), see _load_matches.
        self.loaded: dict[int, Customer] = {}

    # -- one row --

    def _error(self, row: _Row, column: int | None, message: str) -> ImportRowError:
        header = self.job.headers[column] if column is not None and column < len(self.job.headers) else ""
        return ImportRowError(
            job=self.job,
            line=row.line,
            column=header[:200],
            message=message[:500],
            values=[_plain(v) for v in row.cells],
        )

    def _errors(self, row: _Row, exc: ValidationError) -> list[ImportRowError]:
        found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        out = []
        for key, messages in found.items():
            column = row.parsed.columns.get(key)
            if column is None:
                column = self._column_of(key)
            out.append(self._error(row, column, " ".join(str(m) for m in messages)))
        return out

    def _column_of(self, error_key: str) -> int | None:
        """The column a field error belongs to when its cell was empty (a missing name): the first column
        mapped to that field, or to the fields that fill it."""
        head = error_key.split(".")[0]
        if head == "custom_fields":
            wanted: tuple[str, ...] = (CUSTOM_PREFIX + error_key.split(".", 1)[-1],)
        else:
            wanted = _ERROR_FIELDS.get(head, (head,))
        for target in wanted:
            for index, field_key in self.job.mapping.items():
                if field_key == target:
                    return int(index)
        return None

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

    def _prepare(self, row: _Row) -> list[ImportRowError]:
        parsed = row.parsed
        data = dict(parsed.data)
        has_person_name = bool(data.get("first_name") or data.get("last_name"))
        kind = data.get("kind") or (
            CustomerKind.PERSON if has_person_name or not parsed.organization else CustomerKind.ORGANIZATION
        )
        data["kind"] = kind
        if kind == CustomerKind.ORGANIZATION:
            name = parsed.organization or " ".join(
                p for p in (data.pop("first_name", ""), data.pop("last_name", "")) if p
            )
            data.pop("first_name", None)
            data.pop("last_name", None)
            if name:
                data["name"] = name
        elif parsed.organization:
            org = self._organization(parsed.organization)
            if org is not None:
                data["organization_id"] = org
        errors: list[ImportRowError] = []
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
            data["owner_id"] = owner
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
            data["team_id"] = team
        if errors:
            return errors
        try:
            values = _clean(data=data, by=self.by, instance=None, custom_fields=self.custom_fields)
            values.setdefault("owner_id", self.by.pk)
            values.setdefault("team_id", self.default_team)
            values.setdefault("source", Source.IMPORT)
            customer_values_allowed(by=self.by, values=values)
        except ValidationError as exc:
            return self._errors(row, exc)
        row.values = values
        row.keys = [
            *(f"n:{values['national_id']}" for _ in [0] if values.get("national_id")),
            *(f"p:{p['number']}" for p in values.get("phones", [])),
            *(f"e:{e['email']}" for e in values.get("emails", [])),
        ]
        return []

    # -- a batch --

    def _existing(self, rows: Iterable[_Row]) -> dict[str, int]:
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

    def run_batch(self, batch: list[tuple[int, list[Cell]]]) -> tuple[_Counts, list[ImportRowError]]:
        counts = _Counts(processed=len(batch))
        errors: list[ImportRowError] = []
        rows: list[_Row] = []
        for line, cells in batch:
            row = _Row(line, cells, row_data(cells, self.job.mapping))
            if row.parsed.is_empty:
                counts.skipped += 1
                continue
            problems = self._prepare(row)
            if problems:
                errors += problems
                counts.rejected += 1
            else:
                rows.append(row)
        existing = self._existing(rows)
        if self.job.on_duplicate == OnDuplicate.UPDATE:
            self._load_matches(rows, existing)
        pending: list[_Row] = []
        pending_keys: set[str] = set()
        policy = self.job.on_duplicate

        def flush() -> None:
            if pending and not self.job.dry_run:
                created = customers_bulk_create(by=self.by, rows=[r.values or {} for r in pending])
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

    def _load_matches(self, rows: Iterable[_Row], existing: Mapping[str, int]) -> None:
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

    def _update(self, row: _Row, pk: int) -> bool | list[ImportRowError]:
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
            return self._errors(row, exc)
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

    def commit(batch: list[tuple[int, list[Cell]]]) -> None:
        with transaction.atomic():
            counts, errors = importer.run_batch(batch)
            ImportRowError.objects.bulk_create(errors)
            _add(job, counts)
            job.last_committed_line = batch[-1][0]
            job.save(update_fields=_COUNTERS)
        if progress is not None:
            progress(job)

    try:
        with job.file.open("rb") as stream, open_table(stream, sheet=job.sheet) as table:
            batch: list[tuple[int, list[Cell]]] = []
            for line, cells in table.rows:
                if line <= resume_after or not any(v != "" for v in cells):
                    continue
                batch.append((line, cells))
                if len(batch) >= batch_size:
                    commit(batch)
                    batch = []
            if batch:
                commit(batch)
    except ImportFileError as exc:
        return _stop(job, exc.message)
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


def _stop(job: ImportJob, message: str) -> ImportJob:
    job.refresh_from_db()
    job.status, job.message, job.finished_at = ImportStatus.FAILED, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "updated_at"])
    return job


def preview_rows(job: ImportJob, *, limit: int = 20) -> list[dict[str, Any]]:
    """The first rows as they would be imported: the values per field and any errors, writing nothing."""
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
                row = _Row(line, cells, row_data(cells, job.mapping))
                errors = importer._prepare(row)
                out.append(
                    {
                        "line": line,
                        "cells": [_plain(c) for c in cells],
                        "errors": [(e.column, e.message) for e in errors],
                    }
                )
                if len(out) >= limit:
                    break
    except ImportFileError as exc:
        out.append({"line": 0, "cells": [], "errors": [("", exc.message)]})
    return out
