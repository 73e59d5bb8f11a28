"""Orders through the API and the services: placed from lines (priced once) or from a quote (copied as agreed),
delivered, cancelled (refused once paid), written to the customer's timeline, and scoped like customers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.customers.models import Interaction
from peyvand.sales.models import Invoice, Order, OrderStatus, Product, Quote, QuoteLine
from peyvand.sales.services.invoices import invoice_create_from_order, payment_record
from peyvand.sales.services.orders import order_cancel, order_create, order_mark_fulfilled

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error["fields"]


def events_of(record):
    kind = ContentType.objects.get_for_model(record)
    return list(Interaction.objects.filter(related_type=kind, related_id=str(record.pk)).order_by("id"))


@pytest.fixture
def product(db):
    return Product.objects.create(name="سرور", unit="عدد", unit_price=1_000_000, unit_cost=600_000, vat_applies=True)


def test_an_order_from_lines_is_priced_once_and_stored_with_its_totals(
    api_client, agent_a, team_a, customer_a, product
):
    response = post(
        api_client(agent_a),
        "/api/v1/orders",
        {
            "customer_id": customer_a.pk,
            "lines": [
                {"product_id": product.pk, "quantity": "2.5", "discount_percent": 10},
                {"description": "نصب", "quantity": 1, "unit_price": 500_001, "vat_applies": False},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # 2.5 × 1,000,000 = 2,500,000 − 10% = 2,250,000 (+ 10% VAT 225,000); the service line has no VAT.
    assert body["gross_total"] == 3_000_001
    assert body["discount_total"] == 250_000
    assert body["net_total"] == 2_750_001
    assert body["vat_total"] == 225_000
    assert body["total"] == 2_975_001
    assert body["cost_total"] == 1_500_000
    assert body["status"] == "confirmed"
    assert (body["owner_id"], body["team_id"]) == (agent_a.pk, team_a.pk)
    assert body["number"].startswith("SO-")
    assert [line["net_amount"] for line in body["lines"]] == [2_250_000, 500_001]
    order = Order.objects.get(pk=body["id"])
    [event] = events_of(order)
    assert order.number in event.subject
    assert event.customer_id == customer_a.pk


def test_a_bad_line_is_named_and_nothing_is_written(api_client, agent_a, customer_a):
    fields = error_fields(
        post(
            api_client(agent_a),
            "/api/v1/orders",
            {"customer_id": customer_a.pk, "lines": [{"description": "x", "quantity": 0, "unit_price": 10}]},
        )
    )
    assert "lines.0.quantity" in fields
    assert not Order.objects.exists()


def test_an_order_needs_at_least_one_line(api_client, agent_a, customer_a):
    fields = error_fields(post(api_client(agent_a), "/api/v1/orders", {"customer_id": customer_a.pk, "lines": []}))
    assert "lines" in fields


def test_an_order_for_another_teams_customer_is_refused(api_client, agent_a, customer_b):
    fields = error_fields(
        post(
            api_client(agent_a),
            "/api/v1/orders",
            {"customer_id": customer_b.pk, "lines": [{"description": "x", "unit_price": 10}]},
        )
    )
    assert "customer_id" in fields


def test_an_order_in_the_future_is_refused(agent_a, customer_a):
    with pytest.raises(ValidationError) as caught:
        order_create(
            by=agent_a,
            customer_id=customer_a.pk,
            lines=[{"description": "x", "unit_price": 10}],
            ordered_at=timezone.now() + dt.timedelta(days=2),
        )
    assert "ordered_at" in caught.value.message_dict


def test_another_teams_agent_gets_404_for_an_order(api_client, agent_a, agent_b, customer_a):
    order = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 10}])
    client = api_client(agent_b)
    assert client.get(f"/api/v1/orders/{order.pk}").status_code == 404
    assert post(client, f"/api/v1/orders/{order.pk}/cancel", {"reason": "x"}).status_code == 404
    assert post(client, f"/api/v1/orders/{order.pk}/fulfil").status_code == 404
    assert post(client, f"/api/v1/orders/{order.pk}/invoice").status_code == 404
    assert client.get("/api/v1/orders").json()["items"] == []
    assert api_client(agent_a).get("/api/v1/orders").json()["items"][0]["id"] == order.pk


def test_the_order_list_filters_by_customer_and_status(api_client, agent_a, customer_a, team_a):
    from factories import CustomerFactory

    other = CustomerFactory(team=team_a, owner=agent_a)
    first = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 10}])
    second = order_create(by=agent_a, customer_id=other.pk, lines=[{"description": "y", "unit_price": 20}])
    order_cancel(order=second, by=agent_a, reason="اشتباه")
    client = api_client(agent_a)
    by_customer = client.get(f"/api/v1/orders?customer_id={customer_a.pk}").json()["items"]
    assert [row["id"] for row in by_customer] == [first.pk]
    cancelled = client.get("/api/v1/orders?status=cancelled").json()["items"]
    assert [row["id"] for row in cancelled] == [second.pk]


def test_an_order_from_a_quote_copies_its_lines_and_totals_without_repricing(agent_a, customer_a, team_a, product):
    quote = Quote.objects.create(
        number="Q-1405-00001",
        customer=customer_a,
        issue_date=dt.date(2026, 11, 1),
        owner=agent_a,
        team=team_a,
        vat_rate_bp=900,
        gross_total=1_000,
        net_total=900,
        discount_total=100,
        vat_total=81,
        total=981,
        cost_total=300,
    )
    QuoteLine.objects.create(
        quote=quote,
        product=product,
        description="سرور قدیمی",
        quantity=Decimal("1"),
        unit_price=1_000,
        unit_cost=300,
        discount_percent=Decimal("10"),
        gross_amount=1_000,
        discount_amount=100,
        net_amount=900,
        vat_amount=81,
    )
    # The catalogue price has changed since; the order keeps what was agreed.
    product.unit_price = 5_000
    product.save()
    order = order_create(by=agent_a, customer_id=customer_a.pk, quote=quote)
    assert order.quote_id == quote.pk
    assert (order.net_total, order.vat_total, order.total, order.vat_rate_bp) == (900, 81, 981, 900)
    [line] = order.lines.all()
    assert (line.unit_price, line.net_amount, line.description) == (1_000, 900, "سرور قدیمی")
    with pytest.raises(ValidationError) as caught:
        order_create(by=agent_a, customer_id=customer_a.pk, quote=quote)
    assert "quote" in caught.value.message_dict


def test_fulfil_and_cancel_write_the_timeline(api_client, agent_a, customer_a):
    order = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 10}])
    client = api_client(agent_a)
    body = post(client, f"/api/v1/orders/{order.pk}/fulfil").json()
    assert body["status"] == "fulfilled"
    fields = error_fields(post(client, f"/api/v1/orders/{order.pk}/cancel", {"reason": "  "}))
    assert "reason" in fields
    body = post(client, f"/api/v1/orders/{order.pk}/cancel", {"reason": "مشتری انصراف داد"}).json()
    assert body["status"] == "cancelled"
    assert body["cancelled_reason"] == "مشتری انصراف داد"
    subjects = [event.subject for event in events_of(order)]
    assert len(subjects) == 3
    fields = error_fields(post(client, f"/api/v1/orders/{order.pk}/cancel", {"reason": "باز"}))
    assert "status" in fields
    with pytest.raises(ValidationError):
        order_mark_fulfilled(order=Order.objects.get(pk=order.pk), by=agent_a)


def test_cancelling_a_paid_order_is_refused_and_an_unpaid_invoice_is_cancelled_with_it(agent_a, customer_a):
    paid = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 100}])
    invoice = invoice_create_from_order(order=paid, by=agent_a)
    payment_record(invoice=invoice, by=agent_a, amount=50, method="cash")
    with pytest.raises(ValidationError) as caught:
        order_cancel(order=paid, by=agent_a, reason="x")
    assert "status" in caught.value.message_dict
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.CONFIRMED

    unpaid = order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "y", "unit_price": 100}])
    open_invoice = invoice_create_from_order(order=unpaid, by=agent_a)
    order_cancel(order=unpaid, by=agent_a, reason="x")
    assert Invoice.objects.get(pk=open_invoice.pk).status == "cancelled"


def test_the_order_list_filters_by_tehran_days(api_client, agent_a, customer_a):
    # 23:30 Tehran on 2026-11-20 is 20:00 UTC the same day; 00:30 Tehran on the 21st is 21:00 UTC on the 20th.
    tz = dt.timezone(dt.timedelta(hours=3, minutes=30))
    late = order_create(
        by=agent_a,
        customer_id=customer_a.pk,
        lines=[{"description": "x", "unit_price": 1}],
        ordered_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=tz),
    )
    early = order_create(
        by=agent_a,
        customer_id=customer_a.pk,
        lines=[{"description": "x", "unit_price": 1}],
        ordered_at=dt.datetime(2026, 11, 21, 0, 30, tzinfo=tz),
    )
    client = api_client(agent_a)
    on_20th = client.get("/api/v1/orders?ordered_from=2026-11-20&ordered_to=2026-11-20").json()["items"]
    assert [row["id"] for row in on_20th] == [late.pk]
    from_21st = client.get("/api/v1/orders?ordered_from=2026-11-21").json()["items"]
    assert [row["id"] for row in from_21st] == [early.pk]


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_far_off_day_in_the_list_filters_is_a_422_not_a_server_error(api_client, agent_a, value):
    client = api_client(agent_a)
    for url, field in (
        ("/api/v1/orders", "ordered_from"),
        ("/api/v1/orders", "ordered_to"),
        ("/api/v1/invoices", "issued_to"),
    ):
        response = client.get(url, {field: value})
        assert response.status_code == 422, (url, field, response.content)
        assert field in response.json()["error"]["fields"]
