"""Export of any customer list, with its filters, to XLSX or CSV: at once when small, as a background job
when large. The parts: `filters` (which customers), `table` (columns and rows), `cells`, `xlsx` and
`csvfile` (the two formats), `files` (a whole export) and `jobs` (the background ones)."""

from peyvand.customers.exporting.cells import FORMULA_STARTS, export_phone, neutralise
from peyvand.customers.exporting.files import (
    CONTENT_TYPES,
    Format,
    csv_stream,
    export_customers,
    export_filename,
    xlsx_file,
)
from peyvand.customers.exporting.filters import ExportFilters
from peyvand.customers.exporting.jobs import (
    export_fits_inline,
    export_inline_limit,
    export_job_get,
    export_job_open,
    export_job_run,
    export_job_start,
    export_jobs_clean,
    export_jobs_of,
)

__all__ = [
    "CONTENT_TYPES",
    "FORMULA_STARTS",
    "ExportFilters",
    "Format",
    "csv_stream",
    "export_customers",
    "export_filename",
    "export_fits_inline",
    "export_inline_limit",
    "export_job_get",
    "export_job_open",
    "export_job_run",
    "export_job_start",
    "export_jobs_clean",
    "export_jobs_of",
    "export_phone",
    "neutralise",
    "xlsx_file",
]
