"""Reading an import's rows and turning them into cleaned customer values. None of it reads the database, so
a large import has it done in a second process while the importing one writes the batch before."""

from __future__ import annotations

import logging
import multiprocessing
import pickle
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from datetime import date
from queue import Empty, Full
from typing import IO, Any

from django.core.exceptions import ValidationError

from peyvand.accounts.models import User
from peyvand.core.processes import collection_paused, run_with_django
from peyvand.customers.importing.mapping import CUSTOM_PREFIX, RowData, row_data
from peyvand.customers.importing.readers import Cell, ImportFileError, open_table
from peyvand.customers.models import CustomerKind, CustomField, Source
from peyvand.customers.services.bulk import NewCustomerRows, new_customer_rows
from peyvand.customers.services.validation import _clean

logger = logging.getLogger(__name__)

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
Batch = list[tuple[int, list[Cell]]]


def plain(value: Cell) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class PreparedRow:
    """One line of the file: its cells, what they map to, and either its cleaned values or its problems
    (column index or None, message).

    Sent to the importing process, a row takes its cells, mapping and values along as one pickled blob,
    opened there only when used: a new customer's row needs only its keys and `built` there, and the
    rest was most of what unpickling a row cost it."""

    __slots__ = ("_cells", "_packed", "_parsed", "_values", "built", "keys", "line", "problems")

    def __init__(
        self,
        line: int,
        cells: list[Cell],
        parsed: RowData,
        values: dict[str, Any] | None = None,
        keys: list[str] | None = None,
        problems: list[tuple[int | None, str]] | None = None,
        built: NewCustomerRows | None = None,
    ) -> None:
        self.line = line
        self._cells, self._parsed, self._values = cells, parsed, values
        self.keys: list[str] = keys if keys is not None else []  # n:<national code>, p:<phone>, e:<e-mail>
        self.problems: list[tuple[int | None, str]] = problems if problems is not None else []
        # Its rows for the database, when they could be built here (no organisation, owner or team to look up).
        self.built = built
        self._packed: bytes | None = None

    def _unpack(self) -> None:
        if self._packed is not None:
            self._cells, self._parsed, self._values = pickle.loads(self._packed)  # noqa: S301 - see __reduce__
            self._packed = None

    @property
    def cells(self) -> list[Cell]:
        self._unpack()
        return self._cells

    @property
    def parsed(self) -> RowData:
        self._unpack()
        return self._parsed

    @property
    def values(self) -> dict[str, Any] | None:
        """Cleaned, when valid."""
        self._unpack()
        return self._values

    @values.setter
    def values(self, values: dict[str, Any] | None) -> None:
        self._unpack()
        self._values = values

    def __reduce__(self) -> tuple[Any, ...]:
        # Only between the two processes of one import, which run the same code.
        if self._packed is not None:
            packed = self._packed
        else:
            packed = pickle.dumps((self._cells, self._parsed, self._values), pickle.HIGHEST_PROTOCOL)
        return (_unpickled_row, (self.line, self.keys, self.problems, self.built, packed))


def _unpickled_row(
    line: int,
    keys: list[str],
    problems: list[tuple[int | None, str]],
    built: NewCustomerRows | None,
    packed: bytes,
) -> PreparedRow:
    row = PreparedRow.__new__(PreparedRow)
    row.line, row.keys, row.problems, row.built = line, keys, problems, built
    row._cells = row._parsed = row._values = None  # type: ignore[assignment]
    row._packed = packed
    return row


class RowCleaner:
    """What cleaning a row needs and is the same for every row of a job: the mapping, the custom field
    definitions and the importing user (whose role decides nothing here; references to organisations,
    users and teams are resolved by the importing process, which can read the database)."""

    def __init__(
        self, *, mapping: Mapping[str, str], custom_fields: Iterable[CustomField], by: User, default_team: int | None
    ) -> None:
        self.mapping = dict(mapping)
        self.custom_fields = list(custom_fields)
        self.by = by
        self.default_team = default_team

    def column_of(self, error_key: str) -> int | None:
        """The column a field error belongs to when its cell was empty (a missing name): the first column
        mapped to that field, or to the fields that fill it."""
        head = error_key.split(".")[0]
        if head == "custom_fields":
            wanted: tuple[str, ...] = (CUSTOM_PREFIX + error_key.split(".", 1)[-1],)
        else:
            wanted = _ERROR_FIELDS.get(head, (head,))
        for target in wanted:
            for index, field_key in self.mapping.items():
                if field_key == target:
                    return int(index)
        return None

    def problems_of(self, row: PreparedRow, exc: ValidationError) -> list[tuple[int | None, str]]:
        found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        out: list[tuple[int | None, str]] = []
        for key, messages in found.items():
            column = row.parsed.columns.get(key)
            if column is None:
                column = self.column_of(key)
            out.append((column, " ".join(str(m) for m in messages)))
        return out

    def prepare(self, line: int, cells: list[Cell]) -> PreparedRow | None:
        """The row cleaned as the customer form cleans it, or its problems; None for a row with nothing in
        the mapped columns."""
        parsed = row_data(cells, self.mapping)
        if parsed.is_empty:
            return None
        row = PreparedRow(line, cells, parsed)
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
        try:
            values = _clean(data=data, by=self.by, instance=None, custom_fields=self.custom_fields)
        except ValidationError as exc:
            row.problems = self.problems_of(row, exc)
            return row
        # The importer's defaults; a row naming an owner or team gets them replaced by the importing process.
        values.setdefault("owner_id", self.by.pk)
        values.setdefault("team_id", self.default_team)
        values.setdefault("source", Source.IMPORT)
        row.values = values
        if not (parsed.organization or parsed.owner or parsed.team):
            row.built = new_customer_rows(values, by_id=self.by.pk)
        row.keys = [
            *(f"n:{values['national_id']}" for _ in [0] if values.get("national_id")),
            *(f"p:{p['number']}" for p in values.get("phones", [])),
            *(f"e:{e['email']}" for e in values.get("emails", [])),
        ]
        return row

    def prepare_batch(self, batch: Batch) -> list[PreparedRow | None]:
        return [self.prepare(line, cells) for line, cells in batch]


# --- the rows, read and cleaned --------------------------------------------------------------------------


def batches_of(rows: Iterable[tuple[int, list[Cell]]], *, after_line: int, size: int) -> Iterator[Batch]:
    """The file's non-empty rows after `after_line` (a resumed import's last committed line), `size` at a time."""
    batch: Batch = []
    for line, cells in rows:
        if line <= after_line or not any(v != "" for v in cells):
            continue
        batch.append((line, cells))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def prepared_batches(
    cleaner: RowCleaner,
    *,
    path: str,
    stream: IO[bytes] | None = None,
    sheet: str,
    after_line: int,
    size: int,
    other_process: bool,
) -> Iterator[tuple[int, list[PreparedRow | None]]]:
    """Each batch of the file at `path` (or in `stream`), in file order: its last line, and its rows cleaned
    (one per line read; None for a line with nothing in the mapped columns). With
    `other_process`, reading and cleaning (about half an import's work, none of it in the database) happen
    in a second process, a few batches ahead of the caller, which meanwhile writes the batch before: memory
    stays bounded however long the file, since the queue between them holds at most AHEAD batches."""
    if not other_process or not path:
        source = nullcontext(stream) if stream is not None else open(path, "rb")  # noqa: SIM115 - closed by with
        with source as opened, open_table(opened, sheet=sheet) as table:
            for batch in batches_of(table.rows, after_line=after_line, size=size):
                yield batch[-1][0], cleaner.prepare_batch(batch)
        return
    from django.conf import settings
    from django.utils import translation

    context = multiprocessing.get_context("spawn")  # never forked: the caller may hold threads and connections
    queue: multiprocessing.Queue[Any] = context.Queue(maxsize=AHEAD)
    settings_that_clean = {name: getattr(settings, name) for name in ("PEYVAND_PHONE_REGION", "TIME_ZONE")}
    # The cleaner goes pickled: unpickling it imports models, which only works once the child set Django up;
    # for the same reason the process starts in a module that imports no Django.
    child = context.Process(
        target=run_with_django,
        args=(f"{__name__}._read_and_clean", translation.get_language() or "fa", settings_that_clean),
        kwargs={
            "payload": pickle.dumps(cleaner),
            "queue": queue,
            "path": path,
            "sheet": sheet,
            "after_line": after_line,
            "size": size,
        },
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=1)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"The process reading the file stopped ({child.exitcode}).") from None
                continue
            if item[0] == "end":
                break
            if item[0] == "file-error":
                raise ImportFileError(item[1])
            if item[0] == "error":
                raise RuntimeError(f"The process reading the file failed: {item[1]}")
            with collection_paused():  # see _read_and_clean
                last_line, rows = pickle.loads(item[1])  # noqa: S301 - pickled by the process started above
            yield last_line, rows
            del rows  # not held while the next one is unpickled
    finally:
        if child.is_alive():
            child.terminate()
        child.join(5)
        queue.close()


AHEAD = 4  # chunks (engine.CHUNK_SIZE rows) cleaned ahead of the one being written


class _ImporterGone(Exception):
    """The importing process ended without taking what this one queued (it was killed)."""


def _put(queue: multiprocessing.Queue[Any], item: tuple[Any, ...]) -> None:
    """Queue `item`, waiting while the queue is full, but not for an importing process that is gone: killed,
    it can neither read nor stop this one, which would otherwise wait for it forever."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            queue.put(item, timeout=1)
        except Full:
            if parent is not None and not parent.is_alive():
                raise _ImporterGone from None
        else:
            return


def _read_and_clean(
    *, payload: bytes, queue: multiprocessing.Queue[Any], path: str, sheet: str, after_line: int, size: int
) -> None:
    """The second process: read the file, clean each batch and queue it, then say how it ended."""
    try:
        try:
            cleaner: RowCleaner = pickle.loads(payload)  # noqa: S301 - pickled by the importing process, just now
            with open(path, "rb") as stream, open_table(stream, sheet=sheet) as table:
                for batch in batches_of(table.rows, after_line=after_line, size=size):
                    # Pickled here rather than by the queue's thread, so that it happens with the collector
                    # paused, like the cleaning; the importing process unpickles it the same way.
                    with collection_paused():
                        packed = pickle.dumps((batch[-1][0], cleaner.prepare_batch(batch)), pickle.HIGHEST_PROTOCOL)
                    _put(queue, ("rows", packed))
        except ImportFileError as exc:
            _put(queue, ("file-error", exc.message))
        except _ImporterGone:
            raise
        except BaseException as exc:
            logger.exception("Reading an import file failed")
            _put(queue, ("error", repr(exc)))
        else:
            _put(queue, ("end",))
    except _ImporterGone:
        logger.warning("The importing process is gone; reading %s stopped", path)
        queue.cancel_join_thread()  # what is still queued has no reader: exit without flushing it
