"""Large imports read and clean their rows in a second process: the outcome is exactly the one-process
outcome (rows, errors, their language, the settings that decide how a value is cleaned), file errors found
there stop the job as they would here, and nothing is left running."""

from __future__ import annotations

import io
import multiprocessing

import pytest
from django.utils import translation

from peyvand.customers.importing.engine import run_import
from peyvand.customers.importing.jobs import import_job_cancel, import_job_create
from peyvand.customers.models import Customer, ImportJob, ImportStatus

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "نام,نام خانوادگی,موبایل,کد ملی,ایمیل,تاریخ تولد"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _rows() -> list[str]:
    rows = [HEADER]
    for i in range(40):
        if i % 7 == 3:
            rows.append(f"بد{i},ردیف,0912{i:07d},1234567890,not-an-email,1403/13/01")  # three problems
        elif i % 11 == 5:
            rows.append(",,,,,")  # empty: skipped
        else:
            rows.append(f"علي{i},كريمي,۰۹۱۲{i:07d},,p{i}@example.com,۱۳۷۰/۰۱/{1 + i % 28:02d}")
    return rows


def _import(user, rows: list[str], *, settings, processes: int, batch_size: int = 6) -> ImportJob:
    settings.PEYVAND_IMPORT_PROCESSES = processes
    settings.PEYVAND_IMPORT_PARALLEL_ROWS = 0
    data = ("\r\n".join(rows) + "\r\n").encode()
    job = import_job_create(by=user, stream=io.BytesIO(data), file_name="people.csv")
    return run_import(job.pk, batch_size=batch_size)


def _outcome(job: ImportJob) -> tuple:
    customers = sorted(
        (c.first_name, c.last_name, c.birth_date, tuple(c.phones.values_list("number", flat=True)))
        for c in Customer.objects.all()
    )
    from peyvand.customers.services import customer_snapshot

    # Rows built in the reading process are what customer_create writes: the first revision holds the
    # customer as stored, stamped with the batch's time.
    for customer in Customer.objects.all():
        revision = customer.revisions.get()
        assert revision.snapshot == customer_snapshot(customer)
        assert customer.created_at == customer.updated_at == revision.created_at
    errors = list(job.row_errors.values_list("line", "column", "message"))
    counts = (job.created_count, job.skipped_count, job.error_count, job.processed_rows, job.status)
    return customers, errors, counts


def test_the_second_process_gives_exactly_the_one_process_outcome_in_the_callers_language(agent_a, settings):
    with translation.override("en"):
        alone = _outcome(_import(agent_a, _rows(), settings=settings, processes=0))
        Customer.objects.all().delete()
        ImportJob.objects.all().delete()
        shared = _outcome(_import(agent_a, _rows(), settings=settings, processes=1))
    assert shared == alone
    customers, errors, counts = shared
    assert counts[0] == len(customers) > 25 and counts[2] == 6
    assert customers[0][:2] == ("علی0", "کریمی")  # cleaned: Arabic yeh and kaf made Persian
    assert any("e-mail" in message for _line, _column, message in errors)  # English, as the caller
    assert not multiprocessing.active_children()


def test_the_second_process_cleans_with_the_callers_settings(agent_a, settings):
    settings.PEYVAND_PHONE_REGION = "DE"
    rows = ["نام,موبایل"] + [f"Anna{i},030 1234{i:03d}" for i in range(8)]
    job = _import(agent_a, rows, settings=settings, processes=1, batch_size=3)
    assert job.status == ImportStatus.DONE, job.message
    assert set(Customer.objects.values_list("phones__number", flat=True)) == {f"+49301234{i:03d}" for i in range(8)}


def test_a_file_error_found_in_the_second_process_stops_the_job_after_the_saved_batches(agent_a, settings):
    settings.PEYVAND_IMPORT_PROCESSES = 1
    settings.PEYVAND_IMPORT_PARALLEL_ROWS = 0
    good = [HEADER] + [f"نام{i},خانواده{i},0912{i:07d},,," for i in range(16)]
    job = import_job_create(by=agent_a, stream=io.BytesIO("\r\n".join(good).encode()), file_name="c.csv")
    # The stored file goes bad after it was checked (a disk fault, a resumed job whose file was replaced).
    broken = [*good[:13], '"' + "x" * 40_000]  # a quote never closed
    with open(job.file.path, "wb") as stored:
        stored.write("\r\n".join(broken).encode())
    with translation.override("en"):
        job = run_import(job.pk, batch_size=4)
    assert job.status == ImportStatus.FAILED
    assert "Line 14 cannot be read as CSV" in job.message
    assert Customer.objects.count() == job.created_count == 12  # the batches before the bad line are kept
    assert not multiprocessing.active_children()


def test_cancelling_a_job_read_by_a_second_process_stops_that_process(agent_a, settings):
    settings.PEYVAND_IMPORT_PROCESSES = 1
    settings.PEYVAND_IMPORT_PARALLEL_ROWS = 0
    rows = [HEADER] + [f"نام{i},خانواده{i},0912{i:07d},,," for i in range(30)]
    job = import_job_create(by=agent_a, stream=io.BytesIO(("\r\n".join(rows)).encode()), file_name="c.csv")

    def cancel_after_first_batch(progress_job: ImportJob) -> None:
        if progress_job.processed_rows == 5:
            import_job_cancel(job=ImportJob.objects.get(pk=job.pk), by=agent_a)

    finished = run_import(job.pk, progress=cancel_after_first_batch, batch_size=5)
    assert finished.status == ImportStatus.CANCELLED and Customer.objects.count() == 5
    assert not multiprocessing.active_children()


def test_rows_naming_an_organisation_or_account_manager_are_completed_by_the_importing_process(
    agent_a, manager_a, settings
):
    from peyvand.customers.services import customer_snapshot

    rows = ["نام,نام خانوادگی,موبایل,شرکت,مدیر حساب"]
    rows += [
        f"نام{i},خانواده{i},0912{i:07d},{'فولاد پارس' if i % 2 else ''},{'agent_a' if i % 3 else ''}" for i in range(9)
    ]
    job = _import(manager_a, rows, settings=settings, processes=1, batch_size=4)
    assert job.status == ImportStatus.DONE and job.created_count == 9, job.message
    assert Customer.objects.count() == 10  # and the company, created on the way as the importer's
    company = Customer.objects.get(kind="organization")
    for customer in Customer.objects.filter(kind="person"):
        i = int(customer.first_name.removeprefix("نام"))
        assert customer.organization_id == (company.pk if i % 2 else None)
        assert customer.owner_id == (agent_a.pk if i % 3 else manager_a.pk)
        assert customer.revisions.get().snapshot == customer_snapshot(customer)


def test_a_file_imported_again_with_updates_through_the_second_process_updates_as_one_process_does(agent_a, settings):
    # Rows sent from the second process carry their values packed, opened only for rows that match a
    # customer (an update) or have errors: the outcome must not depend on where a row was cleaned.
    first = [HEADER] + [f"علي{i},كريمي,0912{i:07d},,p{i}@example.com," for i in range(12)]
    again = [HEADER] + [
        f"علي{i},كريمي,0912{i:07d},,p{i}@example.com,{'1370/01/02' if i % 2 else ''}" for i in range(12)
    ]
    again.append("تازه,نفر,09129999999,,new@example.com,1371/05/06")
    again.append("بد,ردیف,0912,1234567890,not-an-email,")
    outcomes = []
    for processes in (0, 1):
        Customer.objects.all().delete()
        _import(agent_a, first, settings=settings, processes=processes, batch_size=5)
        settings.PEYVAND_IMPORT_PROCESSES = processes
        data = ("\r\n".join(again) + "\r\n").encode()
        job = import_job_create(by=agent_a, stream=io.BytesIO(data), file_name="again.csv", on_duplicate="update")
        job = run_import(job.pk, batch_size=5)
        assert job.status == ImportStatus.DONE, job.message
        people = sorted(
            (c.first_name, c.birth_date, c.revisions.count(), tuple(c.emails.values_list("email", flat=True)))
            for c in Customer.objects.all()
        )
        errors = list(job.row_errors.values_list("line", "column", "message", "values"))
        outcomes.append((people, errors, job.created_count, job.updated_count, job.unchanged_count))
    assert outcomes[0] == outcomes[1]
    people, errors, created, updated, unchanged = outcomes[1]
    assert (created, updated, unchanged) == (1, 6, 6)
    assert sum(1 for p in people if p[1] is not None and p[2] == 2) == 6  # the six updated have a second revision
    assert [e[0] for e in errors] == [15, 15, 15] and errors[0][3][0] == "بد"


def _importer_killed_after_one_chunk(path: str, pid_file: str) -> None:
    """An importing process that takes one chunk from its reading process, then is killed (kill -9)."""
    import os
    import signal

    from peyvand.accounts.models import User
    from peyvand.customers.importing.cleaning import RowCleaner, prepared_batches

    cleaner = RowCleaner(mapping={"0": "first_name"}, custom_fields=[], by=User(pk=1), default_team=None)
    chunks = prepared_batches(cleaner, path=path, sheet="", after_line=0, size=10, other_process=True)
    next(chunks)
    (reader,) = multiprocessing.active_children()
    with open(pid_file, "w") as out:
        out.write(str(reader.pid))
    os.kill(os.getpid(), signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # exited, not yet reaped
    except FileNotFoundError:
        return True


def test_the_reading_process_ends_when_the_importing_process_is_killed(tmp_path):
    # A killed worker cannot stop the process it started: with the queue full, that one must see it is
    # alone and end, not wait forever holding the file.
    import time

    from peyvand.core.processes import run_with_django

    path = tmp_path / "many.csv"
    path.write_text("نام\n" + "".join(f"علی{i}\n" for i in range(400)), encoding="utf-8")
    pid_file = tmp_path / "reader.pid"
    importer = multiprocessing.get_context("spawn").Process(
        target=run_with_django,
        args=(f"{__name__}._importer_killed_after_one_chunk", "fa", {}, str(path), str(pid_file)),
    )
    importer.start()
    importer.join(60)
    assert importer.exitcode == -9
    reader = int(pid_file.read_text())
    deadline = time.monotonic() + 15
    while not _gone(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(reader)
