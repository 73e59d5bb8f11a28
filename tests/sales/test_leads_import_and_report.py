"""Importing leads from CSV and Excel (Persian or English headings, each bad row reported by its line, the good
ones imported) and the per-source conversion report."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from factories import CustomerFactory
from peyvand.sales import lead_selectors
from peyvand.sales.models import Deal, Lead
from peyvand.sales.services import lead_import as lead_services
from peyvand.sales.services.leads import lead_convert

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


def upload(client, content: bytes, name="leads.csv", **form):
    return client.post("/api/v1/leads/import", {"file": SimpleUploadedFile(name, content), **form})


def csv_bytes(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- import -----------------------------------------------------------------------------------------------


def test_it_imports_good_rows_and_reports_bad_ones_by_line(client_a, agent_a, team_a):
    content = csv_bytes(
        [
            "نام,نام خانوادگی,شرکت,تلفن,ایمیل,شهر,منبع,رنگ",
            "علی,رضایی,,09121234567,ali@example.com,تهران,نمایشگاه,آبی",  # line 2: good
            "سارا,,,abc,,,,",  # line 3: bad phone
            ",,,,,شیراز,,",  # line 4: nobody
            ",,صنایع البرز,,info@alborz.example,,,",  # line 5: good
            "رضا,,,0912 123 4567,,,,",  # line 6: same phone as line 2
            "مینا,,,,bad@,,,",  # line 7: bad e-mail
        ]
    )
    response = upload(client_a, content, source_detail="فهرست مهر")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["imported"], body["refused"]) == (6, 2, 4)
    problems = {(p["line"], p["field"]) for p in body["problems"]}
    assert problems == {(3, "phone"), (4, "__all__"), (6, "phone"), (7, "email")}
    assert body["ignored_columns"] == ["رنگ"]
    assert body["columns"]["تلفن"] == "phone"

    ali, alborz = Lead.objects.order_by("id")
    assert (ali.first_name, ali.last_name, ali.phone, ali.city) == ("علی", "رضایی", "+989121234567", "تهران")
    assert (ali.source, ali.source_detail) == ("import", "نمایشگاه")
    assert (alborz.company_name, alborz.source_detail) == ("صنایع البرز", "فهرست مهر")
    assert (ali.owner_id, ali.team_id) == (agent_a.pk, team_a.pk)
    assert sorted(body["lead_ids"]) == [ali.pk, alborz.pk]


def test_english_headings_and_an_excel_file(client_a):
    book = Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "Company", "Phone", "E-mail", "Estimated amount"])
    sheet.append(["Ali", "Rezaei", "Aseman", 9121234567, "ali@example.com", "1,500,000"])
    sheet.append(["", "", "", "", "", ""])
    sheet.append(["Sara", "", "", "", "", "-5"])
    stream = io.BytesIO()
    book.save(stream)
    response = upload(client_a, stream.getvalue(), name="leads.xlsx")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["imported"], body["refused"]) == (1, 1)
    assert [(p["line"], p["field"]) for p in body["problems"]] == [(4, "estimated_amount")]
    lead = Lead.objects.get()
    # Excel dropped the mobile's leading zero; the amount was typed in the site's unit (Toman by default).
    assert lead.phone == "+989121234567"
    assert lead.estimated_amount > 0
    assert lead.company_name == "Aseman"


def test_a_file_with_no_known_heading_is_refused_whole(client_a):
    response = upload(client_a, csv_bytes(["colour,size", "blue,2"]))
    assert response.status_code == 422
    assert response.json()["error"]["message"]
    assert not Lead.objects.exists()


def test_a_file_that_is_not_a_table_is_refused(client_a):
    response = upload(client_a, b"\x00\x01\x02 binary", name="x.csv")
    assert response.status_code == 422
    assert not Lead.objects.exists()


def test_a_file_over_the_row_limit_is_refused_before_anything_is_written(client_a, monkeypatch):
    monkeypatch.setattr(lead_services, "IMPORT_ROW_LIMIT", 3)
    content = csv_bytes(["نام,تلفن", *(f"نفر {i}," for i in range(4))])
    response = upload(client_a, content)
    assert response.status_code == 422
    assert "3" in response.json()["error"]["message"]
    assert not Lead.objects.exists()
    ok = upload(client_a, csv_bytes(["نام,تلفن", *(f"نفر {i}," for i in range(3))]))
    assert ok.json()["imported"] == 3


def test_an_import_only_skips_duplicates_of_leads_the_importer_can_see(client_a, agent_b, team_b):
    Lead.objects.create(first_name="دیگری", phone="+989121234567", owner=agent_b, team=team_b)
    body = upload(client_a, csv_bytes(["نام,تلفن", "علی,09121234567"])).json()
    assert body["imported"] == 1


# --- source report ----------------------------------------------------------------------------------------


@pytest.fixture
def report_leads(agent_a, team_a, agent_b, team_b, stages, make_deal):
    customer = CustomerFactory(team=team_a, owner=agent_a)
    won = make_deal(customer=customer, stage="won", amount=3_000, title="برد")
    lost = make_deal(customer=customer, stage="lost", amount=9_000, title="باخت")

    def lead(source, status="new", **fields):
        return Lead.objects.create(first_name="x", source=source, status=status, owner=agent_a, team=team_a, **fields)

    lead("web_form", "converted", converted_customer=customer, converted_deal=won)
    lead("web_form", "converted", converted_customer=customer, converted_deal=lost)
    lead("web_form", "qualified")
    lead("web_form", "disqualified", disqualified_reason="بودجه")
    lead("referral", "converted", converted_customer=customer, converted_deal=won)
    lead("referral")
    # Another team's lead is not counted for agent_a.
    Lead.objects.create(first_name="y", source="web_form", owner=agent_b, team=team_b)
    return won


def test_the_source_report_counts_each_source_in_one_query(agent_a, report_leads, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = lead_selectors.lead_source_report(user=agent_a, date_from=None, date_to=None)
    by_source = {row.source: row for row in rows}
    web = by_source["web_form"]
    assert (web.leads, web.qualified, web.disqualified, web.converted) == (4, 3, 1, 2)
    assert (web.won_deals, web.won_amount) == (1, 3_000)
    assert web.conversion_rate == 50.0
    referral = by_source["referral"]
    assert (referral.leads, referral.converted, referral.won_deals, referral.won_amount) == (2, 1, 1, 3_000)
    assert [row.source for row in rows] == ["web_form", "referral"]
    total = lead_selectors.source_report_total(rows)
    assert (total.leads, total.converted, total.won_amount) == (6, 3, 6_000)


def test_the_source_report_api_and_its_period(client_a, report_leads):
    body = client_a.get("/api/v1/leads/report/sources").json()
    assert body["total"]["leads"] == 6
    assert {row["source"]: row["conversion_rate"] for row in body["rows"]} == {"web_form": 50.0, "referral": 50.0}
    Lead.objects.filter(source="referral").update(created_at=timezone.now() - dt.timedelta(days=40))
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    body = client_a.get(f"/api/v1/leads/report/sources?date_from={since}").json()
    assert [row["source"] for row in body["rows"]] == ["web_form"]
    assert client_a.get("/api/v1/leads/report/sources?date_from=not-a-date").status_code == 422


def test_a_conversion_through_the_service_shows_in_the_report(agent_a, team_a, stages):
    lead = Lead.objects.create(last_name="نمونه", source="campaign", owner=agent_a, team=team_a, estimated_amount=10)
    result = lead_convert(lead=lead, by=agent_a)
    Deal.objects.filter(pk=result.deal.pk).update(stage=stages["won"])
    [row] = lead_selectors.lead_source_report(user=agent_a, date_from=None, date_to=None)
    assert (row.source, row.converted, row.won_deals, row.won_amount) == ("campaign", 1, 1, 10)
