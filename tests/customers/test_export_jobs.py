"""Large customer exports as background jobs (page and API), who may download them, their clean-up, what the
export holds against what the list shows, and how national codes and postal codes reach Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories import CustomerFactory, OrganizationFactory
from peyvand.customers import exporting, page_queries, services
from peyvand.customers.models import Customer, CustomerAddress, ExportJob, ExportStatus

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def small_limit(settings):
    """Any list of more than two customers is a background export, which the worker runs at once."""
    settings.PEYVAND_EXPORT_INLINE_ROWS = 2
    settings.TASKS = IMMEDIATE


@pytest.fixture
def three_of_team_a(team_a) -> list[Customer]:
    return [CustomerFactory(team=team_a) for _ in range(3)]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv_ids(content: bytes) -> list[int]:
    return [int(row[0]) for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]]


def _xlsx_ids(content: bytes) -> list[int]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]


# --- the page ------------------------------------------------------------------------------------------------


def test_a_large_export_from_the_menu_becomes_a_job_whose_file_only_its_asker_downloads(
    small_limit, agent_a, agent_b, admin, three_of_team_a
):
    client = client_for(agent_a)
    response = client.post(f"{reverse('customers:export')}?format=xlsx")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:export_job", args=[job.pk])
    assert (job.by, job.status, job.file_format, job.total_rows, job.processed_rows) == (
        agent_a,
        ExportStatus.DONE,
        "xlsx",
        3,
        3,
    )
    assert job.expires_at - job.finished_at == dt.timedelta(days=7)

    page = client.get(reverse("customers:export_job", args=[job.pk])).content.decode()
    assert reverse("customers:export_job_file", args=[job.pk]) in page
    assert "every 1s" not in page  # finished: no more polling

    download = client.get(reverse("customers:export_job_file", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert download["Content-Disposition"].startswith('attachment; filename="customers-14')
    assert _xlsx_ids(download.getvalue()) == sorted(c.pk for c in three_of_team_a)

    # Another agent, and even an administrator who sees every customer, cannot fetch someone else's file.
    for other in (agent_b, admin):
        assert client_for(other).get(reverse("customers:export_job_file", args=[job.pk])).status_code == 404
        assert client_for(other).get(reverse("customers:export_job", args=[job.pk])).status_code == 404
        assert f'data-job="{job.pk}"' not in client_for(other).get(reverse("customers:exports")).content.decode()


def test_the_job_exports_what_its_asker_may_see_with_the_lists_filters(small_limit, agent_a, team_a, team_b):
    active = [CustomerFactory(team=team_a, lifecycle_stage="active") for _ in range(3)]
    CustomerFactory(team=team_a, lifecycle_stage="lost")
    CustomerFactory(team=team_b, lifecycle_stage="active")  # another team's: not agent A's to see
    client_for(agent_a).post(f"{reverse('customers:export')}?format=csv&stage=active&cursor=x&order=newest")
    job = ExportJob.objects.get()
    assert job.filters == {"stage": "active"}
    content = client_for(agent_a).get(reverse("customers:export_job_file", args=[job.pk])).getvalue()
    assert _csv_ids(content) == sorted(c.pk for c in active)


def test_a_small_export_is_still_sent_at_once_without_a_job(small_limit, agent_a, team_a):
    CustomerFactory(team=team_a)
    response = client_for(agent_a).post(f"{reverse('customers:export')}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not ExportJob.objects.exists()


def test_a_link_to_a_large_export_asks_before_starting_one(small_limit, agent_a, three_of_team_a):
    # A GET must not start work (link previews, prefetching); it offers the button that does.
    response = client_for(agent_a).get(reverse("customers:export"), {"format": "csv", "kind": "person"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="export-start"' in page
    assert f"{reverse('customers:export')}?format=csv&amp;kind=person" in page
    assert not ExportJob.objects.exists()


def test_a_running_export_is_polled_and_shows_its_progress(agent_a):
    job = ExportJob.objects.create(by=agent_a, file_format="xlsx", status=ExportStatus.RUNNING, total_rows=1000)
    ExportJob.objects.filter(pk=job.pk).update(processed_rows=250)
    client = client_for(agent_a)
    page = client.get(reverse("customers:export_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'aria-valuenow="250"' in page
    assert "width: 25%" in page
    partial = client.get(reverse("customers:export_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert partial.content.decode().startswith("<section")
    # The file is not there yet: back to the progress, with a word why.
    response = client.get(reverse("customers:export_job_file", args=[job.pk]))
    assert response.status_code == 302
    listing = client.get(reverse("customers:exports")).content.decode()
    assert 'hx-trigger="every 2s"' in listing
    assert f'data-job="{job.pk}"' in listing


def test_the_exports_page_lists_only_my_own_recent_exports(agent_a, agent_b):
    mine = ExportJob.objects.create(by=agent_a, file_format="csv", status=ExportStatus.DONE)
    theirs = ExportJob.objects.create(by=agent_b, file_format="csv", status=ExportStatus.DONE)
    page = client_for(agent_a).get(reverse("customers:exports")).content.decode()
    assert f'data-job="{mine.pk}"' in page
    assert f'data-job="{theirs.pk}"' not in page
    assert "every 2s" not in page


def test_the_list_page_offers_the_exports_page_and_recommends_xlsx_for_excel(agent_a):
    page = client_for(agent_a).get(reverse("customers:list")).content.decode()
    assert reverse("customers:exports") in page
    assert 'method="post" action="/customers/export/?format=xlsx"' in page


def test_anonymous_visitors_are_sent_to_log_in_from_the_exports_pages(agent_a):
    job = ExportJob.objects.create(by=agent_a, file_format="csv")
    for url in (
        reverse("customers:exports"),
        reverse("customers:export_job", args=[job.pk]),
        reverse("customers:export_job_file", args=[job.pk]),
    ):
        assert Client().get(url).status_code == 302


# --- the job itself ------------------------------------------------------------------------------------------


def test_a_job_of_an_account_deactivated_before_it_ran_fails_without_a_file(agent_a, team_a):
    CustomerFactory(team=team_a)
    job = ExportJob.objects.create(by=agent_a, file_format="csv")
    agent_a.is_active = False
    agent_a.save(update_fields=["is_active"])
    exporting.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "no longer active" in job.message or job.message  # the message is translated
    assert not job.file


def test_a_deactivated_account_cannot_download_its_finished_export(small_limit, agent_a, three_of_team_a):
    client_for(agent_a).post(f"{reverse('customers:export')}?format=csv")
    job = ExportJob.objects.get()
    agent_a.is_active = False
    with pytest.raises(ExportJob.DoesNotExist):
        exporting.export_job_open(job=job, user=agent_a)


def test_a_failing_export_is_marked_failed_and_says_so(agent_a, team_a, monkeypatch):
    CustomerFactory(team=team_a)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exporting.table, "_rows", fail)
    job = ExportJob.objects.create(by=agent_a, file_format="xlsx")
    exporting.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.message and "disk full" not in job.message  # no internals shown to the user
    assert job.finished_at is not None


def test_a_finished_job_is_not_run_again(small_limit, agent_a, three_of_team_a):
    client_for(agent_a).post(f"{reverse('customers:export')}?format=csv")
    job = ExportJob.objects.get()
    name = job.file.name
    exporting.export_job_run(job_id=job.pk)  # a retried task
    job.refresh_from_db()
    assert job.file.name == name


def test_progress_is_reported_chunk_by_chunk(admin, team_a, monkeypatch):
    monkeypatch.setattr(exporting.table, "CHUNK", 2)
    for _ in range(5):
        CustomerFactory(team=team_a)
    seen: list[int] = []
    written = exporting.export_customers(
        user=admin, filters=exporting.ExportFilters(), fmt="csv", out=io.BytesIO(), progress=seen.append
    )
    assert written == 5
    assert seen == [2, 4, 5]


def test_the_stored_file_name_cannot_be_guessed(small_limit, agent_a, three_of_team_a):
    client_for(agent_a).post(f"{reverse('customers:export')}?format=csv")
    job = ExportJob.objects.get()
    stored = job.file.name.rsplit("/", 1)[-1]
    assert stored.startswith(f"customers-{job.pk}-") and len(stored) > len(f"customers-{job.pk}-.csv") + 8
    assert job.file_name.startswith("customers-14")


def test_expired_exports_are_removed_with_their_files(small_limit, agent_a, three_of_team_a):
    client = client_for(agent_a)
    client.post(f"{reverse('customers:export')}?format=csv")
    old = ExportJob.objects.get()
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    assert exporting.export_jobs_clean(now=old.expires_at - dt.timedelta(seconds=1)) == 0
    assert exporting.export_jobs_clean(now=old.expires_at) == 1
    assert not storage.exists(name)
    assert not ExportJob.objects.filter(pk=old.pk).exists()


def test_each_new_export_clears_the_expired_ones(small_limit, agent_a, admin, three_of_team_a):
    client_for(admin).post(f"{reverse('customers:export')}?format=csv")
    old = ExportJob.objects.get()
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client_for(agent_a).post(f"{reverse('customers:export')}?format=csv")
    assert list(ExportJob.objects.values_list("by", flat=True)) == [agent_a.pk]
    assert not old.file.storage.exists(old.file.name)


def test_an_expired_file_is_not_served_even_before_it_is_removed(small_limit, agent_a, three_of_team_a):
    client = client_for(agent_a)
    client.post(f"{reverse('customers:export')}?format=csv")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.get(reverse("customers:export_job_file", args=[job.pk]))
    assert response.status_code == 302


# --- the API -------------------------------------------------------------------------------------------------


def test_api_large_export_runs_as_a_job_and_only_its_asker_downloads_it(
    small_limit, api_client, agent_a, agent_b, three_of_team_a
):
    client = api_client(agent_a)
    response = client.post(
        "/api/v1/customers/exports", {"format": "csv", "lang": "en"}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "done"  # the immediate backend ran it at once
    assert body["format"] == "csv"
    assert body["progress"] == 1.0
    assert body["total_rows"] == body["processed_rows"] == 3
    url = f"/api/v1/customers/exports/{body['id']}"
    assert body["file_url"] == f"{url}/file"

    assert client.get(url).json()["id"] == body["id"]
    assert [job["id"] for job in client.get("/api/v1/customers/exports").json()] == [body["id"]]
    download = client.get(body["file_url"])
    assert download.status_code == 200
    content = download.getvalue()
    assert content.startswith(b"\xef\xbb\xbf")
    assert _csv_ids(content) == sorted(c.pk for c in three_of_team_a)
    assert content.decode("utf-8-sig").startswith("ID,Kind,Full name")  # lang=en

    other = api_client(agent_b)
    for path in (url, f"{url}/file"):
        response = other.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/customers/exports").json() == []


def test_api_job_carries_the_filters(small_limit, api_client, agent_a, team_a):
    wanted = [CustomerFactory(team=team_a, lifecycle_stage="active") for _ in range(3)]
    CustomerFactory(team=team_a, lifecycle_stage="lost")
    response = api_client(agent_a).post(
        "/api/v1/customers/exports", {"lifecycle_stage": "active"}, content_type="application/json"
    )
    body = response.json()
    assert body["filters"] == {"stage": "active"}
    assert body["format"] == "xlsx"
    assert _xlsx_ids(api_client(agent_a).get(body["file_url"]).getvalue()) == sorted(c.pk for c in wanted)


def test_api_file_of_an_export_not_yet_made_is_a_conflict(api_client, agent_a, team_a):
    # The default (database) backend only queues the task; no worker runs in this test.
    response = api_client(agent_a).post("/api/v1/customers/exports", {}, content_type="application/json")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["file_url"] is None
    response = api_client(agent_a).get(f"/api/v1/customers/exports/{body['id']}/file")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_ready"


def test_api_refuses_unknown_fields_in_an_export_request(api_client, agent_a):
    response = api_client(agent_a).post(
        "/api/v1/customers/exports", {"format": "pdf", "colour": "red"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert {"format", "colour"} <= set(response.json()["error"]["fields"])
    assert not ExportJob.objects.exists()


def test_api_immediate_export_of_a_large_list_points_to_the_jobs_endpoint(
    small_limit, api_client, agent_a, three_of_team_a
):
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "csv"}, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "export_too_large"
    assert "POST /api/v1/customers/exports" in error["message"]
    assert "2" in error["message"]
    assert not ExportJob.objects.exists()
    # Still fine for a list within the limit.
    response = api_client(agent_a).get(
        "/api/v1/customers/export", {"format": "csv", "q": three_of_team_a[0].national_id}
    )
    assert response.status_code == 200


def test_openapi_documents_the_export_jobs_and_their_errors(api_client, admin):
    paths = api_client(admin).get("/api/v1/openapi.json").json()["paths"]
    assert "409" in paths["/api/v1/customers/export"]["get"]["responses"]
    assert "202" in paths["/api/v1/customers/exports"]["post"]["responses"]
    file_responses = paths["/api/v1/customers/exports/{pk}/file"]["get"]["responses"]
    assert {"200", "404", "409"} <= set(file_responses)
    assert set(file_responses["200"]["content"]) == {XLSX, "text/csv"}


# --- the list and its export hold the same customers ----------------------------------------------------------


@pytest.fixture
def varied(agent_a, team_a, team_b):
    """Customers that differ in every way the list filters on."""
    org = OrganizationFactory(team=team_a)
    shiraz = CustomerFactory(team=team_a, lifecycle_stage="active", phone="+989121112233")
    CustomerAddress.objects.create(customer=shiraz, city="شیراز", province="فارس", line="")
    tagged = services.customer_create(
        by=agent_a, data={"first_name": "سارا", "last_name": "کاظمی", "team_id": team_a.pk, "tags": ["وفادار"]}
    )
    recent = CustomerFactory(team=team_a, lifecycle_stage="lost", organization=org, phone="+989351112233")
    Customer.objects.filter(pk=recent.pk).update(last_interaction_at=timezone.now() - dt.timedelta(days=30))
    stale = CustomerFactory(team=team_a, owner=agent_a)
    Customer.objects.filter(pk=stale.pk).update(last_interaction_at=timezone.now() - dt.timedelta(days=200))
    CustomerFactory(team=team_b, lifecycle_stage="active")  # never agent A's
    return {"org": org, "shiraz": shiraz, "tagged": tagged, "recent": recent, "stale": stale}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"stage": "active"},
        {"kind": "organization"},
        {"city": "شیراز"},
        {"tag": "وفادار"},
        {"q": "کاظمی"},
        {"health": "missing_phone"},
        {"health": "inactive"},
        {"health": "inactive", "months": "3"},
        {"health": "inactive", "months": "3", "stage": "lost"},
        {"health": "not-a-problem"},
        {"stage": "nonsense", "months": "x"},
        {"organization": "ORG"},  # the list has no such filter, so neither has its export
        {"owner": "AGENT"},
        {"team": "TEAM"},
    ],
)
def test_the_export_of_a_list_holds_exactly_the_customers_the_list_shows(agent_a, team_a, varied, query):
    ids = {"ORG": str(varied["org"].pk), "AGENT": str(agent_a.pk), "TEAM": str(team_a.pk)}
    query = {k: ids.get(v, v) for k, v in query.items()}
    listed = page_queries.customer_list_page(
        user=agent_a, filters=page_queries.ListFilters.from_query(query), limit=1000
    ).items
    response = client_for(agent_a).get(reverse("customers:export"), {**query, "format": "csv"})
    exported = _csv_ids(response.getvalue())
    assert sorted(exported) == sorted(c.pk for c in listed)
    assert len(exported) == len(set(exported))


def test_filters_survive_the_trip_through_a_job():
    filters = exporting.ExportFilters(q="علی", stage="active", owner=3, health="inactive", months=6, organization=9)
    assert exporting.ExportFilters.from_json(filters.as_json()) == filters
    assert exporting.ExportFilters.from_json({"stage": "lost", "gone_in_a_later_version": 1}).stage == "lost"


# --- leading zeros ---------------------------------------------------------------------------------------------


@pytest.fixture
def zeros(agent_a, team_a):
    customer = services.customer_create(
        by=agent_a,
        data={
            "first_name": "علی",
            "last_name": "کریمی",
            "national_id": "0012345679",
            "team_id": team_a.pk,
            "addresses": [{"province": "تهران", "city": "تهران", "line": "ولیعصر", "postal_code": "1234567890"}],
        },
    )
    return customer


def test_xlsx_keeps_national_and_postal_codes_as_text_with_their_zeros(api_client, agent_a, zeros):
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "xlsx", "lang": "en"})
    ws = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    cells = dict(zip([c.value for c in ws[1]], ws[2], strict=True))
    national_code = cells["National code / national ID"]
    assert (national_code.value, national_code.data_type) == ("0012345679", "s")
    assert (cells["Postal code"].value, cells["Postal code"].data_type) == ("1234567890", "s")


def test_csv_writes_national_and_postal_codes_as_plain_digits(api_client, agent_a, zeros):
    # No ="…" (a formula) and no marker character: the CSV is exact data for every program; Excel users
    # are pointed to XLSX (see docs/import-export.md).
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "csv", "lang": "en"})
    header, row = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    record = dict(zip(header, row, strict=True))
    assert record["National code / national ID"] == "0012345679"
    assert record["Postal code"] == "1234567890"
    assert b'="' not in response.getvalue()


def test_the_export_pages_explain_which_format_suits_excel(agent_a):
    page = client_for(agent_a).get(reverse("customers:exports")).content.decode()
    assert 'id="export-formats-help"' in page


# --- the CLI ----------------------------------------------------------------------------------------------------


def test_cli_exports_a_data_health_list_and_ignores_the_inline_limit(tmp_path, settings, admin, team_a):
    settings.PEYVAND_EXPORT_INLINE_ROWS = 0
    stale = [CustomerFactory(team=team_a) for _ in range(2)]
    fresh = CustomerFactory(team=team_a)
    Customer.objects.filter(pk=fresh.pk).update(last_interaction_at=timezone.now())
    target = tmp_path / "stale.csv"
    call_command("export_customers", str(target), "--health", "inactive", "--months", "3")
    assert _csv_ids(target.read_bytes()) == sorted(c.pk for c in stale)
    assert not ExportJob.objects.exists()


def test_cli_refuses_months_out_of_range(tmp_path, admin):
    with pytest.raises(CommandError, match="--months"):
        call_command("export_customers", str(tmp_path / "x.csv"), "--health", "inactive", "--months", "0")


def test_an_export_whose_worker_never_finished_is_removed_after_the_keeping_time(agent_a):
    stuck = ExportJob.objects.create(by=agent_a, file_format="csv", status=ExportStatus.RUNNING)
    recent = ExportJob.objects.create(by=agent_a, file_format="csv", status=ExportStatus.PENDING)
    ExportJob.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert exporting.export_jobs_clean() == 1
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
