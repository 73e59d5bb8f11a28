"""Opening an uploaded table by what is in it (never by its name) and streaming its rows with line numbers."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from peyvand.core.text import is_persian
from peyvand.customers.importing.xlsx_rows import count_value_rows, sheet_values

logger = logging.getLogger(__name__)

MAX_COLUMNS = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Enough text to see the encoding and the delimiter; reading more would only cost memory.
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# A field longer than this is not a customer value; csv's own default (128 KiB) would let a broken quote
# swallow megabytes before failing.
MAX_FIELD_CHARS = 32 * 1024

_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3\u06fa-\u06ff]")
# Spaces a spreadsheet leaves around values, including the no-break and direction marks Excel keeps.
_EDGE_SPACE = " \t\r\n\u00a0\u200c\u200e\u200f\ufeff"

Cell = str | date


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """An opened file: its header row and a one-pass stream of the rows after it."""

    file_format: str  # "csv" or "xlsx"
    encoding: str
    sheet: str
    header_line: int
    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    _closers: list[Any] = field(default_factory=list)
    _count: Callable[[], int] | None = None

    def count_rows(self) -> int:
        """The rows under the header that hold a value, reading the rest of the table (so call it on a
        table opened for counting, not on the one being imported)."""
        if self._count is not None:
            return self._count()
        return sum(1 for _line, row in self.rows if any(v != "" for v in row))

    def close(self) -> None:
        for closer in self._closers:
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cell_text(value: Any) -> Cell:
    """One spreadsheet value as import text: trimmed, ASCII digits, whole numbers without «.0» or an exponent
    (Excel stores 09121234567 typed as a number as 9121234567.0), dates kept as dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value).strip(_EDGE_SPACE)


def _trim(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return row[:end]


def open_table(stream: IO[bytes], *, sheet: str = "") -> Table:
    """Open a seekable binary stream as a table, or raise ImportFileError with a message for the user."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(stream, sheet=sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel (.xls) file; save it as .xlsx or CSV and try again."))
    return _open_csv(stream, head)


def _not_a_table() -> ImportFileError:
    return ImportFileError(_("This is not a CSV or Excel file."))


# --- CSV --------------------------------------------------------------------------------------------------


def _detect_encoding(stream: IO[bytes], head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's «Unicode text»
    if b"\x00" in head:
        raise _not_a_table()
    # Plain ASCII says nothing; look further for the first byte that tells the encodings apart, so a file
    # whose Persian starts after line 5,000 is not read as UTF-8 and then fail half-way.
    chunk, offset = head, 0
    while chunk and chunk.isascii():
        offset += len(chunk)
        stream.seek(offset)
        chunk = stream.read(SNIFF_BYTES)
        if b"\x00" in chunk:
            raise _not_a_table()
    stream.seek(0)
    if not chunk:
        return "utf-8"
    start = next(i for i, byte in enumerate(chunk) if byte > 0x7F)
    # Start at the first non-ASCII byte: cutting a chunk can split a UTF-8 character only at its end,
    # which the incremental decoder (final=False) leaves pending instead of failing on.
    sample = chunk[start:]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode("cp1256")
    except UnicodeDecodeError:
        text = ""
    if _ARABIC_LETTER.search(text):
        return "cp1256"
    raise ImportFileError(
        _("The file's text encoding is not recognised; save it as CSV UTF-8 (or as Excel .xlsx) and try again.")
    )


def _sniff_delimiter(sample: str) -> str:
    lines = sample.splitlines()[:20]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:  # a whole long line read as one field: not this delimiter
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(1 for w in widths if w == widths[0]), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_csv(stream: IO[bytes], head: bytes) -> Table:
    encoding = _detect_encoding(stream, head)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
    try:
        sample = text.read(SNIFF_BYTES)
    except UnicodeDecodeError:
        raise _wrong_encoding(1) from None
    text.seek(0)
    delimiter = _sniff_delimiter(sample)
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        line = 0
        try:
            for raw in reader:
                line += 1
                # A CSV cell is always text: cell_text's one case for it, without its type checks.
                yield line, [v.strip(_EDGE_SPACE) for v in raw]
        except UnicodeDecodeError:
            raise _wrong_encoding(line + 1) from None
        except csv.Error:
            raise ImportFileError(
                _("Line %(line)d cannot be read as CSV (a quote is not closed, or a cell is far too long).")
                % {"line": line + 1}
            ) from None

    table_rows = rows()
    header_line, headers = _header(table_rows)
    return Table("csv", encoding, "", header_line, headers, table_rows, [text.detach])


def _wrong_encoding(line: int) -> ImportFileError:
    return ImportFileError(
        _("Line %(line)d is not in the same text encoding as the start of the file; save it as CSV UTF-8.")
        % {"line": line}
    )


def _header(rows: Iterator[tuple[int, list[Cell]]]) -> tuple[int, list[str]]:
    for line, row in rows:
        trimmed = _trim(row)
        if not trimmed:
            continue
        if len(trimmed) > MAX_COLUMNS:
            raise ImportFileError(
                _("This file has %(count)s columns; at most %(limit)d can be imported.")
                % {"count": f"{len(trimmed):,}", "limit": MAX_COLUMNS}
            )
        return line, [str(c) for c in trimmed]
    raise ImportFileError(_("The file is empty."))


# --- Excel ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook, for choosing which one to import."""

    name: str
    has_data: bool


def _load_workbook(stream: IO[bytes]) -> Any:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs installed

    try:
        with zipfile.ZipFile(stream) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise _not_a_table()
        stream.seek(0)
        return load_workbook(stream, read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # a broken zip or workbook fails in many library-specific ways
        raise _not_a_table() from None


def _has_data(worksheet: Any) -> bool:
    # Read-only sheets stream from the file, so this stops at the first row with a value; only an empty
    # sheet is read to its end, and that is short.
    worksheet.reset_dimensions()
    try:
        return any(any(cell_text(v) != "" for v in raw) for raw in worksheet.iter_rows(values_only=True))
    except Exception:  # a damaged sheet: opening it says so with the reader's own message
        return True


def workbook_sheets(stream: IO[bytes]) -> list[SheetInfo]:
    """The sheets of an Excel file in their order, each saying whether it has any value; [] for a CSV file.
    Row counts are left out: in read-only mode the only cheap count is the stored dimension, which files
    written by other programs often get wrong."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head != b"PK\x03\x04":
        return []
    workbook = _load_workbook(stream)
    try:
        return [SheetInfo(ws.title, _has_data(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()
        stream.seek(0)


def sheet_list_text(names: list[str]) -> str:
    """Sheet names quoted and joined the way the active language writes a list."""
    if is_persian():
        return "، ".join(f"«{name}»" for name in names)
    return ", ".join(f"“{name}”" for name in names)


# openpyxl's internals the fast reader needs; without them (another openpyxl) the sheet is read through it.
_FAST_XLSX_NEEDS = ("_archive", "_date_formats", "_timedelta_formats", "epoch")
FAST_XLSX = True


def _sheet_rows(worksheet: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    """(line, values) of a read-only sheet's rows: from its XML (xlsx_rows.sheet_values), or through openpyxl
    when the fast reader cannot be used. Empty rows may be left out."""
    workbook = worksheet.parent
    if (
        FAST_XLSX
        and all(hasattr(workbook, name) for name in _FAST_XLSX_NEEDS)
        and hasattr(worksheet, "_worksheet_path")
    ):
        with workbook._archive.open(worksheet._worksheet_path) as xml:
            yield from sheet_values(
                xml,
                shared_strings=worksheet._shared_strings,
                date_styles=workbook._date_formats,
                timedelta_styles=workbook._timedelta_formats,
                epoch=workbook.epoch,
            )
        return
    yield from enumerate(worksheet.iter_rows(values_only=True), start=1)


def _open_xlsx(stream: IO[bytes], *, sheet: str) -> Table:
    workbook = _load_workbook(stream)
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise ImportFileError(
                    _("There is no sheet “%(sheet)s” in this file; it has: %(sheets)s.")
                    % {"sheet": sheet, "sheets": sheet_list_text(workbook.sheetnames)}
                )
            worksheet = workbook[sheet]
        else:
            # A workbook often starts with an empty or notes sheet in front of the data: take the first sheet
            # that has a value (the first sheet when none has, which then reads as an empty file).
            worksheet = next((ws for ws in workbook.worksheets if _has_data(ws)), workbook.worksheets[0])
        # The stored dimension is often wrong (files written by other programs); without it rows are as
        # wide as their data, and empty rows still come through, so line numbers stay right.
        worksheet.reset_dimensions()

        def rows() -> Iterator[tuple[int, list[Cell]]]:
            try:
                for line, raw in _sheet_rows(worksheet):
                    # Most cells are text: cell_text's case for it without its type checks.
                    yield line, [v.strip(_EDGE_SPACE) if type(v) is str else cell_text(v) for v in raw]
            except ImportFileError:
                raise
            except Exception:  # a sheet broken half-way fails inside the XML parser
                raise ImportFileError(_("The Excel sheet is damaged and cannot be read to the end.")) from None

        table_rows = rows()
        header_line, headers = _header(table_rows)
    except BaseException:
        workbook.close()
        raise

    def count() -> int:
        try:
            with worksheet.parent._archive.open(worksheet._worksheet_path) as xml:
                return count_value_rows(
                    xml,
                    after_line=header_line,
                    shared_strings=worksheet._shared_strings,
                    blank=lambda text: not text.strip(_EDGE_SPACE),
                )
        except Exception:  # openpyxl's internals moved, or XML the scan does not know: read it the slow way
            logger.warning("Counting the rows of sheet %r from its XML failed", worksheet.title, exc_info=True)
            return sum(1 for _line, row in table_rows if any(v != "" for v in row))

    return Table("xlsx", "", worksheet.title, header_line, headers, table_rows, [workbook.close], count)
