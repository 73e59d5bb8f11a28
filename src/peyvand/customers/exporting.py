"""Export of any customer list, with its filters, to XLSX or CSV, read in chunks so a million rows fit in memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any, Literal

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information
from django.conf import settings
from django.db.models import Field as ModelField
from django.db.models import Model, Q
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core.jalali import format_date, to_jalali_string
from peyvand.core.phone import format_phone
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.customers import selectors
from peyvand.customers.models import (
    CONSENT_CHANNELS,
    Consent,
    ContactChannel,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomField,
    CustomFieldType,
    LifecycleStage,
    SettlementHabit,
    Source,
)
from peyvand.customers.page_queries import ListFilters
from peyvand.customers.schemas import MAX_ID

Format = Literal["xlsx", "csv"]
CONTENT_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Customers read (and their phones, e-mails, … looked up) at a time: memory stays flat at any list size.
CHUNK = 2000
# Below this size an XLSX export is kept in memory, above it in a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024
# A sheet holds 1,048,576 rows; one is the header. A longer list goes on to a second sheet.
XLSX_MAX_ROWS = 1_048_575
# The most characters an Excel cell holds.
XLSX_MAX_TEXT = 32_767
# Excel keeps 15 significant digits; a larger whole number is written as text so it is not rounded.
XLSX_MAX_EXACT = 10**15

# What spreadsheet programs read as the start of a formula (OWASP, "CSV injection"), plus the full-width
# forms some of them also accept. A text cell starting with one gets an apostrophe in front.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

Value = str | int | dt.date | dt.datetime | None

_IRANIAN_MOBILE = re.compile(r"\+989\d{9}")


@dataclass(frozen=True)
class ExportFilters:
    """The filters every customer list offers (the page, the API and the CLI alike)."""

    q: str = ""
    kind: str = ""
    stage: str = ""
    owner: int | None = None
    team: int | None = None
    tag: str = ""
    city: str = ""
    organization: int | None = None
    health: str = ""  # a data-health problem, as on the health page's links to the list
    months: int | None = None  # with health=inactive

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ExportFilters:
        """The list page's filters from its query string; values that cannot be meant are ignored."""
        listed = ListFilters.from_query(params)
        organization = (params.get("organization") or "").strip()
        return cls(
            q=listed.q,
            kind=listed.kind,
            stage=listed.stage,
            owner=_id_or_none(listed.owner),
            team=_id_or_none(listed.team),
            tag=listed.tag,
            city=listed.city,
            organization=_id_or_none(int(organization) if organization.isdigit() and len(organization) < 20 else None),
            health=listed.health,
            months=listed.months,
        )


def _id_or_none(value: int | None) -> int | None:
    return value if value and 0 < value <= MAX_ID else None


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it and never runs: an apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_phone(e164: str) -> str:
    """A stored number as people dial it from Iran, in ASCII digits so it can be copied into a dialler or an
    SMS panel: 0912 123 4567, and a foreign one with 00 for its + (0044 20 7946 0958).

    Writing + as 00 (the international prefix dialled from Iran) keeps every real number clear of the
    formula guard: a cell starting with + would otherwise need the apostrophe, or be read by Excel as a
    sum. Only text that is not a phone number (bad old data) can still start with one, and is guarded.
    """
    if _IRANIAN_MOBILE.fullmatch(e164) and str(getattr(settings, "PEYVAND_PHONE_REGION", "IR")).upper() == "IR":
        # Nearly every stored number is one of these, and their national form is fixed; writing it out
        # directly is some thirty times cheaper than parsing, which counts over a million rows.
        return f"0{e164[3:6]} {e164[6:9]} {e164[9:]}"
    text = format_phone(e164, "en")
    return "00" + text[1:] if text.startswith("+") and text[1:2].isdigit() else text


def export_filename(fmt: str, language: str, today: dt.date | None = None) -> str:
    """customers-1405-09-06.xlsx: the day in the reader's calendar, in ASCII so every browser keeps it."""
    day = today or timezone.localdate()
    stamp = to_jalali_string(day).replace("/", "-") if is_persian(language) else day.isoformat()
    return f"customers-{stamp}.{fmt}"


def export_customers(*, user: User, filters: ExportFilters, fmt: Format, out: IO[bytes], language: str = "fa") -> int:
    """Write the customers `user` may see that match `filters` to `out` as XLSX or CSV; returns the rows
    written. Without a search the rows are in id order, with one in best-match order, as the list shows."""
    columns, rows = _table(user=user, filters=filters, language=language)
    if fmt == "xlsx":
        return _write_xlsx(out, columns, rows, right_to_left=is_persian(language))
    if fmt == "csv":
        written = 0
        for part in _csv_parts(columns, rows):
            out.write(part.data)
            written += part.rows
        return written
    raise ValueError(f"Unknown export format {fmt!r}; use xlsx or csv.")


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
    columns, rows = _table(user=user, filters=filters, language=language)
    return (part.data for part in _csv_parts(columns, rows))


# --- the table ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    width: float


# What each customer's row is made from: one statement per chunk for the customers, one per kind of
# related record; plain tuples, no model instances (a million of those, with their relations, was the
# slow part of an export).
_FIELDS = (
    "id",
    "kind",
    "display_name",
    "first_name",
    "last_name",
    "organization_id",
    "job_title",
    "national_id",
    "lifecycle_stage",
    "source",
    "owner_id",
    "team_id",
    "preferred_channel",
    "settlement_habit",
    "birth_date",
    "created_at",
    "last_interaction_at",
    "notes",
    "custom_fields",
)


@dataclass
class _Labels:
    """Everything language-dependent, worked out once with the export's language active."""

    persian: bool
    separator: str
    yes: str
    no: str
    choices: dict[str, dict[str, str]]
    custom_fields: list[CustomField]
    owners: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)


def _table(*, user: User, filters: ExportFilters, language: str) -> tuple[list[Column], Iterator[list[list[Value]]]]:
    language = "fa" if is_persian(language) else "en"
    with translation.override(language):
        labels = _Labels(
            persian=language == "fa",
            separator="، " if language == "fa" else ", ",
            yes=_("Yes"),
            no=_("No"),
            choices={
                name: {value: str(label) for value, label in choices.choices}
                for name, choices in (
                    ("kind", CustomerKind),
                    ("lifecycle_stage", LifecycleStage),
                    ("source", Source),
                    ("preferred_channel", ContactChannel),
                    ("settlement_habit", SettlementHabit),
                )
            },
            custom_fields=list(CustomField.objects.filter(is_active=True).order_by("position", "key")),
        )
        columns = _columns(labels)
    return columns, (_rows(user, ids, labels) for ids in _id_chunks(user=user, filters=filters))


def _columns(labels: _Labels) -> list[Column]:
    def model(name: str) -> str:
        return _verbose_name(Customer, name)

    def address(name: str) -> str:
        return _verbose_name(CustomerAddress, name)

    channels = dict(ContactChannel.choices)
    specs: list[tuple[str, float]] = [
        (_("ID"), 9),
        (model("kind"), 10),
        (_("Full name"), 28),
        (model("first_name"), 14),
        (model("last_name"), 18),
        (model("organization"), 26),
        (model("job_title"), 18),
        (model("national_id"), 14),
        (_("Primary phone"), 16),
        (_("Other phones"), 30),
        (str(capfirst(CustomerEmail._meta.verbose_name_plural)), 32),
        (address("province"), 12),
        (address("city"), 14),
        (address("line"), 40),
        (model("lifecycle_stage"), 14),
        (model("source"), 14),
        (model("owner"), 20),
        (model("team"), 18),
        (model("tags"), 24),
        *((_("Consent: %(channel)s") % {"channel": channels[ch]}, 12) for ch in CONSENT_CHANNELS),
        (model("preferred_channel"), 14),
        (model("settlement_habit"), 14),
        (model("birth_date"), 12),
        (_("Created on"), 18),
        (model("last_interaction_at"), 18),
        (model("notes"), 50),
        *(((d.label_fa if labels.persian else d.label_en) or d.key, 18) for d in labels.custom_fields),
    ]
    # A header longer than its column would be cut off behind the next one.
    return [Column(str(label), max(width, len(str(label)) + 2)) for label, width in specs]


def _verbose_name(model: type[Model], name: str) -> str:
    model_field = model._meta.get_field(name)
    return str(capfirst(model_field.verbose_name if isinstance(model_field, ModelField) else name))


def _id_chunks(*, user: User, filters: ExportFilters) -> Iterator[list[int]]:
    """The ids of the matching visible customers, CHUNK at a time, each read where the last one ended."""
    where = selectors.customer_filter(
        kind=filters.kind,
        lifecycle_stage=filters.stage,
        owner_id=filters.owner,
        team_id=filters.team,
        tag=filters.tag,
        city=filters.city,
        organization_id=filters.organization,
        health=filters.health or None,
        inactive_months=filters.months,
    )
    if filters.q.strip():
        # Search results in rank order, page after page along the list's own cursor.
        cursor: str | None = None
        while True:
            page = selectors.customer_list_page(user=user, where=where, text=filters.q, cursor=cursor, limit=CHUNK)
            if page.items:
                yield [c.pk for c in page.items]
            if not page.next_cursor:
                return
            cursor = page.next_cursor
    # One walk along the ids per part of the scope (own customers, each team), merged: with the parts
    # joined by OR the database gathers and sorts all the rest of the scope for every chunk (0.4 s a chunk
    # for a team of 450,000 on SQLite, against 4 ms for a part walked along its own index).
    visible = selectors.customers_visible_to(user).filter(where).order_by("id").values_list("id", flat=True)
    parts = [visible.filter(Q(**branch)) for branch in selectors.scope_branches(user)]
    last = 0
    while True:
        found: set[int] = set()
        more = False
        for part in parts:
            ids = list(part.filter(pk__gt=last)[:CHUNK])
            found.update(ids)
            more = more or len(ids) == CHUNK
        chunk = sorted(found)[:CHUNK]
        if chunk:
            yield chunk
        if not more and len(found) <= CHUNK:
            return
        last = chunk[-1]


def _grouped(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[Any]]:
    """(customer_id, value) or (customer_id, *values) rows, in their order, grouped by customer."""
    out: dict[int, list[Any]] = defaultdict(list)
    for customer_id, *values in rows:
        out[customer_id].append(values[0] if len(values) == 1 else tuple(values))
    return out


def _of(ids: list[int], field: str = "customer_id") -> Q:
    """Rows of exactly the customers `ids`; a chunk of consecutive ids (an administrator's whole list) as
    a range, which reads the same rows without binding two thousand parameters to each statement."""
    low, high = min(ids), max(ids)
    if high - low + 1 == len(ids):
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": ids})


def _rows(user: User, ids: list[int], labels: _Labels) -> list[list[Value]]:
    """The rows of one chunk of customers (already scoped by `_id_chunks`), in the order of `ids`."""
    records = {r[0]: r for r in Customer.objects.filter(_of(ids, "pk"), deleted_at__isnull=True).values_list(*_FIELDS)}
    customers = _of(ids)
    phones = _grouped(
        CustomerPhone.objects.filter(customers)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("customer_id", "number")
    )
    emails = _grouped(
        CustomerEmail.objects.filter(customers)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("customer_id", "email")
    )
    addresses = _grouped(
        CustomerAddress.objects.filter(customers)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("customer_id", "province", "city", "line")
    )
    tags = _grouped(
        Customer.tags.through.objects.filter(customers)
        .order_by("customer_id", "tag__name")
        .values_list("customer_id", "tag__name")
    )
    consents = _grouped(Consent.objects.filter(customers).values_list("customer_id", "channel", "granted"))
    # An organisation's name only if the user may see that organisation, as on the customer's page.
    org_ids = {r[5] for r in records.values() if r[5]}
    organizations: dict[int, str] = (
        dict(selectors.customers_visible_to(user).filter(pk__in=org_ids).values_list("pk", "display_name"))
        if org_ids
        else {}
    )
    _learn_names(labels, records.values())
    choices = labels.choices
    out: list[list[Value]] = []
    for pk in ids:
        record = records.get(pk)
        if record is None:  # deleted between the two reads
            continue
        (
            _id,
            kind,
            display_name,
            first_name,
            last_name,
            organization_id,
            job_title,
            national_id,
            stage,
            source,
            owner_id,
            team_id,
            preferred_channel,
            settlement_habit,
            birth_date,
            created_at,
            last_interaction_at,
            notes,
            custom_fields,
        ) = record
        numbers = [export_phone(n) for n in phones.get(pk, ())]
        address = addresses.get(pk, [("", "", "")])[0]
        consent = dict(consents.get(pk, ()))
        out.append(
            [
                pk,
                choices["kind"].get(kind, kind),
                display_name,
                first_name,
                last_name,
                organizations.get(organization_id, "") if organization_id else "",
                job_title,
                national_id,
                numbers[0] if numbers else "",
                labels.separator.join(numbers[1:]),
                labels.separator.join(emails.get(pk, ())),
                *address,
                choices["lifecycle_stage"].get(stage, stage),
                choices["source"].get(source, source),
                labels.owners.get(owner_id, "") if owner_id else "",
                labels.teams.get(team_id, "") if team_id else "",
                labels.separator.join(tags.get(pk, ())),
                *(_yes_no(consent.get(ch.value), labels) for ch in CONSENT_CHANNELS),
                choices["preferred_channel"].get(preferred_channel, preferred_channel),
                choices["settlement_habit"].get(settlement_habit, settlement_habit),
                _day(birth_date, labels.persian),
                _moment(created_at, labels.persian),
                _moment(last_interaction_at, labels.persian),
                notes,
                *(_custom_value(d, (custom_fields or {}).get(d.key), labels) for d in labels.custom_fields),
            ]
        )
    return out


def _learn_names(labels: _Labels, records: Iterable[tuple[Any, ...]]) -> None:
    """Staff and team names, read once each for the whole export (there are few of them)."""
    owners = {r[10] for r in records if r[10] and r[10] not in labels.owners}
    teams = {r[11] for r in records if r[11] and r[11] not in labels.teams}
    if owners:
        labels.owners.update((u.pk, str(u)) for u in User.objects.filter(pk__in=owners))
    if teams:
        labels.teams.update(Team.objects.filter(pk__in=teams).values_list("pk", "name"))


def _yes_no(value: bool | None, labels: _Labels) -> str:
    return "—" if value is None else labels.yes if value else labels.no


@lru_cache(maxsize=65_536)
def _jalali_day(day: dt.date) -> str:
    # Birth dates and days repeat a great deal over a long list; the calendar conversion is the costly part.
    return format_date(day, "fa")


def _day(value: dt.date | None, persian: bool) -> Value:
    """۱۴۰۳/۰۱/۱۵ (text) in Persian; in English a real date, which Excel shows and sorts as one."""
    if value is None:
        return None
    return _jalali_day(value) if persian else value


def _moment(value: dt.datetime | None, persian: bool) -> Value:
    """A moment in the site's time zone: ۱۴۰۳/۰۱/۱۵ ۱۴:۰۵ in Persian, a real date and time in English."""
    if value is None:
        return None
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if persian:
        return f"{_jalali_day(local.date())} {_persian_clock(local.hour, local.minute)}"
    return local.replace(tzinfo=None, second=0, microsecond=0)


@lru_cache(maxsize=24 * 60)
def _persian_clock(hour: int, minute: int) -> str:
    return to_persian_digits(f"{hour:02d}:{minute:02d}")


def _custom_value(definition: CustomField, value: Any, labels: _Labels) -> Value:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return labels.yes if value else labels.no
    if definition.field_type == CustomFieldType.DATE and isinstance(value, str):
        try:
            return _day(dt.date.fromisoformat(value), labels.persian)
        except ValueError:
            return value
    if isinstance(value, int):
        return value if abs(value) < XLSX_MAX_EXACT else str(value)
    return str(value)


# --- writers ------------------------------------------------------------------------------------------------


def _write_xlsx(out: IO[bytes], columns: list[Column], chunks: Iterator[list[list[Value]]], right_to_left: bool) -> int:
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


def _fill_workbook(
    workbook: Any, columns: list[Column], chunks: Iterator[list[list[Value]]], right_to_left: bool
) -> int:
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


@dataclass(frozen=True)
class _Part:
    data: bytes
    rows: int


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # a whole number: no formula can hide in one


def _csv_parts(columns: list[Column], chunks: Iterator[list[list[Value]]]) -> Iterator[_Part]:
    """UTF-8 with a byte-order mark, which is how Excel knows the file is not in the Windows code page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.label) for c in columns])
    yield _Part(("\ufeff" + buffer.getvalue()).encode(), 0)
    for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(v) for v in values] for values in rows)
        yield _Part(buffer.getvalue().encode(), len(rows))
