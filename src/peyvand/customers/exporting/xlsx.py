"""The export as an XLSX workbook: right to left in Persian, a frozen header with filters, sized columns, and
every text written as text (a national code keeps its leading zeros, nothing becomes a formula)."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import IO, Any

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.customers.exporting.cells import neutralise
from peyvand.customers.exporting.table import Column, Rows

# A sheet holds 1,048,576 rows; one is the header. A longer list goes on to a second sheet.
XLSX_MAX_ROWS = 1_048_575
# The most characters an Excel cell holds.
XLSX_MAX_TEXT = 32_767


def write_xlsx(out: IO[bytes], columns: list[Column], chunks: Rows, right_to_left: bool) -> int:
    # The workbook's row data goes to temporary files in a folder of its own, removed whatever happens: on
    # a failure the workbook is not closed (that would spend minutes zipping a file nobody gets).
    with tempfile.TemporaryDirectory(prefix="peyvand-export-") as scratch:
        workbook = xlsxwriter.Workbook(
            out,
            {
                # Each row is written out once the next one starts, so rows must come in order.
                "constant_memory": True,
                "tmpdir": scratch,
                # Every text goes through write_string anyway; nothing becomes a formula, number or link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        written = _fill_workbook(workbook, columns, chunks, right_to_left)
        workbook.close()
    return written


def _fill_workbook(workbook: Any, columns: list[Column], chunks: Rows, right_to_left: bool) -> int:
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "bottom": 1, "text_wrap": True, "valign": "vcenter"}
    )
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    with translation.override("fa" if right_to_left else "en"):
        name = _("Customers")
    sheets = 0

    def new_sheet() -> Any:
        nonlocal sheets
        sheets += 1
        sheet = workbook.add_worksheet(name if sheets == 1 else f"{name} {sheets}")
        if right_to_left:
            sheet.right_to_left()
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.write_string(0, index, neutralise(column.label), header)
        return sheet

    def finish(sheet: Any, last_row: int) -> None:
        sheet.autofilter(0, 0, last_row, len(columns) - 1)

    written = 0
    sheet, row = new_sheet(), 0
    for rows in chunks:
        for values in rows:
            if row == XLSX_MAX_ROWS:
                finish(sheet, row)
                sheet, row = new_sheet(), 0
            row += 1
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    text = neutralise(value)
                    sheet.write_string(row, col, text if len(text) <= XLSX_MAX_TEXT else text[:XLSX_MAX_TEXT])
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(row, col, value, moment)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(row, col, value, day)
                else:
                    sheet.write_number(row, col, value)
            written += 1
    finish(sheet, row)
    return written
