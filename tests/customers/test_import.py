"""Customer import: files read by content in every encoding Excel saves, rows validated like a form, bad rows
reported and downloadable, re-runs idempotent, the CLI end to end."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from factories import CustomerFactory
from peyvand.core.national_id import generate_national_code
from peyvand.customers.importing.engine import run_import
from peyvand.customers.importing.jobs import import_job_create
from peyvand.customers.importing.mapping import auto_map
from peyvand.customers.importing.readers import ImportFileError, open_table
from peyvand.customers.importing.rejected import rejected_rows_xlsx
from peyvand.customers.models import (
    Customer,
    CustomerRevision,
    DuplicateCandidate,
    ImportJob,
    ImportRowError,
    ImportStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    # Uploaded files are kept with their job; tests keep them out of the real media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


HEADER = "نام,نام خانوادگی,موبایل,کد ملی,ایمیل,شهر"
CODE = "0499370899"  # a valid national code


def csv_bytes(rows: list[str], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    text = "\r\n".join(r.replace(",", delimiter) for r in rows) + "\r\n"
    if encoding == "cp1256":
        # What Excel does saving Persian as Windows-1256: it has the Arabic yeh but no Persian one, and no
        # Persian digits.
        text = text.replace("ی", "ي").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    return text.encode(encoding)


def run(user, data: bytes, name: str = "customers.csv", **kwargs) -> ImportJob:
    job = import_job_create(by=user, stream=io.BytesIO(data), file_name=name, **kwargs)
    return run_import(job.pk)


GOOD = [
    HEADER,
    "علی,محمدی,09121234567,0499370899,ali@example.com,تهران",
    "سارا,کریمی,۰۹۱۲۷۶۵۴۳۲۱,,sara@example.com,شیراز",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256"])
def test_it_imports_csv_in_every_encoding_excel_saves(agent_a, encoding):
    job = run(agent_a, csv_bytes(GOOD, encoding))
    assert job.status == ImportStatus.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 0)
    ali = Customer.objects.get(last_name="محمدی")
    assert ali.first_name == "علی"
    assert ali.owner == agent_a and ali.team == agent_a.team and ali.source == "import"
    assert list(ali.phones.values_list("number", flat=True)) == ["+989121234567"]
    assert ali.emails.get().email == "ali@example.com"
    assert ali.addresses.get().city == "تهران"
    assert ali.national_id == CODE
    assert ali.revisions.count() == 1
    assert Customer.objects.get(last_name="کریمی").phones.get().number == "+989127654321"
    expected = {"cp1256": "cp1256", "utf-8-sig": "utf-8-sig"}.get(encoding, "utf-8")
    assert job.encoding == expected


def test_it_sniffs_a_semicolon_delimiter(agent_a):
    job = run(agent_a, csv_bytes(GOOD, delimiter=";"))
    assert job.created_count == 2


def test_bad_rows_are_reported_with_line_column_and_reason_and_good_rows_imported(agent_a):
    rows = [
        HEADER,
        "علی,محمدی,09121234567,,,",
        "رضا,احمدی,12345,,,",
        ",,09351112233,,,",
        "مریم,نوری,09121112222,1234567890,,",
        "حسین,رضایی,,,not-an-email,",
    ]
    job = run(agent_a, csv_bytes(rows))
    assert (job.created_count, job.error_count) == (1, 4)
    errors = {(e.line, e.column): e.message for e in job.row_errors.all()}
    assert "12345" in errors[(3, "موبایل")]
    assert errors[(4, "نام خانوادگی")]  # a person needs a name
    assert "کد ملی" in errors[(5, "کد ملی")]
    assert "not-an-email" in errors[(6, "ایمیل")]
    assert job.row_errors.get(line=3).values == ["رضا", "احمدی", "12345", "", "", ""]


def test_rerunning_the_same_file_changes_nothing(agent_a):
    data = csv_bytes(GOOD)
    run(agent_a, data)
    revisions = CustomerRevision.objects.count()
    for policy in ("skip", "update"):
        job = run(agent_a, data, on_duplicate=policy)
        assert job.created_count == 0 and job.updated_count == 0, policy
        assert job.skipped_count + job.unchanged_count == 2
    assert Customer.objects.count() == 2
    assert CustomerRevision.objects.count() == revisions


def test_rows_repeating_an_earlier_row_of_the_file_are_matched(agent_a):
    rows = [HEADER, "علی,محمدی,09121234567,,,", "علی,محمدی,09121234567,,,تهران"]
    job = run(agent_a, csv_bytes(rows), on_duplicate="update")
    assert (job.created_count, job.updated_count) == (1, 1)
    assert Customer.objects.get().addresses.get().city == "تهران"


def test_on_duplicate_update_skip_and_create(agent_a):
    existing = CustomerFactory(
        first_name="علی", last_name="قدیمی", owner=agent_a, team=agent_a.team, phone="+989121234567"
    )
    rows = [HEADER, "علی,محمدی,09121234567,,new@example.com,"]
    job = run(agent_a, csv_bytes(rows), on_duplicate="skip")
    assert job.skipped_count == 1
    job = run(agent_a, csv_bytes(rows), on_duplicate="update")
    assert job.updated_count == 1
    existing.refresh_from_db()
    assert existing.last_name == "محمدی"
    assert existing.emails.get().email == "new@example.com"
    assert existing.revisions.filter(action="update").count() == 1
    job = run(agent_a, csv_bytes(rows), on_duplicate="create")
    assert job.created_count == 1
    assert Customer.objects.count() == 2


def test_a_dry_run_writes_nothing(agent_a):
    job = run(agent_a, csv_bytes([*GOOD, "x,y,123,,,"]), dry_run=True)
    assert (job.created_count, job.error_count) == (2, 1)
    assert Customer.objects.count() == 0


def xlsx_bytes(rows: list[list[object]], *, setup=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if setup:
        setup(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_it_imports_xlsx_with_formulas_merged_cells_dates_persian_digits_and_spaces(agent_a):
    code2 = generate_national_code(__import__("random").Random(3))

    def setup(sheet):
        sheet["F2"] = '="تهران"'  # a formula never calculated by Excel: no cached value, so empty
        sheet.merge_cells("G2:G3")

    rows = [
        ["نام ", " نام خانوادگی", "تلفن همراه", "کدملی", "تاریخ تولد", "شهر", "برچسب", "ستون ناشناس"],
        ["  علی ", "محمدی  ", 9121234567.0, "۰۴۹۹۳۷۰۸۹۹", "1370/05/12", None, "vip", "x"],
        ["سارا", "کریمی", "۰۹۱۲۷۶۵۴۳۲۱", code2, "۱۳۷۰/۰۵/۱۲", "شیراز", None, "y"],
        ["رضا", "احمدی", "09351234567", "", date(1991, 8, 3), "", "", ""],
        ["مریم", "نوری", "09361234567", "", "1991-08-03", "", "", ""],
    ]
    job = run(agent_a, xlsx_bytes(rows, setup=setup), name="customers.png")
    assert job.file_format == "xlsx"
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_count == 4, list(job.row_errors.values_list("message", flat=True))
    ali = Customer.objects.get(last_name="محمدی")
    assert ali.first_name == "علی" and ali.national_id == CODE
    assert ali.phones.get().number == "+989121234567"
    assert ali.birth_date == date(1991, 8, 3)
    assert list(ali.tags.values_list("name", flat=True)) == ["vip"]
    assert not ali.addresses.exists()
    for last in ("کریمی", "احمدی", "نوری"):
        assert Customer.objects.get(last_name=last).birth_date == date(1991, 8, 3)
    assert "7" not in job.mapping  # the unknown column is left out


def test_headers_in_persian_and_english_are_mapped():
    headers = ["نام", "نام خانوادگی", "شماره موبایل", "کد ملي", "E-mail", "Postal code", "سمت", "Reason rejected"]
    assert auto_map(headers) == {
        "0": "first_name",
        "1": "last_name",
        "2": "mobile",
        "3": "national_id",
        "4": "email",
        "5": "postal_code",
        "6": "job_title",
    }
    assert auto_map(["Name", "Mobile"]) == {"0": "full_name", "1": "mobile"}


def test_rejected_rows_file_has_a_reason_column_and_reimports_once_fixed(agent_a, tmp_path):
    job = run(agent_a, csv_bytes([HEADER, "علی,محمدی,09121234567,,,", "رضا,احمدی,12345,,,"]))
    out = io.BytesIO()
    rejected_rows_xlsx(job, out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][-1] and rows[0][:-1] == HEADER.split(",")
    assert rows[1][:3] == ["رضا", "احمدی", "12345"] and "3" in rows[1][-1]
    sheet.cell(row=2, column=3, value="09131234567")
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    again = run(agent_a, fixed.getvalue(), name="fixed.xlsx")
    assert (again.created_count, again.error_count) == (1, 0)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a CSV or Excel"),
        (b"PK\x03\x04broken zip", "not a CSV or Excel"),
        ((",".join(f"c{i}" for i in range(10000)) + "\n1,2\n").encode(), "10,000 columns"),
        (b"09121234567,0499370899,ali@example.com\n", "looks like data"),
        (b"name,city\nJos\xe9,caf\xe9 na\xefve\n", "encoding"),
    ],
)
def test_bad_files_give_a_clear_message_and_store_nothing(agent_a, data, needle):
    # English, so the check does not depend on the Persian wording.
    with translation.override("en"), pytest.raises(ImportFileError) as caught:
        import_job_create(by=agent_a, stream=io.BytesIO(data), file_name="x.xlsx")
    assert needle in caught.value.message
    assert ImportJob.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    with pytest.raises(ImportFileError):
        open_table(io.BytesIO(out.getvalue()))


def test_an_aborted_import_keeps_whole_batches_and_resumes(agent_a, monkeypatch):
    rows = [HEADER, *(f"نام{i},خانواده{i},0912{i:07d},,," for i in range(1, 8))]
    job = import_job_create(by=agent_a, stream=io.BytesIO(csv_bytes(rows)), file_name="a.csv")
    from peyvand.customers.importing import writer

    real = writer.customers_bulk_create
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(writer, "customers_bulk_create", flaky)
    job = run_import(job.pk, batch_size=3)
    assert job.status == ImportStatus.FAILED
    assert (job.created_count, job.last_committed_line) == (3, 4)
    assert Customer.objects.count() == 3
    monkeypatch.setattr(writer, "customers_bulk_create", real)
    job.status = ImportStatus.PENDING
    job.save()
    job = run_import(job.pk, batch_size=3)
    assert job.status == ImportStatus.DONE
    assert job.created_count == 7 and Customer.objects.count() == 7


# --- CLI --------------------------------------------------------------------------------------------------


@pytest.fixture
def english():
    # The CLI speaks the site's language (Persian by default); the checks below read its English wording.
    with translation.override("en"):
        yield


def test_cli_imports_and_writes_the_rejected_rows_file(agent_a, tmp_path, capsys, english):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([*GOOD, "رضا,احمدی,12345,,,"], "cp1256"))
    call_command("import_customers", str(path), "--user", "agent_a")
    out = capsys.readouterr().out
    assert "2 created" in out and "1 rejected" in out
    rejected = Path(str(path) + ".rejected.xlsx")
    assert rejected.exists() and str(rejected) in out
    call_command("import_customers", str(path), "--user", "agent_a", "--on-duplicate", "update", "--dry-run")
    assert "2 unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_cli_refuses_bad_input_with_exit_code_2(agent_a, tmp_path, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        call_command("import_customers", str(path), "--user", "agent_a")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        call_command("import_customers", str(path), "--user", "nobody")
    assert caught.value.returncode == 2


def test_row_errors_are_not_left_behind_by_bad_files(agent_a):
    assert ImportRowError.objects.count() == 0


def test_imported_customers_are_stored_as_the_form_would_store_them(agent_a):
    """The import writes rows straight to the database; what it writes must be what customer_create writes:
    names and keys, contacts, the first revision's snapshot, and the search index."""
    from django.db import connection

    from peyvand.customers.services import customer_create, customer_snapshot

    data = csv_bytes(
        [HEADER + ",تاریخ تولد,برچسب", "علی,محمدی,09121234567,0499370899,Ali@Example.com,تهران,1370/01/15,VIP"]
    )
    job = run(agent_a, data)
    assert job.created_count == 1
    imported = Customer.objects.get()
    form = customer_create(
        by=agent_a,
        data={
            "first_name": "علی",
            "last_name": "محمدی",
            "phones": [{"number": "09121234568", "kind": "mobile"}],
            "emails": [{"email": "ali2@example.com"}],
            "addresses": [{"city": "تهران"}],
            "birth_date": "1370/01/15",
            "tags": ["VIP"],
            "source": "import",
        },
    )
    for name in ("display_name", "search_key", "sort_key", "birth_date", "lifecycle_stage", "owner_id", "team_id"):
        assert getattr(imported, name) == getattr(form, name)
    revision = imported.revisions.get()
    assert (revision.number, revision.action, revision.by_id) == (1, "create", agent_a.pk)
    assert revision.snapshot == customer_snapshot(imported)
    assert imported.created_at == imported.updated_at and imported.created_at is not None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid FROM customers_customer_fts WHERE search_key MATCH %s", ['"محمدی"'])
            assert sorted(pk for (pk,) in cursor.fetchall()) == sorted([imported.pk, form.pk])


def test_rows_updating_the_same_existing_customer_each_see_the_last_change(agent_a):
    existing = CustomerFactory(
        first_name="علی", last_name="محمدی", owner=agent_a, team=agent_a.team, phone="+989121234567"
    )
    rows = [
        HEADER,
        "علی,محمدی,09121234567,,one@example.com,",
        "علی,محمدی,09121234567,,two@example.com,",
        "علی,محمدی,09121234567,,one@example.com,",
    ]
    job = run(agent_a, csv_bytes(rows), on_duplicate="update")
    assert (job.updated_count, job.unchanged_count) == (2, 1)
    assert sorted(existing.emails.values_list("email", flat=True)) == ["one@example.com", "two@example.com"]
    assert existing.revisions.filter(action="update").count() == 2


def test_customers_an_import_creates_are_checked_for_duplicates_once_their_batch_is_committed(
    agent_a, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    existing = CustomerFactory(first_name="علی", last_name="قدیمی", team=agent_a.team, phone="+989121234567")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = run(agent_a, csv_bytes([HEADER, "علی,محمدی,09121234567,,,"]), on_duplicate="create")
    assert job.created_count == 1
    assert not DuplicateCandidate.objects.exists()  # not while the batch is open
    for callback in queued:
        callback()
    new = Customer.objects.exclude(pk=existing.pk).get()
    pair = DuplicateCandidate.objects.get()
    assert (pair.first_id, pair.second_id) == (existing.pk, new.pk)
    assert pair.found_by == "import" and "phone" in pair.reasons


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_row_count_shown_before_the_run_is_the_rows_under_the_header(agent_a, kind):
    rows = [HEADER.split(","), *(r.split(",") for r in GOOD[1:]), ["", "", "", "", "", ""]]
    data = csv_bytes([",".join(r) for r in rows]) if kind == "csv" else xlsx_bytes(rows)
    job = import_job_create(by=agent_a, stream=io.BytesIO(data), file_name=f"customers.{kind}")
    assert job.total_rows == 2  # two customers; the header and the empty last row are not counted


def test_it_previews_what_each_column_becomes(agent_a):
    from peyvand.customers.importing.jobs import preview_rows

    rows = [HEADER + ",تاریخ تولد", "علی ,محمدي,۰۹۱۲ ۱۲۳ ۴۵۶۷,0499370899,ALI@Example.com,تهران,۱۳۷۰/۰۱/۰۲"]
    job = import_job_create(by=agent_a, stream=io.BytesIO(csv_bytes(rows)), file_name="c.csv")
    (row,) = preview_rows(job)
    assert row["errors"] == []
    assert row["cells"][2] == "۰۹۱۲ ۱۲۳ ۴۵۶۷"  # as read
    values = row["values"]
    assert values[0] == "علی" and values[1] == "محمدی"  # trimmed, Arabic yeh made Persian
    assert values[2] == "+989121234567"
    assert values[4] == "ali@example.com"
    assert values[6] == "1370/01/02"
    assert not Customer.objects.exists()


def test_a_cancelled_job_stops_before_its_next_batch_and_keeps_what_was_committed(agent_a):
    from peyvand.customers.importing.jobs import import_job_cancel

    rows = [HEADER] + [f"نام{i},خانواده{i},0912{i:07d},,," for i in range(12)]
    job = import_job_create(by=agent_a, stream=io.BytesIO(csv_bytes(rows)), file_name="c.csv")

    def cancel_after_first_batch(progress_job: ImportJob) -> None:
        if progress_job.processed_rows == 5:
            import_job_cancel(job=ImportJob.objects.get(pk=job.pk), by=agent_a)

    finished = run_import(job.pk, progress=cancel_after_first_batch, batch_size=5)
    assert finished.status == ImportStatus.CANCELLED
    assert Customer.objects.count() == finished.created_count == 5
    assert "5" in finished.message
    # Running it again does nothing: a cancelled job stays cancelled.
    assert run_import(job.pk).created_count == 5 and Customer.objects.count() == 5


def test_a_waiting_job_cancelled_never_runs_and_only_its_owner_may_cancel(agent_a, agent_b):
    from django.core.exceptions import PermissionDenied, ValidationError

    from peyvand.customers.importing.jobs import import_job_cancel

    job = import_job_create(by=agent_a, stream=io.BytesIO(csv_bytes(GOOD)), file_name="c.csv")
    with pytest.raises(PermissionDenied):
        import_job_cancel(job=job, by=agent_b)
    import_job_cancel(job=job, by=agent_a)
    assert run_import(job.pk).status == ImportStatus.CANCELLED
    assert not Customer.objects.exists()
    with pytest.raises(ValidationError):
        import_job_cancel(job=job, by=agent_a)
    done = run(agent_a, csv_bytes(GOOD))
    with pytest.raises(ValidationError):
        import_job_cancel(job=done, by=agent_a)


# --- sheets, and Ctrl-C in the CLI --------------------------------------------------------------------------


def test_the_sheets_of_a_workbook_are_listed_in_order_with_whether_they_hold_data():
    from peyvand.customers.importing.readers import SheetInfo, workbook_sheets

    book = openpyxl.Workbook()
    book.active.title = "یادداشت"
    book.create_sheet("داده").append(["نام", "موبایل"])
    book.create_sheet("خالی")["C5"] = None
    out = io.BytesIO()
    book.save(out)
    assert workbook_sheets(out) == [
        SheetInfo("یادداشت", False),
        SheetInfo("داده", True),
        SheetInfo("خالی", False),
    ]
    with open_table(out) as table:  # no sheet named: the first one with data
        assert (table.sheet, table.headers) == ("داده", ["نام", "موبایل"])
    assert workbook_sheets(io.BytesIO(csv_bytes(GOOD))) == []


def _interrupt_after_batches(monkeypatch, batches: int, *, times: int = 1) -> None:
    """Run the CLI's import in batches of 3 rows and press Ctrl-C `times` times after batch `batches`."""
    import os
    import signal
    from functools import partial

    from peyvand.customers.management.commands import import_customers

    def run_then_interrupt(job_id, *, progress):
        def progress_and_interrupt(job):
            progress(job)
            if job.processed_rows == 3 * batches:
                for _ in range(times):
                    os.kill(os.getpid(), signal.SIGINT)

        return run_import(job_id, progress=progress_and_interrupt, batch_size=3)

    monkeypatch.setattr(import_customers, "run_import", partial(run_then_interrupt))


ROWS = [HEADER] + [f"نام{i},خانواده{i},0912{i:07d},,," for i in range(10)]


def test_ctrl_c_in_the_cli_stops_after_the_batch_keeps_it_and_a_rerun_adds_only_the_rest(
    agent_a, tmp_path, capsys, monkeypatch, english
):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(ROWS))
    _interrupt_after_batches(monkeypatch, 1)
    with pytest.raises(CommandError) as stopped:
        call_command("import_customers", str(path), "--user", "agent_a")
    assert stopped.value.returncode == 130
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CANCELLED and job.finished_at is not None
    # The batch written when Ctrl-C came is finished, not the next one.
    assert Customer.objects.count() == job.created_count == 6
    err = capsys.readouterr().err
    assert "6 customers were saved" in err and "skips or updates them" in err
    monkeypatch.undo()
    call_command("import_customers", str(path), "--user", "agent_a")
    assert "4 created, 0 updated, 0 unchanged, 6 skipped" in capsys.readouterr().out
    assert Customer.objects.count() == 10
    assert ImportJob.objects.first().skipped_count == 6


def test_a_second_ctrl_c_stops_at_once_and_closes_the_job(agent_a, tmp_path, capsys, monkeypatch, english):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(ROWS))
    _interrupt_after_batches(monkeypatch, 1, times=2)
    with pytest.raises(CommandError) as stopped:
        call_command("import_customers", str(path), "--user", "agent_a", "--on-duplicate", "create")
    assert stopped.value.returncode == 130
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CANCELLED and job.finished_at is not None and "3" in job.message
    assert Customer.objects.count() == job.created_count == 3
    assert "--on-duplicate skip" in capsys.readouterr().err


def test_a_stalled_import_is_shown_as_such_and_cancelling_closes_it_at_once(agent_a, client, english):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from peyvand.customers.importing.jobs import import_job_cancel

    job = import_job_create(by=agent_a, stream=io.BytesIO(csv_bytes(GOOD)), file_name="c.csv")
    # Its worker died half-way: it says running, and nothing has been committed for half an hour.
    long_ago = timezone.now() - timedelta(minutes=30)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=long_ago, updated_at=long_ago, processed_rows=2
    )
    client.force_login(agent_a)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "ممکن است پردازشگری که این ورود داده را اجرا می‌کند متوقف شده باشد" in page
    cancelled = import_job_cancel(job=job, by=agent_a)
    assert cancelled.status == ImportStatus.CANCELLED and cancelled.finished_at is not None
    page = client.get(reverse("customers:import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' not in page.content.decode()  # no longer followed: it has stopped
    assert "لغو شد؛ ۲ سطری" in page.content.decode()  # the stored message, with Persian digits on a fa page
