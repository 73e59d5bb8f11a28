"""Exporting customer lists to XLSX and CSV through the page, the API and the CLI: layout, safety, scope, size."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import override

from factories import CustomerFactory, OrganizationFactory
from peyvand.core.phone import format_phone
from peyvand.customers import demo, exporting, services
from peyvand.customers.models import Customer, CustomField

pytestmark = pytest.mark.django_db

FA_MO = Path(django_settings.LOCALE_PATHS[0]) / "fa" / "LC_MESSAGES" / "django.mo"
FORMULA = '=HYPERLINK("http://x")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def karimi(agent_a, team_a):
    """A customer of team A with every kind of detail an export shows."""
    customer = services.customer_create(
        by=agent_a,
        data={
            "first_name": "علی",
            "last_name": "کریمی",
            "national_id": "0012345679",
            "birth_date": "1990-03-21",  # ۱ فروردین ۱۳۶۹
            "lifecycle_stage": "active",
            "phones": [{"number": "09121234567", "is_primary": True}, {"number": "+44 20 7946 0958"}],
            "emails": [{"email": "ali@example.com"}],
            "addresses": [{"province": "تهران", "city": "تهران", "line": "خیابان ولیعصر، پلاک ۱۲"}],
            "tags": ["وفادار"],
            "notes": FORMULA,
            "team_id": team_a.pk,
        },
    )
    services.consent_set(customer=customer, by=agent_a, channel="sms", granted=True, method="written")
    return customer


@pytest.fixture
def other_team_customer(agent_b, team_b):
    return services.customer_create(by=agent_b, data={"first_name": "مریم", "last_name": "نوری", "team_id": team_b.pk})


def _sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def _table(ws) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _cells(ws, row: int) -> dict[str, openpyxl.cell.Cell]:
    """The cells of one row by their column's header."""
    header = [c.value for c in ws[1]]
    return dict(zip(header, ws[row], strict=True))


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _page_export(user, **params: str):
    response = client_for(user).get(reverse("customers:export"), params)
    assert response.status_code == 200
    return response, response.getvalue()


# --- XLSX ----------------------------------------------------------------------------------------------------


def test_xlsx_in_persian_is_right_to_left_with_jalali_dates_and_phones_as_text(agent_a, karimi):
    response, content = _page_export(agent_a, format="xlsx")
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="customers-14')

    ws = _sheet(content)
    assert ws.sheet_view.rightToLeft
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}2"
    cells = _cells(ws, 2)
    if FA_MO.exists():
        assert "نام خانوادگی" in cells
        assert cells["مرحلهٔ چرخهٔ عمر"].value == "فعال"
    by_position = list(cells.values())
    mobile, others, national_code = by_position[8], by_position[9], by_position[7]
    assert (mobile.value, mobile.data_type) == ("0912 123 4567", "s")
    assert others.value == "0044 20 7946 0958"  # + written as 00: dialable from Iran, never a formula
    assert (national_code.value, national_code.data_type) == ("0012345679", "s")
    birth = by_position[[c.value for c in ws[1]].index(_header("birth_date"))]
    assert birth.value == "۱۳۶۹/۰۱/۰۱"
    assert ws.column_dimensions["C"].width >= 28  # the name
    assert ws.column_dimensions["A"].width < ws.column_dimensions["C"].width


def _header(field: str) -> str:
    with override("fa"):
        return str(capfirst(Customer._meta.get_field(field).verbose_name))


def test_xlsx_writes_a_formula_as_text_with_an_apostrophe_in_front(agent_a, karimi):
    _response, content = _page_export(agent_a, format="xlsx")
    ws = _sheet(content)
    notes = next(c for c in ws[2] if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert notes.value == "'" + FORMULA
    assert notes.data_type == "s"  # a formula would be "f"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_in_english_is_left_to_right_with_english_headers_and_real_dates(api_client, agent_a, karimi):
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "xlsx", "lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    ws = _sheet(response.getvalue())
    assert not ws.sheet_view.rightToLeft
    row = _table(ws)[0]
    assert row["First name"] == "علی"
    assert row["Lifecycle stage"] == "Active"
    assert row["Birth date"].date() == dt.date(1990, 3, 21)  # a real Excel date, not text
    assert isinstance(row["Created on"], dt.datetime)
    assert row["Primary phone"] == "0912 123 4567"
    assert row["Consent: SMS"] == "Yes"
    assert row["Consent: E-mail"] == "—"
    assert row["Tags"] == "وفادار"
    assert row["City"] == "تهران"


def test_xlsx_has_a_column_for_each_active_custom_field(admin, karimi):
    CustomField.objects.create(key="size", label_fa="اندازهٔ شرکت", label_en="Company size", field_type="number")
    CustomField.objects.create(key="old", label_fa="قدیمی", label_en="Old", field_type="text", is_active=False)
    Customer.objects.filter(pk=karimi.pk).update(custom_fields={"size": 40, "old": "x"})
    _response, content = _page_export(admin, format="xlsx")
    header = [c.value for c in _sheet(content)[1]]
    assert header[-1] == "اندازهٔ شرکت"
    assert "قدیمی" not in header
    assert _table(_sheet(content))[0]["اندازهٔ شرکت"] == 40


def test_a_list_longer_than_a_sheet_goes_on_to_a_second_sheet(admin, team_a, monkeypatch):
    monkeypatch.setattr(exporting.xlsx, "XLSX_MAX_ROWS", 2)
    for _ in range(5):
        CustomerFactory(team=team_a)
    _response, content = _page_export(admin, format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert [ws.max_row for ws in book.worksheets] == [3, 3, 2]  # each with its header
    ids = [row[0] for ws in book.worksheets for row in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == ids and len(ids) == 5


# --- CSV -----------------------------------------------------------------------------------------------------


def test_csv_has_a_bom_keeps_persian_text_and_neutralises_formulas(agent_a, karimi):
    response, content = _page_export(agent_a, format="csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-14')
    assert content.startswith(b"\xef\xbb\xbf")
    header, row = _csv(content)
    assert len(header) == len(row)
    assert row[0] == str(karimi.pk)
    assert "علی کریمی" in row
    assert "'" + FORMULA in row
    assert FORMULA not in row
    assert "۱۳۶۹/۰۱/۰۱" in row
    assert "0912 123 4567" in row


def test_neutralise_guards_every_formula_start_and_leaves_other_text_alone():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert exporting.neutralise(start + "1+1") == "'" + start + "1+1"
    assert exporting.neutralise("علی") == "علی"
    assert exporting.neutralise("0912 123 4567") == "0912 123 4567"


def test_the_file_is_named_for_the_day_in_the_readers_calendar():
    day = dt.date(2026, 11, 27)
    assert exporting.export_filename("xlsx", "fa", day) == "customers-1405-09-06.xlsx"
    assert exporting.export_filename("csv", "en", day) == "customers-2026-11-27.csv"


# --- scope and filters ---------------------------------------------------------------------------------------


def test_agent_exports_only_the_customers_they_may_see(agent_a, karimi, other_team_customer):
    _response, content = _page_export(agent_a, format="csv")
    ids = [row[0] for row in _csv(content)[1:]]
    assert ids == [str(karimi.pk)]


def test_organisation_name_is_left_out_when_the_organisation_is_not_visible(agent_a, team_a, team_b):
    hidden = OrganizationFactory(team=team_b, name="شرکت پنهان")
    shown = OrganizationFactory(team=team_a, name="شرکت پیدا")
    CustomerFactory(team=team_a, organization=hidden)
    CustomerFactory(team=team_a, organization=shown)
    _response, content = _page_export(agent_a, format="csv", kind="person")
    text = content.decode("utf-8-sig")
    assert "شرکت پیدا" in text
    assert "شرکت پنهان" not in text


def test_stage_filter_is_honoured(api_client, agent_a, karimi, team_a):
    CustomerFactory(team=team_a, lifecycle_stage="lost")
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "csv", "lifecycle_stage": "active"})
    assert response.status_code == 200
    assert [row[0] for row in _csv(response.getvalue())[1:]] == [str(karimi.pk)]


def test_a_data_health_list_exports_exactly_its_customers(api_client, agent_a, karimi, team_a):
    # The health page links to the list filtered by a problem; its export must carry that filter too.
    phoneless = CustomerFactory(team=team_a)
    phoneless.phones.all().delete()
    assert karimi.phones.exists()
    response, content = _page_export(agent_a, format="csv", health="missing_phone")
    assert [row[0] for row in _csv(content)[1:]] == [str(phoneless.pk)]
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "csv", "health": "missing_phone"})
    assert [row[0] for row in _csv(response.getvalue())[1:]] == [str(phoneless.pk)]


def test_text_search_is_honoured(agent_a, karimi, team_a):
    CustomerFactory(team=team_a, first_name="زهرا", last_name="رضایی")
    _response, content = _page_export(agent_a, format="csv", q="کریمی")
    assert [row[0] for row in _csv(content)[1:]] == [str(karimi.pk)]


def test_search_results_are_read_page_after_page(admin, team_a, monkeypatch):
    monkeypatch.setattr(exporting.table, "CHUNK", 2)
    wanted = {CustomerFactory(team=team_a, first_name="سارا", last_name="کاظمی").pk for _ in range(5)}
    CustomerFactory(team=team_a, first_name="رضا", last_name="محمدی")
    _response, content = _page_export(admin, format="csv", q="کاظمی")
    ids = [int(row[0]) for row in _csv(content)[1:]]
    assert len(ids) == 5 and set(ids) == wanted


def test_export_of_thousands_of_customers_reads_in_chunks_without_repeats(admin):
    demo.seed_customers(count=3000, seed=1, staff=demo.ensure_staff())
    out = io.BytesIO()
    written = exporting.export_customers(
        user=admin, filters=exporting.ExportFilters(), fmt="csv", out=out, language="fa"
    )
    ids = [int(row[0]) for row in _csv(out.getvalue())[1:]]
    live = Customer.objects.filter(deleted_at__isnull=True).count()
    assert written == len(ids) == live >= 3000 > exporting.table.CHUNK
    assert ids == sorted(set(ids))


def test_a_scoped_export_walks_each_part_of_the_scope_and_merges_them_in_id_order(agent_a, team_a, team_b, monkeypatch):
    monkeypatch.setattr(exporting.table, "CHUNK", 2)
    mine_elsewhere = [CustomerFactory(team=team_b, owner=agent_a) for _ in range(2)]
    team = [CustomerFactory(team=team_a) for _ in range(3)]
    both = CustomerFactory(team=team_a, owner=agent_a)  # in two parts of the scope, exported once
    CustomerFactory(team=team_b)
    _response, content = _page_export(agent_a, format="csv")
    ids = [int(row[0]) for row in _csv(content)[1:]]
    assert ids == sorted(c.pk for c in [*mine_elsewhere, *team, both])


def test_phones_are_written_as_dialled_from_iran_exactly_as_the_pages_show_them():
    for number in ("+989121234567", "+989901234567", "+989351112233", "+982188776655", "+985138001234"):
        assert exporting.export_phone(number) == format_phone(number, "en")
    assert exporting.export_phone("+442079460958") == "0044 20 7946 0958"


# --- the page ------------------------------------------------------------------------------------------------


def test_list_page_offers_an_export_that_carries_its_filters(agent_a, karimi):
    client = client_for(agent_a)
    page = client.get(reverse("customers:list"), {"stage": "active", "cursor": "x"}).content.decode()
    assert f"{reverse('customers:export')}?format=xlsx&amp;stage=active" in page
    assert "format=csv&amp;stage=active" in page
    # Filters changed in place (HTMX) swap the menu's items too, so its links follow them; the menu element
    # itself stays, as Bootstrap's dropdown holds on to it.
    partial = client.get(
        reverse("customers:list"),
        {"kind": "person"},
        headers={"HX-Request": "true", "HX-Target": "customer-results"},
    ).content.decode()
    assert 'id="customer-export-menu" hx-swap-oob="innerHTML"' in partial
    assert "format=xlsx&amp;kind=person" in partial


def test_anonymous_export_is_sent_to_log_in():
    response = Client().get(reverse("customers:export"), {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the API -------------------------------------------------------------------------------------------------


def test_api_export_needs_a_token(api_client):
    response = api_client(None).get("/api/v1/customers/export", {"format": "xlsx"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_export_refuses_an_unknown_format(api_client, agent_a):
    response = api_client(agent_a).get("/api/v1/customers/export", {"format": "pdf"})
    assert response.status_code == 422
    assert "format" in response.json()["error"]["fields"]


def test_openapi_documents_the_export_file_types(api_client, admin):
    schema = api_client(admin).get("/api/v1/openapi.json").json()
    content = schema["paths"]["/api/v1/customers/export"]["get"]["responses"]["200"]["content"]
    assert set(content) == {XLSX, "text/csv"}


# --- the CLI -------------------------------------------------------------------------------------------------


def test_cli_writes_the_file_for_the_named_user(tmp_path, agent_a, karimi, other_team_customer, capsys):
    target = tmp_path / "out.xlsx"
    call_command("export_customers", str(target), "--user", "agent_a")
    assert "Wrote 1 customers" in capsys.readouterr().out
    ws = _sheet(target.read_bytes())
    assert ws.sheet_view.rightToLeft
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == [karimi.pk]
    assert not list(tmp_path.glob(".*partial"))


def test_cli_without_a_user_exports_what_the_first_administrator_sees(
    tmp_path, admin, karimi, other_team_customer, capsys
):
    target = tmp_path / "all.csv"
    call_command("export_customers", str(target), "--lang", "en", "--stage", "active")
    out = capsys.readouterr()
    assert "administrator 'admin'" in out.err
    rows = _csv(target.read_bytes())
    assert rows[0][:3] == ["ID", "Kind", "Full name"]
    assert [row[0] for row in rows[1:]] == [str(karimi.pk)]


def test_cli_refuses_a_file_name_it_cannot_tell_the_format_of(tmp_path, admin):
    with pytest.raises(CommandError, match=r"must end in \.xlsx or \.csv") as error:
        call_command("export_customers", str(tmp_path / "out.pdf"))
    assert error.value.returncode == 2
    assert not (tmp_path / "out.pdf").exists()


def test_cli_refuses_an_unknown_user(tmp_path, admin):
    with pytest.raises(CommandError, match="No active user named 'nobody'") as error:
        call_command("export_customers", str(tmp_path / "out.csv"), "--user", "nobody")
    assert error.value.returncode == 2


def test_cli_leaves_no_file_behind_when_the_export_fails(tmp_path, admin, karimi, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(exporting.table, "_rows", fail)
    with pytest.raises(RuntimeError):
        call_command("export_customers", str(tmp_path / "out.xlsx"))
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_folder_it_cannot_write_to(tmp_path, admin):
    with pytest.raises(CommandError, match="Could not write"):
        call_command("export_customers", str(tmp_path / "missing" / "out.csv"))


# --- served under ASGI ---------------------------------------------------------------------------------------


async def _read(response) -> bytes:
    return b"".join([part async for part in response.streaming_content])


def test_csv_and_xlsx_stream_under_asgi_too(agent_a, karimi):
    # Django reads a synchronous iterator whole into memory under ASGI; the export hands it an async one.
    client = AsyncClient()
    async_to_sync(client.aforce_login)(agent_a)
    response = async_to_sync(client.get)(reverse("customers:export"), {"format": "csv"})
    assert response.status_code == 200
    assert response.is_async
    rows = _csv(async_to_sync(_read)(response))
    assert [row[0] for row in rows[1:]] == [str(karimi.pk)]
    response = async_to_sync(client.get)(reverse("customers:export"), {"format": "xlsx"})
    content = async_to_sync(_read)(response)
    assert int(response["Content-Length"]) == len(content)
    assert _sheet(content).sheet_view.rightToLeft
