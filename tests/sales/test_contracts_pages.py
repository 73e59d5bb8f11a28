"""The contract pages through the test client: list with its filters, detail, forms with per-field errors,
activate/renew/terminate, files (upload, download only for those who see the contract), and the customer's
360° section; another team's contract answers 404."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.sales.models import Contract, ContractFile
from peyvand.sales.services import contracts as services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user, language="en"):
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def contract(customer_a):
    today = timezone.localdate()
    return Contract.objects.create(
        number="CT-1405-00007",
        title="قرارداد نگهداری",
        customer=customer_a,
        status="active",
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=12),
        value=25_000_000,
        owner=customer_a.owner,
        team=customer_a.team,
    )


@pytest.mark.parametrize(
    "name,args",
    [
        ("sales:contracts", []),
        ("sales:contract_create", []),
        ("sales:contract_detail", [1]),
        ("sales:contract_edit", [1]),
        ("sales:contract_file_download", [1, 1]),
        ("sales:targets", []),
        ("sales:target_edit", []),
    ],
)
def test_every_contract_page_needs_a_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_the_contract_and_filters_ending_soon(agent_a, contract, customer_a):
    later = Contract.objects.create(
        number="CT-1405-00008",
        title="بعدی",
        customer=customer_a,
        status="active",
        start_date=contract.start_date,
        end_date=contract.end_date + dt.timedelta(days=100),
        owner=customer_a.owner,
        team=customer_a.team,
    )
    client = client_for(agent_a)
    response = client.get(reverse("sales:contracts"))
    assert response.status_code == 200
    assert {c.pk for c in response.context["page"].items} == {contract.pk, later.pk}
    response = client.get(reverse("sales:contracts") + "?ending=30")
    assert [c.pk for c in response.context["page"].items] == [contract.pk]
    assert "12 days left" in response.content.decode()
    response = client.get(reverse("sales:contracts") + "?status=draft")
    assert response.context["page"].items == []


def test_the_list_in_persian_is_rtl_with_jalali_dates(agent_a, contract):
    html = client_for(agent_a, "fa").get(reverse("sales:contracts")).content.decode()
    assert 'dir="rtl"' in html
    assert "۱۴۰" in html  # a Jalali year in Persian digits
    assert "CT-۱۴۰۵-۰۰۰۰۷" in html


def test_another_teams_agent_gets_404_on_every_contract_page(agent_b, contract):
    row = services.contract_file_add(contract=contract, by=contract.owner, upload=SimpleUploadedFile("a.pdf", PDF))
    client = client_for(agent_b)
    pk = contract.pk
    assert client.get(reverse("sales:contract_detail", args=[pk])).status_code == 404
    assert client.get(reverse("sales:contract_edit", args=[pk])).status_code == 404
    assert client.get(reverse("sales:contract_file_download", args=[pk, row.pk])).status_code == 404
    assert client.post(reverse("sales:contract_file_remove", args=[pk, row.pk])).status_code == 404
    assert client.post(reverse("sales:contract_activate", args=[pk])).status_code == 404
    assert client.post(reverse("sales:contract_terminate", args=[pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("sales:contract_renew", args=[pk])).status_code == 404
    assert client.get(reverse("sales:contracts")).context["page"].items == []
    # A file id of someone else's contract under one's own contract's address is not found either.
    assert ContractFile.objects.filter(pk=row.pk).exists()


def test_create_from_the_customer_page_and_field_errors(agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    client = client_for(agent_a)
    url = reverse("sales:contract_create") + f"?customer={customer_a.pk}"
    assert client.get(url).status_code == 200
    bad = {
        "customer": customer_a.pk,
        "title": "",
        "start_date": "2026-05-01",
        "end_date": "2026-04-01",
        "renewal_notice_days": "30",
        "value": "abc",
    }
    response = client.post(url, bad)
    assert response.status_code == 422
    form = response.context["form"]
    assert {"title", "value"} <= set(form.errors)
    assert not Contract.objects.exists()
    response = client.post(url, {**bad, "title": "x", "value": "1000"})
    assert response.status_code == 422
    assert "end_date" in response.context["form"].errors
    good = {**bad, "title": "پشتیبانی", "value": "1,000", "end_date": "1406/01/01", "deal_id": str(deal.pk)}
    response = client.post(url, good)
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert response["Location"] == reverse("sales:contract_detail", args=[contract.pk])
    assert (contract.deal_id, contract.status, contract.end_date) == (deal.pk, "draft", dt.date(2027, 3, 21))
    assert contract.value > 0


def test_an_unseen_customer_has_no_new_contract_page(agent_a, customer_b):
    url = reverse("sales:contract_create") + f"?customer={customer_b.pk}"
    assert client_for(agent_a).get(url).status_code == 404


def test_edit_a_contract(agent_a, contract):
    url = reverse("sales:contract_edit", args=[contract.pk])
    client = client_for(agent_a)
    assert client.get(url).status_code == 200
    data = {
        "title": "تمدید شده",
        "start_date": contract.start_date.isoformat(),
        "end_date": "2031-01-01",
        "renewal_notice_days": "60",
        "value": "5",
        "owner_id": str(agent_a.pk),
        "team_id": str(agent_a.team_id),
    }
    assert client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert (contract.title, contract.end_date, contract.renewal_notice_days) == ("تمدید شده", dt.date(2031, 1, 1), 60)


def test_detail_actions_activate_renew_and_terminate(agent_a, contract):
    client = client_for(agent_a)
    detail = client.get(reverse("sales:contract_detail", args=[contract.pk]))
    assert detail.status_code == 200
    assert "12 days" in detail.content.decode()
    response = client.post(reverse("sales:contract_renew", args=[contract.pk]), {"value": "9"})
    renewal = Contract.objects.get(renewed_from=contract)
    assert response["Location"] == reverse("sales:contract_detail", args=[renewal.pk])
    contract.refresh_from_db()
    assert contract.status == "renewed"
    response = client.post(reverse("sales:contract_terminate", args=[renewal.pk]), {"reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["terminate_form"].errors
    client.post(reverse("sales:contract_terminate", args=[renewal.pk]), {"reason": "پایان همکاری"})
    renewal.refresh_from_db()
    assert renewal.status == "terminated"
    draft = Contract.objects.create(
        number="CT-1405-00099",
        title="پیش‌نویس",
        customer=contract.customer,
        status="draft",
        start_date=contract.start_date,
        end_date=contract.end_date,
        owner=agent_a,
        team=agent_a.team,
    )
    client.post(reverse("sales:contract_activate", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "active"


def test_upload_download_and_refusal_on_the_page(agent_a, manager_a, contract):
    client = client_for(agent_a)
    url = reverse("sales:contract_file_upload", args=[contract.pk])
    refused = client.post(url, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00rest")})
    assert refused.status_code == 422
    assert "file" in refused.context["file_form"].errors
    assert client.post(url, {"file": SimpleUploadedFile("signed.pdf", PDF)}).status_code == 302
    row = ContractFile.objects.get()
    download_url = reverse("sales:contract_file_download", args=[contract.pk, row.pk])
    assert download_url in client.get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    download = client.get(download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    # The manager of the contract's team reads it too.
    assert client_for(manager_a).get(download_url).status_code == 200
    # The stored file is not reachable by a public media address.
    assert client.get("/media/" + row.file.name).status_code == 404


def test_the_customer_page_lists_the_customers_contracts(agent_a, agent_b, contract, customer_a):
    page = client_for(agent_a).get(reverse("customers:detail", args=[customer_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="customer-contracts"' in html
    assert f'data-contract-id="{contract.pk}"' in html
    assert "12 days to renewal" in html
