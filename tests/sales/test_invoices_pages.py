"""Invoice pages through the test client: the list's tabs (all, open, overdue), a new invoice with its own lines,
the detail page's payment form (cheque fields, Jalali dates, a second payment refused), cheque bounces, and the
customer ranking page; another team's invoice is a 404."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.core.money import RIALS_PER_UNIT
from peyvand.sales.models import CustomerValue, Invoice, Order, Payment
from peyvand.sales.services.customer_value import ranking_recompute
from peyvand.sales.services.invoices import invoice_create, payment_record
from peyvand.sales.services.orders import order_create

pytestmark = pytest.mark.django_db

PER_UNIT = RIALS_PER_UNIT[str(django_settings.PEYVAND_MONEY_UNIT)]


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def make_invoice(user, customer, *, days_late=None, amount=1_000_000):
    data = {"customer_id": customer.pk, "lines": [{"description": "خدمات", "unit_price": amount, "vat_applies": False}]}
    if days_late is not None:
        today = timezone.localdate()
        data["issue_date"] = today - dt.timedelta(days=days_late + 30)
        data["due_date"] = today - dt.timedelta(days=days_late)
    return invoice_create(by=user, data=data)


def row_ids(html, attribute="data-invoice-id"):
    return [int(pk) for pk in re.findall(rf'{attribute}="(\d+)"', html)]


def test_the_invoice_tabs(agent_a, customer_a):
    late = make_invoice(agent_a, customer_a, days_late=5)
    current = make_invoice(agent_a, customer_a)
    paid = make_invoice(agent_a, customer_a)
    payment_record(invoice=paid, by=agent_a, amount=paid.total, method="cash")
    client = client_for(agent_a)
    everything = client.get(reverse("sales:invoices")).content.decode()
    assert set(row_ids(everything)) == {late.pk, current.pk, paid.pk}
    assert everything.count('data-overdue="1"') == 1
    open_ones = client.get(reverse("sales:invoices") + "?tab=open").content.decode()
    assert set(row_ids(open_ones)) == {late.pk, current.pk}
    overdue = client.get(reverse("sales:invoices") + "?tab=overdue").content.decode()
    assert row_ids(overdue) == [late.pk]
    by_status = client.get(reverse("sales:invoices") + "?status=paid").content.decode()
    assert row_ids(by_status) == [paid.pk]


def test_another_teams_invoice_is_a_404(agent_a, agent_b, customer_a):
    invoice = make_invoice(agent_a, customer_a)
    cheque = payment_record(
        invoice=invoice, by=agent_a, amount=10, method="cheque", cheque_number="1", cheque_due_date="1405/10/01"
    )
    client = client_for(agent_b)
    assert client.get(reverse("sales:invoice_detail", args=[invoice.pk])).status_code == 404
    assert client.post(reverse("sales:payment_add", args=[invoice.pk]), {"amount": "1"}).status_code == 404
    assert client.post(reverse("sales:invoice_cancel", args=[invoice.pk])).status_code == 404
    assert client.post(reverse("sales:cheque_status", args=[cheque.pk]), {"status": "bounced"}).status_code == 404
    assert row_ids(client.get(reverse("sales:invoices")).content.decode()) == []
    assert Payment.objects.get(pk=cheque.pk).cheque_status == "pending"


def test_a_new_invoice_for_part_of_an_order(agent_a, customer_a):
    order = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 10_000_000}])
    client = client_for(agent_a)
    url = reverse("sales:invoice_create")
    page = client.get(url + f"?customer={customer_a.pk}&order={order.pk}")
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "customer": customer_a.pk,
            "order": order.pk,
            "issue_date": "1405/09/01",
            "due_date": "1405/10/01",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "قسط اول",
            "lines-0-unit_price": str(5_000_000 // PER_UNIT),
            "lines-0-quantity": "1",
            "lines-0-vat_applies": "on",
        },
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (invoice.order_id, invoice.net_total) == (order.pk, 5_000_000)
    assert (invoice.issue_date, invoice.due_date) == (dt.date(2026, 11, 22), dt.date(2026, 12, 22))


def test_recording_a_cheque_from_the_invoice_page_then_a_second_payment_is_refused(agent_a, customer_a):
    invoice = make_invoice(agent_a, customer_a)
    client = client_for(agent_a)
    detail = client.get(reverse("sales:invoice_detail", args=[invoice.pk]))
    assert detail.status_code == 200
    assert 'name="cheque_due_date"' in detail.content.decode()
    url = reverse("sales:payment_add", args=[invoice.pk])
    missing = client.post(url, {"amount": str(invoice.total // PER_UNIT), "method": "cheque"})
    assert missing.status_code == 422
    assert "A cheque needs its due date." in missing.content.decode()
    ok = client.post(
        url,
        {
            "amount": str(invoice.total // PER_UNIT),
            "method": "cheque",
            "cheque_number": "998877",
            "cheque_bank": "ملی",
            "cheque_due_date": "1405/10/15",
        },
    )
    assert ok.status_code == 302
    cheque = Payment.objects.get()
    assert (cheque.cheque_due_date, cheque.cheque_status) == (dt.date(2027, 1, 5), "pending")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    twice = client.post(url, {"amount": str(invoice.total // PER_UNIT), "method": "cash"})
    assert twice.status_code == 422
    assert "is it already paid?" in twice.content.decode()
    assert Payment.objects.count() == 1
    # The bounce reopens the invoice, and the page offers the payment form again.
    client.post(reverse("sales:cheque_status", args=[cheque.pk]), {"status": "bounced"})
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    again = client.post(url, {"amount": "1", "method": "cash"})
    assert again.status_code == 302


def test_an_overpayment_is_sent_back_with_the_error_on_the_amount(agent_a, customer_a):
    invoice = make_invoice(agent_a, customer_a)
    response = client_for(agent_a).post(
        reverse("sales:payment_add", args=[invoice.pk]),
        {"amount": str(invoice.total // PER_UNIT + 1), "method": "cash"},
    )
    assert response.status_code == 422
    assert "is it already paid?" in response.content.decode()
    assert not Payment.objects.exists()


def test_cheques_due_this_week_are_listed_above_the_invoices(agent_a, agent_b, customer_a):
    invoice = make_invoice(agent_a, customer_a)
    soon = payment_record(
        invoice=invoice,
        by=agent_a,
        amount=10,
        method="cheque",
        cheque_number="111",
        cheque_due_date=timezone.localdate() + dt.timedelta(days=2),
    )
    payment_record(
        invoice=invoice,
        by=agent_a,
        amount=10,
        method="cheque",
        cheque_number="222",
        cheque_due_date=timezone.localdate() + dt.timedelta(days=40),
    )
    html = client_for(agent_a).get(reverse("sales:invoices")).content.decode()
    assert row_ids(html, "data-cheque-id") == [soon.pk]
    assert 'id="cheques-due"' not in client_for(agent_b).get(reverse("sales:invoices")).content.decode()


def test_cancelling_an_invoice_from_its_page(agent_a, customer_a):
    invoice = make_invoice(agent_a, customer_a)
    client_for(agent_a).post(reverse("sales:invoice_cancel", args=[invoice.pk]), {"reason": "اشتباه"})
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_the_ranking_page(agent_a, agent_b, manager_a, customer_a, customer_b):
    order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 1_000}])
    order_create(by=agent_b, customer_id=customer_b.pk, lines=[{"description": "y", "unit_price": 5_000}])
    assert Order.objects.count() == 2
    assert client_for(agent_a).post(reverse("sales:customer_ranking_recompute")).status_code == 403
    client_for(manager_a).post(reverse("sales:customer_ranking_recompute"))
    assert CustomerValue.objects.count() == 2
    html = client_for(agent_a).get(reverse("sales:customer_ranking")).content.decode()
    # Only their own customer, with the rank it holds among all customers.
    assert row_ids(html, "data-customer-id") == [customer_a.pk]
    assert "Recompute now" not in html
    ranking_recompute()
    assert "Recompute now" in client_for(manager_a).get(reverse("sales:customer_ranking")).content.decode()
