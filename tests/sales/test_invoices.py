"""Invoices through the API: billing an order (once), invoices with lines of their own, partial billing within
the order's total, due dates, the overdue list, cancelling, and the scope (another team's invoice is a 404)."""

import datetime as dt

import pypdfium2 as pdfium
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.core.money import format_money
from peyvand.customers.models import Interaction
from peyvand.sales.models import Invoice
from peyvand.sales.services.invoices import (
    DEFAULT_PAYMENT_DAYS,
    invoice_cancel,
    invoice_create,
    invoice_create_from_order,
    payment_record,
)
from peyvand.sales.services.orders import order_cancel, order_create

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error["fields"]


@pytest.fixture
def order(agent_a, customer_a):
    return order_create(
        by=agent_a,
        customer_id=customer_a.pk,
        lines=[{"description": "سرور", "quantity": 2, "unit_price": 1_000_000}],
    )


def test_invoicing_an_order_copies_its_lines_and_totals(api_client, agent_a, order):
    response = post(api_client(agent_a), f"/api/v1/orders/{order.pk}/invoice", {"issue_date": "1405/09/01"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("INV-1405-")
    assert body["order_id"] == order.pk
    assert (body["net_total"], body["vat_total"], body["total"]) == (2_000_000, 200_000, 2_200_000)
    assert body["issue_date"] == "2026-11-22"
    assert body["due_date"] == str(dt.date(2026, 11, 22) + dt.timedelta(days=DEFAULT_PAYMENT_DAYS))
    assert (body["paid_total"], body["balance"], body["status"]) == (0, 2_200_000, "issued")
    assert [line["net_amount"] for line in body["lines"]] == [2_000_000]
    invoice = Invoice.objects.get(pk=body["id"])
    kind = ContentType.objects.get_for_model(Invoice)
    assert Interaction.objects.filter(related_type=kind, related_id=str(invoice.pk)).count() == 1


def test_an_order_is_invoiced_only_once(api_client, agent_a, order):
    client = api_client(agent_a)
    assert post(client, f"/api/v1/orders/{order.pk}/invoice").status_code == 201
    fields = error_fields(post(client, f"/api/v1/orders/{order.pk}/invoice"))
    assert "order_id" in fields
    assert Invoice.objects.count() == 1


def test_a_cancelled_invoice_lets_the_order_be_invoiced_again(agent_a, order):
    first = invoice_create_from_order(order=order, by=agent_a)
    invoice_cancel(invoice=first, by=agent_a, reason="اشتباه در تاریخ")
    first.refresh_from_db()
    assert (first.status, first.cancelled_reason) == ("cancelled", "اشتباه در تاریخ")
    second = invoice_create_from_order(order=order, by=agent_a)
    assert second.number != first.number


def test_a_cancelled_order_is_not_invoiced(agent_a, order):
    order_cancel(order=order, by=agent_a, reason="x")
    with pytest.raises(ValidationError) as caught:
        invoice_create_from_order(order=order, by=agent_a)
    assert "order_id" in caught.value.message_dict


def test_a_due_date_before_the_issue_date_is_refused(api_client, agent_a, order):
    fields = error_fields(
        post(
            api_client(agent_a),
            f"/api/v1/orders/{order.pk}/invoice",
            {"issue_date": "2026-11-10", "due_date": "2026-11-01"},
        )
    )
    assert "due_date" in fields


def test_an_invoice_with_its_own_lines(api_client, agent_a, customer_a):
    response = post(
        api_client(agent_a),
        "/api/v1/invoices",
        {"customer_id": customer_a.pk, "lines": [{"description": "ویزیت", "unit_price": 300_000}], "due_date": None},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order_id"] is None
    assert body["total"] == 330_000


def test_partial_invoices_of_an_order_may_not_exceed_its_total(agent_a, customer_a, order):
    half = {"description": "قسط", "unit_price": 1_000_000}
    invoice_create(by=agent_a, data={"customer_id": customer_a.pk, "order_id": order.pk, "lines": [half]})
    invoice_create(by=agent_a, data={"customer_id": customer_a.pk, "order_id": order.pk, "lines": [half]})
    with pytest.raises(ValidationError) as caught:
        invoice_create(
            by=agent_a, data={"customer_id": customer_a.pk, "order_id": order.pk, "lines": [{**half, "unit_price": 1}]}
        )
    assert "lines" in caught.value.message_dict
    # A whole-order invoice is refused once part of it is billed.
    with pytest.raises(ValidationError):
        invoice_create_from_order(order=order, by=agent_a)


def test_unknown_fields_and_another_customers_order_are_refused(agent_a, customer_a, team_a, order):
    from factories import CustomerFactory

    other = CustomerFactory(team=team_a, owner=agent_a)
    with pytest.raises(ValidationError) as caught:
        invoice_create(
            by=agent_a,
            data={"customer_id": other.pk, "order_id": order.pk, "lines": [{"unit_price": 1}], "colour": "red"},
        )
    fields = caught.value.message_dict
    assert {"order_id", "colour", "lines.0.description"} <= set(fields)


def test_the_overdue_list(api_client, agent_a, customer_a):
    today = timezone.localdate()
    line = [{"description": "x", "unit_price": 100}]
    late = invoice_create(
        by=agent_a,
        data={
            "customer_id": customer_a.pk,
            "lines": line,
            "issue_date": today - dt.timedelta(days=40),
            "due_date": today - dt.timedelta(days=10),
        },
    )
    paid_late = invoice_create(
        by=agent_a,
        data={
            "customer_id": customer_a.pk,
            "lines": line,
            "issue_date": today - dt.timedelta(days=40),
            "due_date": today - dt.timedelta(days=10),
        },
    )
    payment_record(invoice=paid_late, by=agent_a, amount=paid_late.total, method="cash")
    due_today = invoice_create(by=agent_a, data={"customer_id": customer_a.pk, "lines": line, "due_date": today})
    client = api_client(agent_a)
    overdue = client.get("/api/v1/invoices?overdue=true").json()["items"]
    assert [row["id"] for row in overdue] == [late.pk]
    assert overdue[0]["overdue"] is True
    not_overdue = {row["id"] for row in client.get("/api/v1/invoices?overdue=false").json()["items"]}
    assert not_overdue == {paid_late.pk, due_today.pk}
    paid = client.get("/api/v1/invoices?status=paid").json()["items"]
    assert [row["id"] for row in paid] == [paid_late.pk]


def test_the_invoice_prints_as_a_persian_pdf_with_its_balance(api_client, agent_a, agent_b, order):
    invoice = invoice_create_from_order(order=order, by=agent_a)
    payment_record(invoice=invoice, by=agent_a, amount=200_000, method="cash")
    response = api_client(agent_a).get(f"/api/v1/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert invoice.number in text
    # (Text taken back out of a PDF splits the lam-alef ligature of «کالا»: words without it are compared.)
    for words in ("صورتحساب فروش", "سررسید", "مانده", "سرور"):
        assert words in text, words
    # The balance as printed: the total less the payment, in Persian digits.
    invoice.refresh_from_db()
    assert format_money(invoice.balance, unit="rial", lang="fa").split()[0] in text
    assert api_client(agent_b).get(f"/api/v1/invoices/{invoice.pk}/pdf").status_code == 404


def test_another_teams_agent_gets_404_for_an_invoice(api_client, agent_a, agent_b, order):
    invoice = invoice_create_from_order(order=order, by=agent_a)
    payment = payment_record(invoice=invoice, by=agent_a, amount=10, method="cash")
    client = api_client(agent_b)
    assert client.get(f"/api/v1/invoices/{invoice.pk}").status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice.pk}/payments").status_code == 404
    assert post(client, f"/api/v1/invoices/{invoice.pk}/cancel").status_code == 404
    assert post(client, f"/api/v1/invoices/{invoice.pk}/payments", {"amount": 1, "method": "cash"}).status_code == 404
    cheque = post(client, f"/api/v1/invoices/payments/{payment.pk}/cheque-status", {"status": "bounced"})
    assert cheque.status_code == 404
    assert client.get("/api/v1/invoices").json()["items"] == []
    assert Invoice.objects.get(pk=invoice.pk).paid_total == 10


def test_an_invoice_with_payments_is_not_cancelled(api_client, agent_a, order):
    invoice = invoice_create_from_order(order=order, by=agent_a)
    payment_record(invoice=invoice, by=agent_a, amount=10, method="card", reference="123456")
    fields = error_fields(post(api_client(agent_a), f"/api/v1/invoices/{invoice.pk}/cancel", {"reason": "x"}))
    assert "status" in fields
    assert Invoice.objects.get(pk=invoice.pk).status == "partially_paid"


@pytest.mark.parametrize("field,value", [("issue_date", "0001-01-01"), ("due_date", "9999-12-31")])
def test_a_date_out_of_range_is_refused_not_a_server_error(api_client, agent_a, order, field, value):
    fields = error_fields(post(api_client(agent_a), f"/api/v1/orders/{order.pk}/invoice", {field: value}))
    assert field in fields
    assert not Invoice.objects.exists()
