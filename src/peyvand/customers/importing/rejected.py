"""The file of rejected rows: the original columns plus a reason, ready to fix and import again."""

from __future__ import annotations

from typing import IO

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information
from django.utils.translation import gettext as _

from peyvand.core.text import is_persian
from peyvand.customers.models import ImportJob


# The reason column's heading; mapping leaves it out on re-import because it names no field.
def reason_heading() -> str:
    return _("Reason rejected")


def rejected_rows_xlsx(job: ImportJob, out: IO[bytes]) -> None:
    """Write the job's rejected rows (each once, with every reason and its line) as an XLSX to `out`."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(_("Rejected rows")[:31])
    if is_persian():
        sheet.right_to_left()
    bold = book.add_format({"bold": True})
    headers = [*job.headers, reason_heading()]
    for col, text in enumerate(headers):
        sheet.write_string(0, col, str(text), bold)
    row_index = 0
    current_line: int | None = None
    values: list[str] = []
    reasons: list[str] = []

    def emit() -> None:
        nonlocal row_index
        row_index += 1
        for col in range(len(job.headers)):
            sheet.write_string(row_index, col, str(values[col]) if col < len(values) else "")
        sheet.write_string(row_index, len(job.headers), "؛ ".join(reasons))

    for error in job.row_errors.order_by("line", "id").iterator(chunk_size=2000):
        if error.line != current_line:
            if current_line is not None:
                emit()
            current_line, values, reasons = error.line, list(error.values), []
        where = _("line %(line)d") % {"line": error.line}
        reasons.append(f"{where}, {error.column}: {error.message}" if error.column else f"{where}: {error.message}")
    if current_line is not None:
        emit()
    book.close()
