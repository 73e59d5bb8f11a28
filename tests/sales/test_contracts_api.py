"""The contracts API as a client uses it: create, read, list and filter, change, activate, terminate and renew,
attach and download files, all scoped like customers (another team's contract answers 404), every milestone
on the customer's timeline, and bad input refused per field."""

import datetime as dt
import io
import os
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from factories import CustomerFactory
from peyvand.customers.models import Interaction
from peyvand.sales.models import Contract, ContractFile
from peyvand.sales.services import contracts as services
from peyvand.sales.services.contracts import files as contract_files

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


@pytest.fixture
def make_contract(agent_a, team_a):
    def make(*, customer, status="active", start=None, end=None, **fields):
        today = timezone.localdate()
        return Contract.objects.create(
            number=fields.pop("number", f"CT-T-{Contract.objects.count() + 1:05d}"),
            title=fields.pop("title", "پشتیبانی سالانه"),
            customer=customer,
            status=status,
            start_date=start or today - dt.timedelta(days=100),
            end_date=end or today + dt.timedelta(days=265),
            value=fields.pop("value", 1_200_000_000),
            owner=fields.pop("owner", customer.owner),
            team=fields.pop("team", customer.team),
            **fields,
        )

    return make


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def patch(client, url, data, **extra):
    return client.patch(url, data, content_type="application/json", **extra)


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error["fields"]


def contract_events(contract_id):
    kind = ContentType.objects.get_for_model(Contract)
    return list(Interaction.objects.filter(related_type=kind, related_id=str(contract_id)).order_by("id"))


# --- create, read, change ---------------------------------------------------------------------------------


def test_agent_creates_a_numbered_draft_contract_with_jalali_dates(client_a, agent_a, team_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    response = post(
        client_a,
        "/api/v1/contracts",
        {
            "customer_id": customer_a.pk,
            "deal_id": deal.pk,
            "title": " قرارداد پشتیبانی ۱۴۰۵ ",
            "start_date": "1405/01/01",
            "end_date": "1405/12/29",
            "value": 4_800_000_000,
            "renewal_notice_days": 45,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CT-")
    assert body["title"] == "قرارداد پشتیبانی ۱۴۰۵"
    assert body["status"] == "draft"
    assert (body["start_date"], body["end_date"]) == ("2026-03-21", "2027-03-20")
    assert body["value"] == 4_800_000_000
    assert (body["owner_id"], body["team_id"], body["deal_id"]) == (agent_a.pk, team_a.pk, deal.pk)
    assert body["renewal_notice_days"] == 45
    assert body["files"] == []
    [event] = contract_events(body["id"])
    assert event.customer_id == customer_a.pk
    assert body["number"] in event.subject


def test_two_contracts_get_consecutive_numbers(client_a, customer_a):
    data = {"customer_id": customer_a.pk, "title": "الف", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    first = post(client_a, "/api/v1/contracts", data).json()["number"]
    second = post(client_a, "/api/v1/contracts", data).json()["number"]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_bad_contract_input_is_refused_per_field_and_nothing_is_written(client_a, customer_a, customer_b, make_deal):
    other_deal = make_deal(customer=customer_b)
    fields = error_fields(
        post(
            client_a,
            "/api/v1/contracts",
            {
                "customer_id": customer_a.pk,
                "deal_id": other_deal.pk,
                "title": "",
                "start_date": "1405/02/01",
                "end_date": "1405/01/01",
                "value": -5,
                "renewal_notice_days": 400,
            },
        )
    )
    assert set(fields) == {"deal_id", "title", "end_date", "value", "renewal_notice_days"}
    assert Contract.objects.count() == 0
    assert contract_events(1) == []


def test_a_value_must_be_a_json_integer(client_a, customer_a):
    data = {"customer_id": customer_a.pk, "title": "x", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    assert "value" in error_fields(post(client_a, "/api/v1/contracts", {**data, "value": "1000"}))
    assert "value" in error_fields(post(client_a, "/api/v1/contracts", {**data, "value": 10.5}))


def test_another_teams_customer_is_no_such_customer(client_a, customer_b):
    data = {"customer_id": customer_b.pk, "title": "x", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    assert "customer_id" in error_fields(post(client_a, "/api/v1/contracts", data))


def test_patch_changes_fields_and_a_new_end_owes_the_reminder_again(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, renewal_reminded_at=timezone.now())
    response = patch(client_a, f"/api/v1/contracts/{contract.pk}", {"value": 5, "end_date": "2030-01-01"})
    assert response.status_code == 200, response.content
    contract.refresh_from_db()
    assert (contract.value, contract.end_date) == (5, dt.date(2030, 1, 1))
    assert contract.renewal_reminded_at is None


def test_patch_refuses_an_end_before_the_stored_start(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, start=dt.date(2026, 5, 1), end=dt.date(2026, 12, 1))
    assert "end_date" in error_fields(patch(client_a, f"/api/v1/contracts/{contract.pk}", {"end_date": "2026-04-01"}))


def test_a_terminated_contract_is_not_changed(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, status="terminated")
    assert "status" in error_fields(patch(client_a, f"/api/v1/contracts/{contract.pk}", {"value": 1}))


# --- list and scope ---------------------------------------------------------------------------------------


def test_list_filters_by_status_customer_and_ending_soon(client_a, customer_a, agent_a, make_contract):
    today = timezone.localdate()
    soon = make_contract(customer=customer_a, end=today + dt.timedelta(days=20))
    later = make_contract(customer=customer_a, end=today + dt.timedelta(days=200))
    draft = make_contract(customer=customer_a, status="draft", end=today + dt.timedelta(days=10))
    other_customer = CustomerFactory(team=customer_a.team, owner=agent_a)
    elsewhere = make_contract(customer=other_customer)

    def ids(query):
        response = client_a.get("/api/v1/contracts" + query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids("") == {soon.pk, later.pk, draft.pk, elsewhere.pk}
    assert ids("?ending_within_days=30") == {soon.pk}
    assert ids("?status=draft") == {draft.pk}
    assert ids(f"?customer_id={other_customer.pk}") == {elsewhere.pk}
    assert error_fields(client_a.get("/api/v1/contracts?status=lost"))


def test_agent_of_another_team_gets_404_for_contracts_and_their_files(api_client, agent_b, customer_a, make_contract):
    contract = make_contract(customer=customer_a)
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    row = services.contract_file_add(contract=contract, by=customer_a.owner, upload=upload)
    client_b = api_client(agent_b)
    base = f"/api/v1/contracts/{contract.pk}"
    assert client_b.get(base).status_code == 404
    assert patch(client_b, base, {"value": 1}).status_code == 404
    assert post(client_b, base + "/activate").status_code == 404
    assert post(client_b, base + "/terminate", {"reason": "x"}).status_code == 404
    assert post(client_b, base + "/renew").status_code == 404
    assert client_b.get(base + "/files").status_code == 404
    assert client_b.get(f"{base}/files/{row.pk}").status_code == 404
    assert client_b.delete(f"{base}/files/{row.pk}").status_code == 404
    upload = SimpleUploadedFile("more.pdf", PDF, content_type="application/pdf")
    assert client_b.post(base + "/files", {"file": upload}).status_code == 404
    assert client_b.get("/api/v1/contracts").json()["items"] == []
    assert ContractFile.objects.filter(contract=contract).count() == 1


def test_manager_sees_the_sub_teams_contracts(api_client, manager_a, agent_a_sub, team_a_sub, make_contract):
    customer = CustomerFactory(team=team_a_sub, owner=agent_a_sub)
    contract = make_contract(customer=customer)
    assert api_client(manager_a).get(f"/api/v1/contracts/{contract.pk}").status_code == 200


def test_anonymous_is_refused(api_client):
    assert api_client(None).get("/api/v1/contracts").status_code == 401


# --- lifecycle --------------------------------------------------------------------------------------------


def test_activate_then_terminate_with_a_reason(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, status="draft")
    body = post(client_a, f"/api/v1/contracts/{contract.pk}/activate").json()
    assert body["status"] == "active"
    assert body["signed_at"] == timezone.localdate().isoformat()
    assert "status" in error_fields(post(client_a, f"/api/v1/contracts/{contract.pk}/activate"))
    assert "reason" in error_fields(post(client_a, f"/api/v1/contracts/{contract.pk}/terminate", {"reason": " "}))
    body = post(client_a, f"/api/v1/contracts/{contract.pk}/terminate", {"reason": "ورشکستگی مشتری"}).json()
    assert body["status"] == "terminated"
    assert body["termination_reason"] == "ورشکستگی مشتری" and body["terminated_at"]
    subjects = [event.subject for event in contract_events(contract.pk)]
    assert len(subjects) == 2
    assert "ورشکستگی مشتری" in contract_events(contract.pk)[-1].body


def test_renew_by_default_follows_on_for_the_same_term_and_value(client_a, customer_a, make_contract):
    # 1404/01/01 to 1404/12/29: a whole Jalali year, renewed as the whole of 1405 (which ends on 1405/12/29).
    contract = make_contract(customer=customer_a, start=dt.date(2025, 3, 21), end=dt.date(2026, 3, 20))
    response = post(client_a, f"/api/v1/contracts/{contract.pk}/renew")
    assert response.status_code == 201, response.content
    renewal = response.json()
    assert (renewal["start_date"], renewal["end_date"]) == ("2026-03-21", "2027-03-20")
    assert renewal["status"] == "active"
    assert renewal["renewed_from_id"] == contract.pk
    assert renewal["value"] == contract.value
    assert renewal["number"] != contract.number
    old = client_a.get(f"/api/v1/contracts/{contract.pk}").json()
    assert old["status"] == "renewed"
    assert old["renewal_id"] == renewal["id"]
    assert "status" in error_fields(post(client_a, f"/api/v1/contracts/{contract.pk}/renew"))
    assert any(renewal["number"] in event.subject for event in contract_events(renewal["id"]))


def test_renew_with_given_dates_and_value(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 10))
    body = post(
        client_a,
        f"/api/v1/contracts/{contract.pk}/renew",
        {"start_date": "2026-02-01", "end_date": "2026-12-31", "value": 7},
    ).json()
    assert (body["start_date"], body["end_date"], body["value"]) == ("2026-02-01", "2026-12-31", 7)


def test_a_term_of_days_is_renewed_for_as_many_days(customer_a, make_contract):
    contract = make_contract(customer=customer_a, start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 14))
    assert services.renewal_term(contract, dt.date(2026, 1, 15)) == dt.date(2026, 1, 24)


def test_a_draft_is_not_renewed(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a, status="draft")
    assert "status" in error_fields(post(client_a, f"/api/v1/contracts/{contract.pk}/renew"))


# --- files ------------------------------------------------------------------------------------------------


def test_upload_list_download_and_remove_a_file(
    client_a, customer_a, make_contract, django_capture_on_commit_callbacks
):
    contract = make_contract(customer=customer_a)
    upload = SimpleUploadedFile("../../قرارداد امضاشده.pdf", PDF, content_type="text/plain")
    response = client_a.post(f"/api/v1/contracts/{contract.pk}/files", {"file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "قرارداد امضاشده.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    row = ContractFile.objects.get(pk=body["id"])
    # Stored under a generated name inside the contract's folder, never under the name it came with.
    assert row.file.name.startswith(f"contracts/{contract.pk}/")
    assert "قرارداد" not in row.file.name and ".." not in row.file.name
    assert [f["id"] for f in client_a.get(f"/api/v1/contracts/{contract.pk}/files").json()] == [row.pk]
    download = client_a.get(body["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert any("قرارداد امضاشده.pdf" in e.subject for e in contract_events(contract.pk))
    path = row.file.path
    with django_capture_on_commit_callbacks(execute=True):
        assert client_a.delete(body["url"]).status_code == 204
    assert not ContractFile.objects.filter(pk=row.pk).exists()
    assert not os.path.exists(path)


def test_docx_and_png_are_accepted_by_their_content(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a)
    for name, data in (("annex.docx", docx_bytes()), ("stamp.png", PNG)):
        upload = SimpleUploadedFile(name, data)
        assert client_a.post(f"/api/v1/contracts/{contract.pk}/files", {"file": upload}).status_code == 201


@pytest.mark.parametrize(
    "name,data",
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60),  # a program named as a PDF
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("photo.jpg", PDF),  # a PDF named as a photo
        ("notes.txt", b"hello"),
        ("annex.docx", b"PK\x03\x04 not really a zip"),
        ("empty.pdf", b""),
    ],
)
def test_files_of_the_wrong_kind_are_refused(client_a, customer_a, make_contract, name, data):
    contract = make_contract(customer=customer_a)
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    fields = error_fields(client_a.post(f"/api/v1/contracts/{contract.pk}/files", {"file": upload}))
    assert "file" in fields
    assert not ContractFile.objects.exists()


def test_a_file_over_the_limit_is_refused_naming_the_limit(client_a, customer_a, make_contract, monkeypatch):
    monkeypatch.setattr(contract_files, "MAX_FILE_BYTES", 1024)
    contract = make_contract(customer=customer_a)
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)
    response = client_a.post(f"/api/v1/contracts/{contract.pk}/files", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    [message] = error_fields(response)["file"]
    assert "at most 0 MB" in message  # the patched limit, in whole MB


def test_the_real_limit_is_twenty_megabytes(customer_a, make_contract):
    contract = make_contract(customer=customer_a)
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (20 * 1024 * 1024))
    with pytest.raises(Exception) as caught:
        services.contract_file_add(contract=contract, by=customer_a.owner, upload=upload)
    assert "20 MB" in str(caught.value)


def test_a_leap_jalali_year_renews_as_the_next_whole_year(customer_a, make_contract):
    # 1403 is a leap year (Esfand has 30 days); the renewal covers the whole of 1404, which ends on 1404/12/29.
    contract = make_contract(customer=customer_a, start=dt.date(2024, 3, 20), end=dt.date(2025, 3, 20))
    assert services.renewal_term(contract, dt.date(2025, 3, 21)) == dt.date(2026, 3, 20)
    # Three months from the 15th renew as three months from the next 15th.
    # 1404/07/15 to 1404/10/14 renews from 1404/10/15 to 1405/01/14.
    quarter = make_contract(customer=customer_a, start=dt.date(2025, 10, 7), end=dt.date(2026, 1, 4))
    assert services.renewal_term(quarter, dt.date(2026, 1, 5)) == dt.date(2026, 4, 3)


def test_unknown_fields_are_refused(client_a, customer_a, make_contract):
    contract = make_contract(customer=customer_a)
    fields = error_fields(patch(client_a, f"/api/v1/contracts/{contract.pk}", {"status": "expired"}))
    assert list(fields) == ["status"]
    contract.refresh_from_db()
    assert contract.status == "active"
