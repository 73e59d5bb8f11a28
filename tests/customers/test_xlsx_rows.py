"""The Excel row count read from the sheet's XML agrees with reading every cell, for what spreadsheets put
in files: blank rows, spaces, styled empty cells, numbers, dates, booleans, formulas without a value, inline
and shared strings, rows numbered with gaps."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Font

from peyvand.customers.importing.readers import open_table


def _slow_count(data: bytes) -> int:
    with open_table(io.BytesIO(data)) as table:
        return sum(1 for _line, row in table.rows if any(v != "" for v in row))


def _fast_count(data: bytes) -> int:
    with open_table(io.BytesIO(data)) as table:
        return table.count_rows()


ROWS = [
    ["علی", "0912"],
    ["   ", "\u00a0"],  # spaces only: empty
    [None, None],
    [0, None],  # a zero is a value
    [None, date(2024, 3, 20)],
    [False, None],
    ["\u200c", " "],  # a zero-width non-joiner and a space: empty
    ["x", "y"],
]


def _openpyxl_file() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A3"], sheet["B3"] = "نام", "موبایل"  # the header after two blank rows
    for offset, row in enumerate(ROWS):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=4 + offset, column=column, value=value)
    sheet.cell(row=20, column=3).font = Font(bold=True)  # a styled cell with nothing in it
    sheet["A21"] = "=1+1"  # a formula without a stored result: empty when read for values
    sheet["B40"] = "last"  # far below, after a gap in the row numbers
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsxwriter_file(*, constant_memory: bool) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": constant_memory, "in_memory": not constant_memory})
    sheet = book.add_worksheet("مشتریان")
    sheet.write_row(0, 0, ["نام", "موبایل"])
    bold = book.add_format({"bold": True})
    for n, row in enumerate(ROWS, start=1):
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(n, column, value, book.add_format({"num_format": "yyyy-mm-dd"}))
            elif value is not None:
                sheet.write(n, column, value)
    sheet.write_blank(12, 0, None, bold)
    sheet.write_formula(13, 0, "=1+1")  # XlsxWriter stores 0 as its result: a value
    sheet.write_string(14, 1, "تهران")
    book.close()
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_openpyxl_file(), id="openpyxl"),
        pytest.param(_xlsxwriter_file(constant_memory=False), id="xlsxwriter-shared-strings"),
        pytest.param(_xlsxwriter_file(constant_memory=True), id="xlsxwriter-constant-memory"),
    ],
)
def test_the_xml_count_agrees_with_reading_every_cell(data):
    slow = _slow_count(data)
    assert slow >= 5
    assert _fast_count(data) == slow


def test_a_sheet_the_xml_count_cannot_read_is_counted_by_reading_its_cells(monkeypatch):
    from peyvand.customers.importing import readers

    def unreadable(*_args, **_kwargs):
        raise ValueError("unexpected XML")

    monkeypatch.setattr(readers, "count_value_rows", unreadable)
    data = _openpyxl_file()
    assert _fast_count(data) == _slow_count(data) >= 5


def _rows_read(data: bytes, *, fast: bool, monkeypatch) -> list:
    from peyvand.customers.importing import readers

    monkeypatch.setattr(readers, "FAST_XLSX", fast)
    with open_table(io.BytesIO(data)) as table:
        rows = [(line, readers._trim(cells)) for line, cells in table.rows]
        return [(table.header_line, table.headers), *((line, cells) for line, cells in rows if cells)]


def _everything_file() -> bytes:
    """What people's sheets hold: text in shared and inline strings, numbers that are phones, dates and
    date-times, a time, booleans, an error, a formula with and without a result, rich text, gaps."""
    from datetime import datetime, time

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["نام", "موبایل", "تاریخ", "مبلغ", "یادداشت"])
    sheet.append(["علی & پسران", 9121234567, date(2024, 3, 20), 1250000, True])
    when = datetime(2024, 3, 20, 14, 30)  # noqa: DTZ001 - a spreadsheet's date-times have no zone
    sheet.append(["  سارا  ", "۰۹۱۲۷۶۵۴۳۲۱", when, 12.5, False])
    sheet.append([None, None, None, None, "=1/0"])
    sheet["A6"] = CellRichText(["پر", TextBlock(InlineFont(b=True), "رنگ")])
    sheet["C6"] = time(9, 15)
    sheet["B8"] = "<tag> \"quoted\" 'single'"
    sheet["E9"] = 1e21
    sheet["A12"] = "0012345678"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        _everything_file,
        _openpyxl_file,
        lambda: _xlsxwriter_file(constant_memory=False),
        lambda: _xlsxwriter_file(constant_memory=True),
    ],
    ids=["everything", "openpyxl", "xlsxwriter-shared-strings", "xlsxwriter-constant-memory"],
)
def test_the_xml_reader_reads_what_openpyxl_reads(make, monkeypatch):
    data = make()
    through_openpyxl = _rows_read(data, fast=False, monkeypatch=monkeypatch)
    assert len(through_openpyxl) >= 4
    assert _rows_read(data, fast=True, monkeypatch=monkeypatch) == through_openpyxl


def test_a_sheet_cut_short_is_reported_as_damaged():
    import zipfile

    from peyvand.customers.importing.readers import ImportFileError

    source = zipfile.ZipFile(io.BytesIO(_xlsxwriter_file(constant_memory=False)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as cut:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.endswith("sheet1.xml"):
                content = content[: len(content) * 2 // 3]
            cut.writestr(item, content)
    with pytest.raises(ImportFileError, match=r"damaged|آسیب"), open_table(io.BytesIO(out.getvalue())) as table:
        list(table.rows)
