"""Writing an import's batches: each row's references found, new customers created in bulk, existing ones
updated or skipped as the job says, every bad row kept with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Min, Model
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.text import search_key
from peyvand.customers.duplicates import record_candidates_task
from peyvand.customers.importing.cleaning import PreparedRow, RowCleaner, plain
from peyvand.customers.models import (
    Customer,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomField,
    ImportJob,
    ImportRowError,
    OnDuplicate,
    Source,
)
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import customer_create, customer_snapshot, customer_update
from peyvand.customers.services.bulk import customer_values_allowed, customers_bulk_create


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    processed: int = 0


LOOKUP_VALUES = 500  # values per IN (…): well under every database's limit on parameters


def _matching(model: type[Model], column: str, customer: str, values: set[str], prefix: str) -> list[tuple[str, int]]:
    """(prefix + value, customer id) for each row of `model` whose `column` holds one of `values`. Plain SQL:
    the ORM's `__in` prepared each of a batch's thousands of values on its own, a few percent of an import."""
    if not values:
        return []
    quote = connection.ops.quote_name
    ordered = sorted(values)
    found: list[tuple[str, int]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), LOOKUP_VALUES):
            part = ordered[start : start + LOOKUP_VALUES]
            cursor.execute(
                f"SELECT {quote(column)}, {quote(customer)} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names from the models
                f"WHERE {quote(column)} IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            found += [(prefix + value, pk) for value, pk in cursor.fetchall()]
    return found


class BatchWriter:
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
        # A row built by the cleaner names no organisation, owner or team: it gets the importer's defaults,
        # the same for every such row, so whether the importer may create it is decided once.
        try:
            customer_values_allowed(by=by, values={"owner_id": by.pk, "team_id": self.default_team})
        except ValidationError:
            self.defaults_allowed = False
        else:
            self.defaults_allowed = True

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
        if row.built is not None and not row.problems and self.defaults_allowed:
            return []  # nothing to look up (see __init__); its cells and values stay packed (PreparedRow)
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
        # Each look-up goes by its own index (number, e-mail, national code); visibility is checked after,
        # on the few customers found: a join with the scope made SQLite walk every customer per batch.
        pairs = [
            *_matching(CustomerPhone, "number", "customer_id", phones, "p:"),
            *_matching(CustomerEmail, "email", "customer_id", emails, "e:"),
            *_matching(Customer, "national_id", "id", codes, "n:"),
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

    def run_batch(self, prepared: list[PreparedRow | None]) -> tuple[BatchCounts, list[ImportRowError]]:
        """Write one batch: its rows as the cleaner prepared them (here or in another process), one per
        line read, None for a line with nothing to import."""
        counts = BatchCounts(processed=len(prepared))
        errors: list[ImportRowError] = []
        rows: list[PreparedRow] = []
        for row in prepared:
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
                    by=self.by,
                    # The values are read only where the rows were not built (customers_bulk_create).
                    rows=[(r.values or {}) if r.built is None else {} for r in pending],
                    built=[r.built for r in pending],
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
            "tier",
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
