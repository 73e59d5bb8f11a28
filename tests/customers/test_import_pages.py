"""The import wizard and API: upload → map → preview → confirm → the worker runs it → the job page shows the
outcome; every job visible only to its owner, their managers and admins."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from peyvand.customers.models import Customer, ImportJob, ImportMapping, ImportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    # Uploaded files are kept with their job; tests keep them out of the real media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


CSV = "نام,نام خانوادگی,موبایل,ستون اضافه\nعلی,محمدی,09121234567,x\nرضا,احمدی,12345,y\n".encode()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, data: bytes = CSV, name: str = "people.csv", **extra):
    return client.post(
        reverse("customers:import"),
        {"file": _named(data, name), "on_duplicate": "skip", **extra},
    )


def _named(data: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


# The worker checks its connection between tasks, which closes one held inside a test's transaction on
# PostgreSQL; this test commits for real instead.
@pytest.mark.django_db(transaction=True)
def test_the_wizard_imports_a_file_end_to_end(agent_a):
    client = logged_in(agent_a)
    assert client.get(reverse("customers:list")).content.decode().count(reverse("customers:import")) >= 1
    response = upload(client)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    map_page = client.get(response["Location"])
    assert map_page.status_code == 200
    body = map_page.content.decode()
    assert "ستون اضافه" in body and 'value="mobile" selected' in body
    response = client.post(
        reverse("customers:import_map", args=[job.pk]),
        {"col_0": "first_name", "col_1": "last_name", "col_2": "mobile", "col_3": "", "save_as": "فایل فروش"},
    )
    assert response["Location"] == reverse("customers:import_preview", args=[job.pk])
    assert ImportMapping.objects.get(name="فایل فروش").created_by == agent_a
    preview = client.get(response["Location"]).content.decode()
    assert "محمدی" in preview and "12345" in preview and "table-danger" in preview
    assert Customer.objects.count() == 0
    response = client.post(reverse("customers:import_confirm", args=[job.pk]))
    assert response["Location"] == reverse("customers:import_detail", args=[job.pk])
    running = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in running
    call_command("worker", "--batch", "--no-startup-delay")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count) == (1, 1)
    fragment = client.get(reverse("customers:import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "every 1s" not in text and reverse("customers:import_rejected", args=[job.pk]) in text
    download = client.get(reverse("customers:import_rejected", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.cell(row=2, column=3).value == "12345"


def test_a_bad_upload_is_refused_with_its_reason_and_no_job(agent_a):
    client = logged_in(agent_a)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.xlsx")
    assert response.status_code == 422
    assert ImportJob.objects.count() == 0
    assert "CSV" in response.content.decode() or "اکسل" in response.content.decode()


def test_jobs_are_seen_by_their_owner_their_manager_and_admins_only(agent_a, agent_b, manager_a, admin):
    upload(logged_in(agent_a))
    job = ImportJob.objects.get()
    url = reverse("customers:import_detail", args=[job.pk])
    assert logged_in(agent_b).get(url).status_code == 404
    assert logged_in(agent_b).get(reverse("customers:import_rejected", args=[job.pk])).status_code == 404
    assert logged_in(agent_b).post(reverse("customers:import_confirm", args=[job.pk])).status_code == 404
    assert logged_in(manager_a).get(url).status_code == 200
    assert logged_in(admin).get(url).status_code == 200
    assert "people.csv" not in logged_in(agent_b).get(reverse("customers:import")).content.decode()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_api_creates_a_job_reports_progress_and_scopes_it(agent_a, agent_b, api_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = api_client(agent_a)
    response = client.post("/api/v1/imports", {"file": _named(CSV, "people.csv"), "on_duplicate": "update"})
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    status = client.get(f"/api/v1/imports/{job_id}").json()
    assert status["status"] == "done" and status["created"] == 1 and status["rejected"] == 1
    assert client.get(f"/api/v1/imports/{job_id}/rejected.xlsx").status_code == 200
    assert api_client(agent_b).get(f"/api/v1/imports/{job_id}").status_code == 404
    assert api_client(None).get(f"/api/v1/imports/{job_id}").status_code == 401
    bad = client.post("/api/v1/imports", {"file": _named(b"", "empty.csv")})
    assert bad.status_code == 422 and bad.json()["error"]["message"]


# --- choosing the sheet of a workbook ---------------------------------------------------------------------


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx with the given sheets in order, each a list of rows (an empty list: an empty sheet)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BOOK = workbook(
    {
        "راهنما": [],
        "مشتریان": [["نام", "نام خانوادگی", "موبایل"], ["علی", "محمدی", "09121234567"]],
        "Leads": [["Full name", "Email"], ["Sara Karimi", "SARA@Example.com"], ["Reza Ahmadi", "reza@example.com"]],
    }
)


def test_a_workbook_opens_on_its_first_sheet_with_data_and_lists_its_sheets(agent_a):
    client = logged_in(agent_a)
    response = upload(client, BOOK, "book.xlsx")
    job = ImportJob.objects.get()
    assert job.sheet == "مشتریان" and job.headers == ["نام", "نام خانوادگی", "موبایل"] and job.total_rows == 1
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-sheet"' in page
    assert '<option value="مشتریان" selected>' in page
    assert '<option value="راهنما" disabled>' in page  # an empty sheet cannot be chosen
    assert '<option value="Leads">' in page


def test_choosing_another_sheet_reads_its_headings_and_guesses_the_mapping_again(agent_a):
    client = logged_in(agent_a)
    upload(client, BOOK, "book.xlsx")
    job = ImportJob.objects.get()
    response = client.post(reverse("customers:import_sheet", args=[job.pk]), {"sheet": "Leads"})
    assert response["Location"] == reverse("customers:import_map", args=[job.pk])
    job.refresh_from_db()
    assert (job.sheet, job.headers, job.total_rows) == ("Leads", ["Full name", "Email"], 2)
    assert job.mapping == {"0": "full_name", "1": "email"}
    page = client.get(response["Location"]).content.decode()
    assert '<option value="Leads" selected>' in page and "Full name" in page and "Leads" in page
    preview = client.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    assert "sara@example.com" in preview and "Sara" in preview


def test_a_sheet_that_is_not_in_the_file_is_refused_with_the_sheets_it_has(agent_a):
    client = logged_in(agent_a)
    upload(client, BOOK, "book.xlsx")
    job = ImportJob.objects.get()
    response = client.post(reverse("customers:import_sheet", args=[job.pk]), {"sheet": "Sheet9"}, follow=True)
    text = response.content.decode()
    assert "برگهٔ «Sheet9» در این فایل نیست؛ برگه‌های آن: «راهنما»، «مشتریان»، «Leads»." in text
    job.refresh_from_db()
    assert job.sheet == "مشتریان"  # left as it was
    client.cookies["peyvand_language"] = "en"
    response = client.post(reverse("customers:import_sheet", args=[job.pk]), {"sheet": "Sheet9"}, follow=True)
    assert "There is no sheet “Sheet9” in this file; it has: “راهنما”, “مشتریان”, “Leads”." in response.content.decode()


def test_a_csv_file_has_no_sheet_to_choose(agent_a):
    client = logged_in(agent_a)
    response = upload(client)
    assert 'id="import-sheet"' not in client.get(response["Location"]).content.decode()
    job = ImportJob.objects.get()
    assert client.post(reverse("customers:import_sheet", args=[job.pk]), {"sheet": "x"}).status_code == 302
    job.refresh_from_db()
    assert job.sheet == "" and job.headers[0] == "نام"


def test_only_the_owner_of_a_waiting_import_may_change_its_sheet(agent_a, manager_a):
    upload(logged_in(agent_a), BOOK, "book.xlsx")
    job = ImportJob.objects.get()
    assert (
        logged_in(manager_a).post(reverse("customers:import_sheet", args=[job.pk]), {"sheet": "Leads"}).status_code
        == 404
    )
    job.refresh_from_db()
    assert job.sheet == "مشتریان"


def test_the_api_reads_the_sheet_it_is_given_and_refuses_one_the_file_lacks(agent_a, api_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = api_client(agent_a)
    response = client.post("/api/v1/imports", {"file": _named(BOOK, "book.xlsx"), "sheet": "Leads"})
    assert response.status_code == 201, response.content
    assert response.json()["sheet"] == "Leads"
    assert response.json()["created"] == 2
    default = client.post("/api/v1/imports", {"file": _named(BOOK, "book.xlsx")})
    assert default.json()["sheet"] == "مشتریان"
    bad = client.post("/api/v1/imports", {"file": _named(BOOK, "book.xlsx"), "sheet": "Nope"})
    assert bad.status_code == 422
    assert "«راهنما»، «مشتریان»، «Leads»" in bad.json()["error"]["message"]
    bad = client.post(
        "/api/v1/imports", {"file": _named(BOOK, "book.xlsx"), "sheet": "Nope"}, headers={"Accept-Language": "en"}
    )
    assert (
        bad.json()["error"]["message"] == "There is no sheet “Nope” in this file; it has: “راهنما”, “مشتریان”, “Leads”."
    )


def test_the_cli_reads_the_sheet_it_is_given(agent_a, tmp_path, capsys):
    from django.core.management.base import CommandError

    path = tmp_path / "book.xlsx"
    path.write_bytes(BOOK)
    call_command("import_customers", str(path), "--user", "agent_a", "--sheet", "Leads")
    assert sorted(Customer.objects.values_list("first_name", flat=True)) == ["Reza", "Sara"]
    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(path), "--user", "agent_a", "--sheet", "Nope")
    assert refused.value.returncode == 2 and "Nope" in str(refused.value) and "Leads" in str(refused.value)


# --- cancelling -------------------------------------------------------------------------------------------


def test_the_owner_cancels_a_waiting_import_from_its_page(agent_a):
    client = logged_in(agent_a)
    upload(client)
    job = ImportJob.objects.get()
    client.post(reverse("customers:import_confirm", args=[job.pk]))
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    cancel_url = reverse("customers:import_cancel", args=[job.pk])
    assert f'action="{cancel_url}"' in page and "csrfmiddlewaretoken" in page
    response = client.post(cancel_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and job.finished_at is not None
    text = response.content.decode()
    assert cancel_url not in text and "every 1s" not in text  # nothing left to cancel or to follow
    assert job.message in text and "لغو" in text
    again = client.post(cancel_url, follow=True).content.decode()
    assert "چیزی برای لغو" in again or "nothing to cancel" in again
    assert Customer.objects.count() == 0


def test_a_cancelled_running_import_is_followed_until_it_stops(agent_a):
    client = logged_in(agent_a)
    upload(client)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, started_at=job.created_at)
    client.post(reverse("customers:import_cancel", args=[job.pk]))
    fragment = client.get(reverse("customers:import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in text and "spinner-border" in text
    assert reverse("customers:import_cancel", args=[job.pk]) not in text


def test_only_the_owner_may_cancel_an_import(agent_a, agent_b, manager_a, admin):
    upload(logged_in(agent_a))
    job = ImportJob.objects.get()
    url = reverse("customers:import_cancel", args=[job.pk])
    detail = reverse("customers:import_detail", args=[job.pk])
    assert url not in logged_in(manager_a).get(detail).content.decode()
    assert logged_in(manager_a).post(url).status_code == 403
    assert logged_in(agent_b).post(url).status_code == 404
    assert logged_in(agent_a).get(url).status_code == 405
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert url in logged_in(admin).get(detail).content.decode()


@pytest.mark.parametrize("step", ["import_map", "import_preview"])
def test_an_import_can_be_abandoned_from_the_wizard_steps(agent_a, step):
    client = logged_in(agent_a)
    upload(client)
    job = ImportJob.objects.get()
    page = client.get(reverse(f"customers:{step}", args=[job.pk])).content.decode()
    assert reverse("customers:import_cancel", args=[job.pk]) in page and 'name="then" value="start"' in page
    response = client.post(reverse("customers:import_cancel", args=[job.pk]), {"then": "start"})
    assert response["Location"] == reverse("customers:import")
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert client.get(reverse(f"customers:{step}", args=[job.pk])).status_code == 404


def test_the_api_cancels_an_import_for_its_owner_only(agent_a, agent_b, manager_a, api_client, settings):
    upload(logged_in(agent_a))
    job = ImportJob.objects.get()
    url = f"/api/v1/imports/{job.pk}/cancel"
    assert api_client(agent_b).post(url).status_code == 404
    forbidden = api_client(manager_a).post(url)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    response = api_client(agent_a).post(url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and response.json()["finished_at"]
    finished = api_client(agent_a).post(url, headers={"Accept-Language": "en"})
    assert finished.status_code == 409
    assert finished.json() == {
        "error": {
            "code": "import_finished",
            "message": "This import has finished; there is nothing to cancel.",
            "fields": {},
        }
    }


# --- the preview shows the values as they will be saved ------------------------------------------------


PREVIEW_CSV = (
    "نام,نام خانوادگی,موبایل,ایمیل,تاریخ تولد\n"
    "علي ,کریمي,۰۹۱۲ ۱۲۳ ۴۵۶۷,ALI@Example.com,1991-03-22\n"
    "رضا,احمدی,12345,reza@example.com,\n"
).encode()


def _preview_cells(html: str) -> list[list[str]]:
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    # Without the line number in front and the problems after: one cell a mapped column.
    return [re.findall(r"<td>(.*?)</td>", row, re.S)[1:-1] for row in body.split("</tr>")[:-1]]


def test_the_preview_shows_each_value_as_it_will_be_saved_over_the_cell_as_read(agent_a):
    client = logged_in(agent_a)
    upload(client, PREVIEW_CSV, "p.csv")
    job = ImportJob.objects.get()
    html = client.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    good, bad = _preview_cells(html)
    # Persian page: the stored phone and the Jalali date in Persian digits, the cell from the file beneath.
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in good[2] and "۰۹۱۲ ۱۲۳ ۴۵۶۷" in good[2] and "data-raw" in good[2]
    assert ">علی<" in good[0] and ">علي<" in good[0]  # trimmed too
    assert ">کریمی<" in good[1] and ">کریمي<" in good[1]  # the Arabic yeh in the file, the Persian one saved
    assert ">ali@example.com<" in good[3] and ">ALI@Example.com<" in good[3]
    assert "۱۳۷۰/۰۱/۰۲" in good[4] and "۱۹۹۱-۰۳-۲۲" in good[4]
    # A row with errors shows the cells as read (no second line), and the reason.
    assert "data-raw" not in "".join(bad) and ">12345<" not in html and ">۱۲۳۴۵<" in bad[2]
    assert "table-danger" in html
    client.cookies["peyvand_language"] = "en"
    english = client.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    good, _bad = _preview_cells(english)
    assert "+989121234567" in good[2] and "1370/01/02" in good[4]


def test_an_unchanged_value_is_shown_once(agent_a):
    client = logged_in(agent_a)
    upload(client, "نام,نام خانوادگی,ایمیل\nسارا,رحیمی,sara@example.com\n".encode(), "p.csv")
    job = ImportJob.objects.get()
    html = client.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    assert "data-raw" not in html and html.count("sara@example.com") == 1
