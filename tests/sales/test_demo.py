"""`peyvand seed_demo` also makes Persian demo sales: a catalogue, deals in every stage, two years and more of
seasonal orders whose totals add up, invoices with payments (cheques, overdue ones) and quotes."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.customers import demo as customers_demo
from peyvand.sales import demo, forecast
from peyvand.sales.models import (
    Deal,
    DocumentSequence,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    Product,
    Quote,
    Stage,
)
from peyvand.sales.services.numbering import next_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(pipeline):
    call_command("seed_demo", customers=250, seed=1, stdout=StringIO(), stderr=StringIO())


def test_it_makes_a_persian_catalogue_with_prices_and_costs(seeded):
    products = list(Product.objects.all())
    assert len(products) == len(demo.PRODUCTS)
    assert all(p.unit_price > p.unit_cost > 0 for p in products)
    assert any("لپ‌تاپ" in p.name for p in products)
    assert {p.kind for p in products} == {"product", "service"}


def test_deals_are_in_every_stage_and_follow_their_customers(seeded):
    stages = Counter(Deal.objects.values_list("stage__code", flat=True))
    assert set(stages) == set(Stage.objects.values_list("code", flat=True))
    for deal in Deal.objects.select_related("customer", "stage")[:50]:
        assert (deal.owner_id, deal.team_id) == (deal.customer.owner_id, deal.customer.team_id)
        assert (deal.closed_at is None) == (deal.stage.outcome == "open")
        if deal.stage.outcome == "lost":
            assert deal.lost_reason


def test_orders_cover_two_years_and_more_with_peaks_before_nowruz(seeded):
    admin = User.objects.get(username="admin")
    result = forecast.revenue_forecast(user=admin)
    assert len(result.history) >= 24
    assert result.method == forecast.Method.HOLT_WINTERS
    by_month: dict[int, list[int]] = {}
    for figure in result.history:
        by_month.setdefault(figure.month.month, []).append(figure.revenue)
    average = {month: sum(values) / len(values) for month, values in by_month.items()}
    # Esfand (the year-end, before Nowruz) is the busiest month; Farvardin, the holiday, among the quietest.
    assert max(average, key=average.get) == 12
    assert average[1] < sum(average.values()) / 12


def test_documents_add_up_line_by_line(seeded):
    sums = {
        row["order_id"]: row
        for row in OrderLine.objects.values("order_id").annotate(net=Sum("net_amount"), vat=Sum("vat_amount"))
    }
    orders = list(Order.objects.all())
    assert orders
    for order in orders:
        assert order.net_total == sums[order.pk]["net"]
        assert order.total == order.net_total + order.vat_total == sums[order.pk]["net"] + sums[order.pk]["vat"]
        assert order.number.startswith("SO-14")


def test_invoices_are_paid_in_several_ways_and_some_are_overdue(seeded):
    today = timezone.localdate()
    methods = set(Payment.objects.values_list("method", flat=True))
    assert {PaymentMethod.CHEQUE, PaymentMethod.TRANSFER, PaymentMethod.CARD, PaymentMethod.CASH} <= methods
    assert Payment.objects.filter(method=PaymentMethod.CHEQUE, cheque_due_date__isnull=True).count() == 0
    overdue = [i for i in Invoice.objects.filter(due_date__lt=today) if i.balance > 0]
    assert overdue
    for invoice in Invoice.objects.prefetch_related("payments")[:300]:
        counted = sum(p.amount for p in invoice.payments.all() if p.counts)
        assert invoice.paid_total == counted <= invoice.total
        expected = (
            InvoiceStatus.PAID if counted == invoice.total else InvoiceStatus.PARTIALLY_PAID if counted else "issued"
        )
        assert invoice.status == expected
    # No invoice for a cancelled order.
    assert not Invoice.objects.filter(order__status=OrderStatus.CANCELLED).exists()


def test_there_are_quotes_for_open_deals(seeded):
    quotes = list(Quote.objects.select_related("deal"))
    assert quotes
    assert all(q.deal is not None and q.deal.closed_at is None for q in quotes)
    assert all(q.total == q.net_total + q.vat_total for q in quotes)


def test_numbers_given_later_carry_on_after_the_demo(seeded):
    assert DocumentSequence.objects.filter(kind="order").exists()
    fresh = next_number("order")
    assert not Order.objects.filter(number=fresh).exists()


def test_if_empty_adds_no_second_round_of_sales(seeded):
    counts = (Order.objects.count(), Deal.objects.count(), Payment.objects.count())
    call_command("seed_demo", customers=10, seed=2, if_empty=True, stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo", customers=10, seed=2, stdout=StringIO(), stderr=StringIO())
    assert (Order.objects.count(), Deal.objects.count(), Payment.objects.count()) == counts


def test_the_same_seed_gives_the_same_sales(pipeline):
    staff = customers_demo.ensure_staff()
    customers_demo.seed_customers(count=60, seed=5, staff=staff)

    def fingerprint():
        return (
            list(Order.objects.order_by("number").values_list("number", "net_total", "status")),
            list(Deal.objects.order_by("id").values_list("title", "stage__code", "amount")),
        )

    from django.db import transaction

    class Undo(Exception):
        pass

    runs = []
    for _ in range(2):
        try:
            with transaction.atomic():
                demo.seed_sales(seed=9, staff=staff)
                runs.append(fingerprint())
                raise Undo
        except Undo:
            pass
    assert runs[0] == runs[1]
    assert runs[0][0]
