"""Document numbers (services.numbering): per kind and Jalali year, gap-free, never given twice, and given back
when the saving transaction rolls back."""

import datetime as dt

import pytest
from django.db import transaction

from peyvand.sales.models import DocumentSequence
from peyvand.sales.services.numbering import PREFIXES, next_number

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_kind():
    day = dt.date(2026, 11, 28)  # 1405/09/07
    assert next_number("invoice", on=day) == "INV-1405-00001"
    assert next_number("invoice", on=day) == "INV-1405-00002"
    assert next_number("order", on=day) == "SO-1405-00001"
    assert next_number("quote", on=day) == "Q-1405-00001"
    assert next_number("contract", on=day) == "CT-1405-00001"
    assert next_number("invoice", on=day) == "INV-1405-00003"


def test_each_jalali_year_starts_again_at_one():
    last_day_of_1404 = dt.date(2026, 3, 20)
    nowruz_1405 = dt.date(2026, 3, 21)
    assert next_number("invoice", on=last_day_of_1404) == "INV-1404-00001"
    assert next_number("invoice", on=last_day_of_1404) == "INV-1404-00002"
    assert next_number("invoice", on=nowruz_1405) == "INV-1405-00001"
    # The old year's counter goes on where it stopped (a document dated back into it).
    assert next_number("invoice", on=last_day_of_1404) == "INV-1404-00003"
    assert DocumentSequence.objects.filter(kind="invoice").count() == 2


def test_no_number_is_given_twice():
    numbers = [next_number("order", on=dt.date(2026, 5, 1)) for _ in range(50)]
    assert len(set(numbers)) == 50
    assert numbers[-1] == "SO-1405-00050"


def test_a_rolled_back_save_gives_its_number_back():
    day = dt.date(2026, 11, 28)
    assert next_number("order", on=day) == "SO-1405-00001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("order", on=day) == "SO-1405-00002"
        raise RuntimeError("the document was not saved")
    assert next_number("order", on=day) == "SO-1405-00002"


def test_every_kind_has_a_prefix():
    assert set(PREFIXES) == {"quote", "order", "invoice", "contract", "ticket"}
    with pytest.raises(KeyError):
        next_number("receipt")


def test_documents_made_by_the_services_get_distinct_numbers(agent_a, customer_a):
    from peyvand.sales.services.invoices import invoice_create_from_order
    from peyvand.sales.services.orders import order_create

    orders = [
        order_create(by=agent_a, customer_id=customer_a.pk, lines=[{"description": "x", "unit_price": 1}])
        for _ in range(3)
    ]
    invoices = [invoice_create_from_order(order=order, by=agent_a) for order in orders]
    assert len({order.number for order in orders}) == 3
    assert len({invoice.number for invoice in invoices}) == 3
    assert all(invoice.number.startswith("INV-") for invoice in invoices)
