"""Leads from a spreadsheet: CSV or Excel with Persian or English headings; every bad row reported with its line
number and reason, the good rows recorded in one go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.money import parse_money
from peyvand.core.text import clean_text
from peyvand.sales.lead_selectors import leads_visible_to
from peyvand.sales.models import Lead, LeadSource
from peyvand.sales.selectors import within_reach
from peyvand.sales.services._common import Errors
from peyvand.sales.services.leads import new_lead_values

IMPORT_ROW_LIMIT = 5_000

# The column headings an import understands, each in Persian and English spellings (compared after tidying
# and lower-casing), and the lead field each one fills.
IMPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "first_name": ("نام", "first name", "first_name", "firstname", "name"),
    "last_name": ("نام خانوادگی", "نام‌خانوادگی", "last name", "last_name", "lastname", "surname", "family name"),
    "company_name": (
        "شرکت",
        "نام شرکت",
        "سازمان",
        "company",
        "company name",
        "company_name",
        "organisation",
        "organization",
    ),
    "job_title": ("سمت", "عنوان شغلی", "job title", "job_title", "title", "position"),
    "phone": ("تلفن", "موبایل", "تلفن همراه", "شماره تماس", "شماره تلفن", "phone", "mobile", "phone number", "tel"),
    "email": ("ایمیل", "ای‌میل", "پست الکترونیک", "رایانامه", "email", "e-mail", "e-mail address", "email address"),
    "city": ("شهر", "city"),
    "source_detail": ("منبع", "جزئیات منبع", "source", "source detail", "source_detail"),
    "interest": ("علاقه‌مندی", "علاقه مندی", "نیاز", "محصول مورد نظر", "interest", "interested in"),
    "notes": ("یادداشت", "توضیحات", "notes", "note", "description"),
    "estimated_amount": ("مبلغ تخمینی", "برآورد مبلغ", "estimated amount", "estimated_amount", "amount"),
}


def _heading_key(text: object) -> str:
    return " ".join(clean_text(str(text)).replace("_", " ").lower().split())


_HEADING_FIELDS = {_heading_key(heading): name for name, headings in IMPORT_HEADERS.items() for heading in headings}


@dataclass
class ImportProblem:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import did: how many rows it read and imported, and each refused row's line and reasons."""

    rows: int = 0
    imported: int = 0
    lead_ids: list[int] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def refused_lines(self) -> list[int]:
        return sorted({problem.line for problem in self.problems})


class LeadImportError(Exception):
    """The file as a whole cannot be imported (not a table, too many rows, no known column)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read_rows(file: IO[bytes]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    # The customers' import reader already knows CSV encodings (UTF-8, Windows-1256), delimiters and Excel.
    from peyvand.customers.importing.readers import ImportFileError, open_table

    try:
        with open_table(file) as table:
            rows: list[tuple[int, list[str]]] = []
            for line, cells in table.rows:
                values = [c.isoformat() if not isinstance(c, str) else c for c in cells]
                if not any(v.strip() for v in values):
                    continue
                rows.append((line, values))
                if len(rows) > IMPORT_ROW_LIMIT:
                    raise LeadImportError(
                        _(
                            "This file has more than %(limit)s rows; import at most %(limit)s leads at a time "
                            "(split the file)."
                        )
                        % {"limit": f"{IMPORT_ROW_LIMIT:,}"}
                    )
            return table.headers, rows
    except ImportFileError as exc:
        raise LeadImportError(exc.message) from None


def _row_data(columns: Mapping[int, str], cells: list[str], errors: Errors) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for index, name in columns.items():
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            continue
        if name == "estimated_amount":
            try:
                data[name] = parse_money(value)
            except (ValueError, TypeError):
                errors.add(name, _("Write the amount as a whole number, like 12500000."))
        else:
            data[name] = value
    return data


def _known_contacts(by: User) -> tuple[set[str], set[str]]:
    """The phones and e-mails of the leads the caller can see: an import does not make the same lead twice."""
    visible = leads_visible_to(by)
    phones = set(visible.exclude(phone="").values_list("phone", flat=True))
    emails = set(visible.exclude(email="").values_list("email", flat=True))
    return phones, emails


def lead_import(*, by: User, file: IO[bytes], source_detail: str = "") -> ImportReport:
    """Leads from a CSV or Excel file with Persian or English headings: each row is checked as a lead typed in
    by hand and imported whole or refused whole, and every refused row is reported with its line number and
    reasons.

    Synchronous on purpose (at most IMPORT_ROW_LIMIT rows): the person sees the result at once, and a file
    that is too big is refused before anything is written. The leads' source is `import`; the «منبع» column,
    or else `source_detail`, says which list they came from.
    """
    headers, rows = _read_rows(file)
    report = ImportReport(rows=len(rows))
    columns: dict[int, str] = {}
    for index, heading in enumerate(headers):
        name = _HEADING_FIELDS.get(_heading_key(heading))
        if name is None or name in columns.values():
            if str(heading).strip():
                report.ignored_columns.append(str(heading))
            continue
        columns[index] = name
        report.columns[str(heading)] = name
    if not any(name in columns.values() for name in ("first_name", "last_name", "company_name", "phone", "email")):
        raise LeadImportError(
            _(
                "No column of this file is one a lead has. The first row should hold headings such as "
                "«نام», «نام خانوادگی», «شرکت», «تلفن», «ایمیل» (or First name, Last name, Company, Phone, E-mail)."
            )
        )
    detail = clean_text(source_detail)[:200]
    phones, emails = _known_contacts(by)
    # Every row is owned by the importer and their team, which is always within their own reach.
    if not within_reach(by, owner_id=by.pk, team_id=by.team_id):
        raise PermissionDenied(_("You cannot record leads."))
    good: list[Lead] = []
    for line, cells in rows:
        errors = Errors()
        data = _row_data(columns, cells, errors)
        if detail and not data.get("source_detail"):
            data["source_detail"] = detail
        values: dict[str, Any] | None = None
        if not errors:
            try:
                values = new_lead_values(by=by, data=data, source=LeadSource.IMPORT, check_reach=False)
            except ValidationError as exc:
                for key, texts in exc.message_dict.items():
                    for text in texts:
                        errors.add(key, text)
        if values is not None:
            # Compared cleaned, so «0912…» and «+98912…» are one number, in the file as among the leads.
            if values.get("phone") and values["phone"] in phones:
                errors.add("phone", _("There is a lead with this phone number already."))
            elif values.get("email") and values["email"] in emails:
                errors.add("email", _("There is a lead with this e-mail address already."))
        if errors or values is None:
            for key, texts in errors.fields.items():
                report.problems.extend(ImportProblem(line=line, field=key, message=text) for text in texts)
            continue
        if values.get("phone"):
            phones.add(values["phone"])
        if values.get("email"):
            emails.add(values["email"])
        good.append(Lead(created_by=by, **values))
    # Every row was checked above, so the good ones are written together: one row is one lead, whole.
    with transaction.atomic():
        created = Lead.objects.bulk_create(good, batch_size=500)
    report.imported = len(created)
    report.lead_ids = [lead.pk for lead in created]
    return report
