"""The export as CSV: UTF-8 with a byte-order mark, pure data (no formulas, no markers), sent as it is made.

Excel opens a CSV by guessing each cell's type, so it drops the leading zeros of a national code and shows
a long number as 1.2E+09. No character can stop that without changing the data for every other program:
`="0012"` is a formula (the very thing neutralisation forbids), and an apostrophe, a tab or an invisible
mark in front becomes part of the value everywhere else (and breaks lookups against it). So the CSV stays
exact, phone numbers are written with spaces (which Excel keeps as text anyway), and Excel users are
pointed to the XLSX file, where those columns are text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from peyvand.customers.exporting.cells import Value, neutralise
from peyvand.customers.exporting.table import Column, Rows


@dataclass(frozen=True)
class Part:
    data: bytes
    rows: int


def csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # a whole number: no formula can hide in one


def csv_parts(columns: list[Column], chunks: Rows) -> Iterator[Part]:
    """UTF-8 with a byte-order mark, which is how Excel knows the file is not in the Windows code page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.label) for c in columns])
    yield Part(("\ufeff" + buffer.getvalue()).encode(), 0)
    for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(v) for v in values] for values in rows)
        yield Part(buffer.getvalue().encode(), len(rows))
