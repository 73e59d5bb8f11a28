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
