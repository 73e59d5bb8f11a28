"""The lead pages through the test client: list with filters, new and edit forms with per-field errors, the
detail page's qualification and conversion, the import page's per-row report and the source report; each scoped
to what the user may see."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from factories import CustomerFactory
from peyvand.customers.models import Customer
from peyvand.sales.models import Deal, Lead, LeadStatus

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "fa") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def lead_a(agent_a, team_a):
    return Lead.objects.create(
        first_name="مریم",
        last_name="احمدی",
        phone="+989121234567",
        source="web_form",
        interest="مشاوره شبکه",
        estimated_amount=20_000_000,
        owner=agent_a,
        team=team_a,
    )


@pytest.mark.parametrize(
    "name,args",
    [
        ("sales:leads", []),
        ("sales:lead_create", []),
        ("sales:lead_import", []),
        ("sales:lead_sources", []),
        ("sales:lead_detail", [1]),
        ("sales:lead_edit", [1]),
    ],
)
def test_every_lead_page_needs_a_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("language", ["fa", "en"])
def test_the_lead_pages_open(agent_a, lead_a, language):
    client = client_for(agent_a, language)
    for url in (
        reverse("sales:leads"),
        reverse("sales:lead_create"),
        reverse("sales:lead_import"),
        reverse("sales:lead_sources"),
        reverse("sales:lead_detail", args=[lead_a.pk]),
        reverse("sales:lead_edit", args=[lead_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_the_list_shows_only_visible_leads_and_filters(agent_a, agent_b, team_b, lead_a):
    hidden = Lead.objects.create(company_name="شرکت پنهان", owner=agent_b, team=team_b)
    client = client_for(agent_a, "en")
    html = client.get(reverse("sales:leads")).content.decode()
    assert reverse("sales:lead_detail", args=[lead_a.pk]) in html
    assert "شرکت پنهان" not in html
    html = client.get(reverse("sales:leads") + "?source=referral").content.decode()
    assert reverse("sales:lead_detail", args=[lead_a.pk]) not in html
    html = client.get(reverse("sales:leads") + "?q=09121234567").content.decode()
    assert reverse("sales:lead_detail", args=[lead_a.pk]) in html
    assert client_for(agent_b).get(reverse("sales:lead_detail", args=[lead_a.pk])).status_code == 404
    assert client.get(reverse("sales:lead_detail", args=[hidden.pk])).status_code == 404


def test_the_list_in_persian_shows_jalali_dates_and_persian_digits(agent_a, lead_a):
    html = client_for(agent_a, "fa").get(reverse("sales:leads")).content.decode()
    assert "۰۹۱۲" in html
    assert 'dir="rtl"' in html


def test_a_new_lead_is_saved_from_the_form(agent_a, team_a):
    response = client_for(agent_a).post(
        reverse("sales:lead_create"),
        {
            "first_name": "علی",
            "phone": "0912 765 4321",
            "source": "referral",
            "estimated_amount": "۱٬۰۰۰",
            "owner_id": agent_a.pk,
            "team_id": team_a.pk,
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    assert (lead.phone, lead.source, lead.owner_id) == ("+989127654321", "referral", agent_a.pk)
    assert lead.estimated_amount > 0


def test_the_form_shows_errors_per_field_and_saves_nothing(agent_a, team_a):
    client = client_for(agent_a, "en")
    response = client.post(reverse("sales:lead_create"), {"first_name": "علی", "phone": "abc", "source": "manual"})
    assert response.status_code == 422
    assert "phone" in response.context["form"].errors
    response = client.post(reverse("sales:lead_create"), {"city": "تهران", "source": "manual"})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert not Lead.objects.exists()


def test_editing_a_lead(agent_a, team_a, lead_a):
    response = client_for(agent_a).post(
        reverse("sales:lead_edit", args=[lead_a.pk]),
        {
            "first_name": "مریم",
            "last_name": "احمدی",
            "company_name": "شرکت تازه",
            "phone": "0912 123 4567",
            "source": "web_form",
            "owner_id": agent_a.pk,
            "team_id": team_a.pk,
        },
    )
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.company_name == "شرکت تازه"
    assert lead_a.phone == "+989121234567"


def test_status_buttons_and_disqualifying_without_a_reason(agent_a, lead_a):
    client = client_for(agent_a, "en")
    url = reverse("sales:lead_status", args=[lead_a.pk])
    assert client.post(url, {"status": "qualified"}).status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.status == LeadStatus.QUALIFIED
    response = client.post(url, {"status": "disqualified", "reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["status_form"].errors
    lead_a.refresh_from_db()
    assert lead_a.status == LeadStatus.QUALIFIED


def test_another_teams_agent_cannot_change_or_convert_the_lead(agent_b, lead_a):
    client = client_for(agent_b)
    assert client.post(reverse("sales:lead_status", args=[lead_a.pk]), {"status": "qualified"}).status_code == 404
    assert client.post(reverse("sales:lead_convert", args=[lead_a.pk]), {"create_deal": "on"}).status_code == 404
    assert client.get(reverse("sales:lead_edit", args=[lead_a.pk])).status_code == 404
    assert not Customer.objects.exists()


def test_the_detail_page_offers_matching_customers(agent_a, team_a, lead_a):
    match = CustomerFactory(team=team_a, phone="+989121234567")
    html = client_for(agent_a, "en").get(reverse("sales:lead_detail", args=[lead_a.pk])).content.decode()
    assert f'value="{match.pk}"' in html
    assert match.display_name in html


def test_converting_from_the_page_makes_the_customer_and_opens_the_deal(agent_a, lead_a):
    response = client_for(agent_a).post(
        reverse("sales:lead_convert", args=[lead_a.pk]),
        {"customer": "", "create_deal": "on", "deal_title": "پروژه شبکه", "deal_amount": "2,000,000"},
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert deal.title == "پروژه شبکه"
    lead_a.refresh_from_db()
    assert (lead_a.status, lead_a.converted_deal_id) == (LeadStatus.CONVERTED, deal.pk)
    page = client_for(agent_a, "en").get(reverse("sales:lead_detail", args=[lead_a.pk])).content.decode()
    assert reverse("sales:deal_detail", args=[deal.pk]) in page
    # A converted lead's edit page sends the user back to the lead.
    assert client_for(agent_a).get(reverse("sales:lead_edit", args=[lead_a.pk])).status_code == 302


def test_linking_to_a_matching_customer_from_the_page(agent_a, team_a, lead_a):
    match = CustomerFactory(team=team_a, owner=agent_a, phone="+989121234567")
    response = client_for(agent_a).post(
        reverse("sales:lead_convert", args=[lead_a.pk]), {"customer": str(match.pk), "create_deal": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[match.pk])
    assert Customer.objects.count() == 1
    assert not Deal.objects.exists()


def test_a_refused_conversion_shows_its_error(agent_a, lead_a):
    response = client_for(agent_a, "en").post(
        reverse("sales:lead_convert", args=[lead_a.pk]), {"customer": "", "create_deal": "on", "deal_amount": "-5"}
    )
    assert response.status_code == 422
    assert "deal_amount" in response.context["convert_form"].errors
    assert not Customer.objects.exists()


def test_the_import_page_lists_each_bad_row(agent_a):
    content = "نام,تلفن,ایمیل\nعلی,09121234567,\nسارا,abc,\n".encode()
    response = client_for(agent_a, "en").post(
        reverse("sales:lead_import"), {"file": SimpleUploadedFile("leads.csv", content), "source_detail": "مهر"}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.rows, report.imported) == (2, 1)
    assert [(p.line, p.field) for p in report.problems] == [(3, "phone")]
    assert 'id="import-problems"' in response.content.decode()
    assert Lead.objects.get().source_detail == "مهر"


def test_the_import_page_refuses_a_file_it_cannot_read(agent_a):
    response = client_for(agent_a, "en").post(
        reverse("sales:lead_import"), {"file": SimpleUploadedFile("x.csv", b"colour,size\nblue,2\n")}
    )
    assert response.status_code == 422
    assert "file" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_the_source_report_page_shows_each_source(agent_a, team_a, lead_a):
    Lead.objects.create(first_name="x", source="referral", status="converted", owner=agent_a, team=team_a)
    response = client_for(agent_a, "en").get(reverse("sales:lead_sources"))
    assert response.status_code == 200
    sources = {row.source: row for row in response.context["rows"]}
    assert (sources["web_form"].leads, sources["referral"].converted) == (1, 1)
    html = response.content.decode()
    assert 'id="source-table"' in html and 'id="source-chart"' in html
    empty = client_for(agent_a, "en").get(reverse("sales:lead_sources") + "?from=2000-01-01&to=2000-01-02")
    assert empty.context["rows"] == []
