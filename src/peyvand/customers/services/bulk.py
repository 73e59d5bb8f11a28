"""Creating many already-validated customers at once (imports): the same rows and revisions customer_create
writes, in a handful of statements per batch instead of a dozen per customer."""

# ruff: noqa: S608 - statements are built from model metadata (table and column names), never from input

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.core.text import sort_key_of_search_key
from peyvand.customers import search_index
from peyvand.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerRevision,
    RevisionAction,
    Tag,
)
from peyvand.customers.services.validation import SCALAR_FIELDS, display_name_for, search_key_for


def customer_values_allowed(*, by: User, values: dict[str, Any]) -> None:
    """customer_create's rule for staff who are not admins, applied to values that were already cleaned:
    what they create stays within their own reach."""
    if by.is_admin_role:
        return
    values.setdefault("team_id", by.team_id)
    if by.role == Role.AGENT:
        values.setdefault("owner_id", by.pk)
        if values.get("owner_id") != by.pk and values.get("team_id") != by.team_id:
            raise ValidationError({"team_id": [_("You can only create customers for your own team.")]})


def _primary_first(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # The order customer_snapshot reads them back in (primary first, then as created).
    return [dict(r) for r in sorted(rows, key=lambda r: not r.get("is_primary"))]


def _snapshot(record: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """What customer_snapshot would read back from the database for this new customer."""
    snap: dict[str, Any] = {"kind": record["kind"]}
    for name in SCALAR_FIELDS:
        value = record[name]
        snap[name] = value.isoformat() if isinstance(value, date | datetime) else value
    snap["phones"] = _primary_first(values.get("phones", []))
    snap["emails"] = _primary_first(values.get("emails", []))
    snap["addresses"] = [
        {k: a[k] for k in ("kind", "province", "city", "line", "postal_code", "is_primary")}
        for a in _primary_first(values.get("addresses", []))
    ]
    snap["tags"] = sorted(values.get("tags", []))
    return snap


def _tags_by_name(names: set[str]) -> dict[str, Tag]:
    found = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = names - found.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
        found = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return found


# --- rows as the database takes them -----------------------------------------------------------------------
# Django's bulk_create prepares every value of every object through its field (get_db_prep_save), which was
# half the time of an import. The values here are already clean, so each column needs at most one cheap
# conversion, decided once per field: timestamps are the batch's "now", dates and JSON in the database's
# text forms, everything else as it is.

Convert = Callable[[Any], Any] | None


class _Table:
    """A model's columns (without its primary key unless `with_pk`) and how to turn a value into each."""

    def __init__(self, model: type[models.Model], now: Any, *, with_pk: bool = False) -> None:
        self.name = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [str(f.column) for f in self.fields]
        converters = [_converter(f, now) for f in self.fields]
        self.converted = [(i, c) for i, c in enumerate(converters) if c is not None]
        self.values_of = itemgetter(*(f.attname for f in self.fields))
        self.defaults = {f.attname: f.get_default() for f in self.fields if not f.primary_key}
        self.mutable = [k for k, v in self.defaults.items() if isinstance(v, dict | list)]
        # Where a row built before its customer existed gets the customer's id and the batch's time.
        self.stamps = [
            i for i, f in enumerate(self.fields) if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        attnames = [f.attname for f in self.fields]
        self.key = attnames.index("id") if with_pk else attnames.index("customer_id")

    def finish(self, row: tuple[Any, ...], pk: int | None, now: Any) -> tuple[Any, ...]:
        values = list(row)
        values[self.key] = pk
        for i in self.stamps:
            values[i] = now
        return tuple(values)

    def row(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        values = list(self.values_of(record))
        for i, convert in self.converted:
            values[i] = convert(values[i])
        return tuple(values)

    def with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        record = dict(self.defaults)
        for name in self.mutable:  # a default such as custom_fields' {} is never shared between rows
            record[name] = self.defaults[name].copy()
        record.update((k, v) for k, v in values.items() if k in record)
        return record


def _converter(field: models.Field[Any, Any], now: Any) -> Convert:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        if field.auto_now or field.auto_now_add:
            return lambda _value: now
        return lambda value: None if value is None else ops.adapt_datetimefield_value(value)
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else ops.adapt_datefield_value(value)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if encoder is None:
            return _json_text
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return None


def _json_text(value: Any) -> str | None:
    """JSON text as json.dumps writes it for the database, by orjson (a revision is two JSON documents per
    customer, and the standard library's encoder was a sixth of writing a batch)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson does not write (non-text keys, Decimal): the standard library does
        return json.dumps(value)


def _insert(cursor: Any, table: _Table, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
    if connection.vendor == "postgresql":
        # COPY is several times faster than INSERT; the rows are already in forms psycopg writes as text.
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(f"INSERT INTO {connection.ops.quote_name(table.name)} ({columns}) VALUES ({marks})", rows)


def _new_customer_ids(cursor: Any, table: _Table, first_row: tuple[Any, ...], count: int) -> list[int]:
    """Ids for `count` new customers. PostgreSQL hands them out from the sequence; SQLite gives the first
    row its id on insert (which also takes the write lock, so nobody else can insert until the batch
    commits) and the rest follow it."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table.name, count]
        )
        return [pk for (pk,) in cursor.fetchall()]
    columns = ", ".join(connection.ops.quote_name(c) for c in table.columns[1:])
    marks = ", ".join(["%s"] * (len(table.columns) - 1))
    cursor.execute(f"INSERT INTO {connection.ops.quote_name(table.name)} ({columns}) VALUES ({marks})", first_row[1:])
    first = int(cursor.lastrowid)
    return list(range(first, first + count))


@dataclass
class NewCustomerRows:
    """A new customer's rows as the database takes them, built before it has an id: the customer, its
    phones, e-mails and addresses, and its first revision, each still to be given the id and the time."""

    customer: tuple[Any, ...]
    children: dict[str, list[tuple[Any, ...]]]
    revision: tuple[Any, ...]
    tags: list[str]


@cache
def _tables() -> tuple[_Table, dict[str, _Table], _Table]:
    # Built once per process (a process serves one database, so the conversions never change).
    return (
        _Table(Customer, None, with_pk=True),
        {
            "phones": _Table(CustomerPhone, None),
            "emails": _Table(CustomerEmail, None),
            "addresses": _Table(CustomerAddress, None),
        },
        _Table(CustomerRevision, None),
    )


def new_customer_rows(values: Mapping[str, Any], *, by_id: int) -> NewCustomerRows:
    """The rows customer_create would write for these cleaned values (with customer_values_allowed applied).
    Reads no database, so an import builds them in its reading process."""
    customer_table, child_tables, revision_table = _tables()
    record = customer_table.with_defaults(values)
    record["display_name"] = display_name_for(
        kind=record["kind"], first_name=record["first_name"], last_name=record["last_name"], name=record["name"]
    )
    record["search_key"] = search_key_for(record["display_name"])
    record["sort_key"] = sort_key_of_search_key(record["search_key"])
    record["id"] = None
    snapshot = _snapshot(record, values)
    return NewCustomerRows(
        customer=customer_table.row(record),
        children={
            name: [table.row({**table.defaults, **item, "customer_id": None}) for item in values.get(name, [])]
            for name, table in child_tables.items()
        },
        revision=revision_table.row(
            {
                "customer_id": None,
                "number": 1,
                "action": RevisionAction.CREATE.value,
                "changes": {k: [None, v] for k, v in snapshot.items() if v is not None},
                "snapshot": snapshot,
                "restored_from": None,
                "by_id": by_id,
                "created_at": None,
            }
        ),
        tags=list(values.get("tags", [])),
    )


@transaction.atomic
def customers_bulk_create(
    *, by: User, rows: Sequence[dict[str, Any]], built: Sequence[NewCustomerRows | None] | None = None
) -> list[int]:
    """Create one customer per row of values cleaned by services.validation (as customer_create would,
    with its first revision); the caller has applied customer_values_allowed to each row. `built`: the rows
    already made by new_customer_rows for these values, where they were (None where not). Returns the new
    customers' ids, in the order of `rows`."""
    if not rows:
        return []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    customer_table, child_tables, revision_table = _tables()
    made = [
        ready if ready is not None else new_customer_rows(values, by_id=by.pk)
        for values, ready in zip(rows, built or [None] * len(rows), strict=True)
    ]
    is_sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if is_sqlite:
            # The FTS trigger costs ~85 µs a customer; one INSERT … SELECT for the batch a few µs (see demo.py).
            # DDL is transactional in SQLite: a batch that fails rolls back with the trigger in place.
            cursor.execute(f"DROP TRIGGER IF EXISTS {search_index.FTS_TABLE}_ai")
        first = customer_table.finish(made[0].customer, None, now)
        ids = _new_customer_ids(cursor, customer_table, first, len(made))
        customer_rows = [customer_table.finish(m.customer, pk, now) for m, pk in zip(made, ids, strict=True)]
        _insert(cursor, customer_table, customer_rows[1:] if is_sqlite else customer_rows)
        if is_sqlite:
            cursor.execute(
                f"INSERT INTO {search_index.FTS_TABLE}(rowid, search_key) "
                f"SELECT id, search_key FROM {customer_table.name} WHERE id BETWEEN %s AND %s",
                [ids[0], ids[-1]],
            )
        for name, table in child_tables.items():
            _insert(
                cursor,
                table,
                [table.finish(row, pk, now) for m, pk in zip(made, ids, strict=True) for row in m.children[name]],
            )
        _insert(
            cursor,
            revision_table,
            [revision_table.finish(m.revision, pk, now) for m, pk in zip(made, ids, strict=True)],
        )
    if is_sqlite:
        search_index.ensure_search_index(connection)  # puts the trigger back, in the same transaction
    tag_links = [(pk, name) for m, pk in zip(made, ids, strict=True) for name in m.tags]
    if tag_links:
        tags = _tags_by_name({name for _pk, name in tag_links})
        through = Customer.tags.through
        through.objects.bulk_create([through(customer_id=pk, tag_id=tags[name].pk) for pk, name in tag_links])
    return ids
