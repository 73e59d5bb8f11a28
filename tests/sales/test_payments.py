"""Payments: an invoice paid twice or overpaid is refused with nothing written, a stale concurrent payment
cannot slip past the balance, references are taken once, cheques need their number and due date and reopen the
invoice when they bounce, and selling on credit is refused as a payment."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.customers.models import Interaction
from peyvand.sales import billing_selectors
from peyvand.sales.models import Invoice, Payment
from peyvand.sales.services import ConflictError
from peyvand.sales.services import invoices as invoice_services
from peyvand.sales.services.invoices import cheque_set_status, invoice_create, payment_record

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error["fields"]


@pytest.fixture
def invoice(agent_a, customer_a):
    # 1,000,000 + 10% VAT: 1,100,000 to pay.
    return invoice_create(
        by=agent_a, data={"customer_id": customer_a.pk, "lines": [{"description": "سرور", "unit_price": 1_000_000}]}
    )


def invoice_events(invoice):
    kind = ContentType.objects.get_for_model(Invoice)
    return list(Interaction.objects.filter(related_type=kind, related_id=str(invoice.pk)).order_by("id"))


def test_an_invoice_paid_twice_is_refused_and_nothing_is_written(api_client, agent_a, invoice):
    client = api_client(agent_a)
    url = f"/api/v1/invoices/{invoice.pk}/payments"
    first = post(client, url, {"amount": 1_100_000, "method": "transfer", "reference": "TR-1"})
    assert first.status_code == 201, first.content
    assert client.get(f"/api/v1/invoices/{invoice.pk}").json()["status"] == "paid"
    events_before = len(invoice_events(invoice))
    second = post(client, url, {"amount": 1_100_000, "method": "cash"})
    fields = error_fields(second)
    assert "is it already paid?" in fields["amount"][0]
    assert invoice.number in fields["amount"][0]
    assert Payment.objects.count() == 1
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.paid_total, stored.status, stored.version) == (1_100_000, "paid", 2)
    assert len(invoice_events(invoice)) == events_before


def test_partial_payments_then_an_overpayment(agent_a, invoice):
    payment_record(invoice=invoice, by=agent_a, amount=600_000, method="cash")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.paid_total, stored.balance, stored.status) == (600_000, 500_000, "partially_paid")
    with pytest.raises(ValidationError) as caught:
        payment_record(invoice=invoice, by=agent_a, amount=500_001, method="cash")
    assert list(caught.value.message_dict) == ["amount"]
    payment_record(invoice=invoice, by=agent_a, amount=500_000, method="card")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_stale_concurrent_payment_cannot_overpay(monkeypatch, agent_a, invoice):
    """Two people read the invoice at version 1 with the whole balance open; the second write must lose even
    though the lock (a no-op on SQLite) let it read the old balance."""
    stale = Invoice.objects.get(pk=invoice.pk)
    payment_record(invoice=invoice, by=agent_a, amount=700_000, method="cash")
    monkeypatch.setattr(invoice_services, "_locked", lambda _invoice: stale)
    with pytest.raises(ConflictError):
        payment_record(invoice=invoice, by=agent_a, amount=700_000, method="cash")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.paid_total, stored.version) == (700_000, 2)
    assert Payment.objects.count() == 1


def test_the_api_answers_a_stale_payment_with_409(monkeypatch, api_client, agent_a, invoice):
    stale = Invoice.objects.get(pk=invoice.pk)
    payment_record(invoice=invoice, by=agent_a, amount=700_000, method="cash")
    monkeypatch.setattr(invoice_services, "_locked", lambda _invoice: stale)
    response = post(api_client(agent_a), f"/api/v1/invoices/{invoice.pk}/payments", {"amount": 1, "method": "cash"})
    fields = error_fields(response, status=409, code="conflict")
    assert "version" in fields


def test_a_reference_is_recorded_once_per_method(api_client, agent_a, invoice):
    client = api_client(agent_a)
    url = f"/api/v1/invoices/{invoice.pk}/payments"
    assert post(client, url, {"amount": 100, "method": "card", "reference": "778899"}).status_code == 201
    fields = error_fields(post(client, url, {"amount": 100, "method": "card", "reference": "778899"}))
    assert "reference" in fields
    # A transfer may carry the same digits as a card receipt: different systems number them.
    assert post(client, url, {"amount": 100, "method": "transfer", "reference": "778899"}).status_code == 201
    assert Invoice.objects.get(pk=invoice.pk).paid_total == 200


def test_selling_on_credit_is_not_a_payment(api_client, agent_a, invoice):
    fields = error_fields(
        post(api_client(agent_a), f"/api/v1/invoices/{invoice.pk}/payments", {"amount": 100, "method": "credit"})
    )
    assert "method" in fields
    assert Invoice.objects.get(pk=invoice.pk).paid_total == 0


def test_amounts_must_be_positive_whole_rials(api_client, agent_a, invoice):
    client = api_client(agent_a)
    url = f"/api/v1/invoices/{invoice.pk}/payments"
    assert "amount" in error_fields(post(client, url, {"amount": 0, "method": "cash"}))
    assert "amount" in error_fields(post(client, url, {"amount": -5, "method": "cash"}))
    assert "amount" in error_fields(post(client, url, {"amount": 1.5, "method": "cash"}))
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert "received_at" in error_fields(post(client, url, {"amount": 5, "method": "cash", "received_at": future}))


def test_a_cheque_needs_its_number_and_due_date(api_client, agent_a, invoice):
    client = api_client(agent_a)
    url = f"/api/v1/invoices/{invoice.pk}/payments"
    fields = error_fields(post(client, url, {"amount": 100, "method": "cheque"}))
    assert {"cheque_number", "cheque_due_date"} <= set(fields)
    fields = error_fields(post(client, url, {"amount": 100, "method": "cash", "cheque_number": "12"}))
    assert "cheque_number" in fields
    ok = post(
        client,
        url,
        {
            "amount": 100,
            "method": "cheque",
            "cheque_number": "۱۲۳۴۵۶",
            "cheque_bank": "ملت",
            "cheque_due_date": "1405/10/01",
        },
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert (body["cheque_status"], body["cheque_due_date"], body["counts"]) == ("pending", "2026-12-22", True)
    again = post(
        client,
        url,
        {
            "amount": 100,
            "method": "cheque",
            "cheque_number": "۱۲۳۴۵۶",
            "cheque_bank": "ملت",
            "cheque_due_date": "1405/10/01",
        },
    )
    assert "cheque_number" in error_fields(again)


def test_a_bounced_cheque_reopens_the_invoice(api_client, agent_a, invoice):
    client = api_client(agent_a)
    payment_record(invoice=invoice, by=agent_a, amount=100_000, method="cash")
    cheque = payment_record(
        invoice=invoice,
        by=agent_a,
        amount=1_000_000,
        method="cheque",
        cheque_number="4455",
        cheque_bank="صادرات",
        cheque_due_date=timezone.localdate() + dt.timedelta(days=3),
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert [p.pk for p in billing_selectors.cheques_due(user=agent_a, days=7)] == [cheque.pk]
    events_before = len(invoice_events(invoice))
    response = post(client, f"/api/v1/invoices/payments/{cheque.pk}/cheque-status", {"status": "bounced"})
    assert response.status_code == 200, response.content
    assert (response.json()["cheque_status"], response.json()["counts"]) == ("bounced", False)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.paid_total, stored.status, stored.balance) == (100_000, "partially_paid", 1_000_000)
    assert len(invoice_events(invoice)) == events_before + 1
    assert "4455" in invoice_events(invoice)[-1].body
    # Final: a bounced cheque does not clear; the same cheque may be presented again as a new payment.
    fields = error_fields(post(client, f"/api/v1/invoices/payments/{cheque.pk}/cheque-status", {"status": "cleared"}))
    assert "status" in fields
    payment_record(
        invoice=invoice,
        by=agent_a,
        amount=1_000_000,
        method="cheque",
        cheque_number="4455",
        cheque_bank="صادرات",
        cheque_due_date=timezone.localdate(),
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_cleared_cheque_only_records_it(agent_a, invoice):
    cheque = payment_record(
        invoice=invoice,
        by=agent_a,
        amount=500,
        method="cheque",
        cheque_number="1",
        cheque_due_date="2026-12-01",
    )
    cheque = cheque_set_status(payment=cheque, by=agent_a, status="cleared")
    assert cheque.cheque_status == "cleared"
    assert Invoice.objects.get(pk=invoice.pk).paid_total == 500
    with pytest.raises(ValidationError):
        cheque_set_status(payment=cheque, by=agent_a, status="bounced")
    cash = payment_record(invoice=invoice, by=agent_a, amount=5, method="cash")
    with pytest.raises(ValidationError):
        cheque_set_status(payment=cash, by=agent_a, status="bounced")


def test_a_cancelled_invoice_takes_no_payment(agent_a, invoice):
    invoice_services.invoice_cancel(invoice=invoice, by=agent_a)
    with pytest.raises(ValidationError) as caught:
        payment_record(invoice=invoice, by=agent_a, amount=5, method="cash")
    assert "amount" in caught.value.message_dict


def test_payments_of_a_customer_and_the_payment_list(api_client, agent_a, agent_b, customer_a, invoice):
    payment_record(invoice=invoice, by=agent_a, amount=5, method="cash")
    payment_record(invoice=invoice, by=agent_a, amount=7, method="card")
    rows = billing_selectors.payments_of_customer(user=agent_a, customer_id=customer_a.pk)
    assert [row.amount for row in rows] == [7, 5]
    assert billing_selectors.payments_of_customer(user=agent_b, customer_id=customer_a.pk) == []
    listed = api_client(agent_a).get(f"/api/v1/invoices/{invoice.pk}/payments").json()
    assert sorted(row["amount"] for row in listed) == [5, 7]


def test_a_cheque_due_date_out_of_range_is_refused(api_client, agent_a, invoice):
    fields = error_fields(
        post(
            api_client(agent_a),
            f"/api/v1/invoices/{invoice.pk}/payments",
            {"amount": 5, "method": "cheque", "cheque_number": "1", "cheque_due_date": "0001-01-01"},
        )
    )
    assert "cheque_due_date" in fields
