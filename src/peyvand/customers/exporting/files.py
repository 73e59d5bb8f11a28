"""The export as a whole file or stream: what the page, the API, the CLI and the background job write."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Literal

from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import to_jalali_string
from peyvand.core.text import is_persian
from peyvand.customers.exporting.csvfile import csv_parts
from peyvand.customers.exporting.filters import ExportFilters
from peyvand.customers.exporting.table import Rows, build_table
from peyvand.customers.exporting.xlsx import write_xlsx

Format = Literal["xlsx", "csv"]
CONTENT_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Below this size an XLSX export is kept in memory, above it in a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024


def export_filename(fmt: str, language: str, today: dt.date | None = None) -> str:
    """customers-1405-09-06.xlsx: the day in the reader's calendar, in ASCII so every browser keeps it."""
    day = today or timezone.localdate()
    stamp = to_jalali_string(day).replace("/", "-") if is_persian(language) else day.isoformat()
    return f"customers-{stamp}.{fmt}"


def export_customers(
    *,
    user: User,
    filters: ExportFilters,
    fmt: Format,
    out: IO[bytes],
    language: str = "fa",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the customers `user` may see that match `filters` to `out` as XLSX or CSV; returns the rows
    written. Without a search the rows are in id order, with one in best-match order, as the list shows.
    `progress`, if given, is told the rows done so far after each chunk."""
    columns, rows = build_table(user=user, filters=filters, language=language)
    if progress is not None:
        rows = _counted(rows, progress)
    if fmt == "xlsx":
        return write_xlsx(out, columns, rows, right_to_left=is_persian(language))
    if fmt == "csv":
        written = 0
        for part in csv_parts(columns, rows):
            out.write(part.data)
            written += part.rows
        return written
    raise ValueError(f"Unknown export format {fmt!r}; use xlsx or csv.")


def _counted(chunks: Rows, progress: Callable[[int], None]) -> Rows:
    done = 0
    for rows in chunks:
        yield rows
        # Told after the chunk is handed on, so the figure never runs ahead of what was written.
        done += len(rows)
        progress(done)


def xlsx_file(*, user: User, filters: ExportFilters, language: str = "fa") -> IO[bytes]:
    """The XLSX export in a temporary file (in memory while small), rewound; the caller closes it."""
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the caller open
    try:
        export_customers(user=user, filters=filters, fmt="xlsx", out=file, language=language)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def csv_stream(*, user: User, filters: ExportFilters, language: str = "fa") -> Iterator[bytes]:
    """The CSV export as pieces to send while the rest is still being read (for a streaming response)."""
    columns, rows = build_table(user=user, filters=filters, language=language)
    return (part.data for part in csv_parts(columns, rows))
