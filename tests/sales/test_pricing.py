"""Line pricing and totals (services.pricing): whole Rials rounded half up, discounts, the VAT rate, decimal
quantities, and each bad line refused under its own `lines.<i>.<field>` name."""

from decimal import Decimal

import pytest

from peyvand.sales.models import Product
from peyvand.sales.services._common import MAX_AMOUNT, Errors
from peyvand.sales.services.pricing import (
    MAX_LINES,
    clean_lines,
    default_vat_rate_bp,
    price_line,
    rial,
    totals_of,
)


def line(**fields):
    values = {"quantity": Decimal(1), "unit_price": 0, "discount_percent": Decimal(0), "vat_applies": True}
    values.update(fields)
    values.setdefault("vat_rate_bp", 1000)
    return price_line(**values)


def cleaned(raw, vat_rate_bp=1000):
    errors = Errors()
    lines = clean_lines(raw, vat_rate_bp=vat_rate_bp, errors=errors)
    return lines, errors.fields


@pytest.mark.parametrize(
    "value,expected",
    [(Decimal("0.5"), 1), (Decimal("1.5"), 2), (Decimal("2.5"), 3), (Decimal("2.4999"), 2), (Decimal("-0.5"), -1)],
)
def test_rials_are_rounded_half_up_not_to_even(value, expected):
    assert rial(value) == expected


def test_a_decimal_quantity_is_priced_exactly_and_rounded_once():
    priced = line(quantity=Decimal("1.333"), unit_price=1_000_001)
    # 1.333 × 1,000,001 = 1,333,001.333 → 1,333,001
    assert priced.gross_amount == 1_333_001
    assert priced.net_amount == 1_333_001
    assert priced.vat_amount == 133_300  # 133,300.1


def test_the_discount_is_rounded_half_up_and_vat_is_on_the_discounted_amount():
    priced = line(quantity=Decimal(1), unit_price=15, discount_percent=Decimal("10"))
    # 10% of 15 = 1.5 → 2; 13 after the discount; VAT 10% = 1.3 → 1
    assert (priced.gross_amount, priced.discount_amount, priced.net_amount, priced.vat_amount) == (15, 2, 13, 1)


def test_the_vat_rate_is_the_documents_and_a_line_may_be_exempt():
    assert line(unit_price=1_000_000, vat_rate_bp=900).vat_amount == 90_000
    assert line(unit_price=1_000_000, vat_rate_bp=1000).vat_amount == 100_000
    assert line(unit_price=1_000_000, vat_applies=False).vat_amount == 0


def test_the_default_vat_rate_comes_from_the_settings(settings):
    settings.PEYVAND_VAT_RATE_BP = 1200
    assert default_vat_rate_bp() == 1200


def test_totals_add_up_the_rounded_line_figures():
    lines = [
        line(quantity=Decimal("2.5"), unit_price=1_000_000, discount_percent=Decimal("10")),
        line(unit_price=500_001, vat_applies=False, unit_cost=100_000),
    ]
    totals = totals_of(lines)
    assert totals.gross_total == 3_000_001
    assert totals.discount_total == 250_000
    assert totals.net_total == 2_750_001
    assert totals.vat_total == 225_000
    assert totals.total == totals.net_total + totals.vat_total
    assert totals.cost_total == 100_000


@pytest.mark.django_db
def test_a_product_fills_in_what_a_line_leaves_out():
    product = Product.objects.create(
        name="مودم", unit="عدد", unit_price=2_000_000, unit_cost=1_500_000, vat_applies=False
    )
    [priced], fields = cleaned([{"product_id": product.pk, "quantity": "۳"}])
    assert fields == {}
    assert (priced.description, priced.unit, priced.unit_price, priced.vat_applies) == ("مودم", "عدد", 2_000_000, False)
    assert priced.quantity == Decimal(3)
    assert priced.cost_amount == 4_500_000


@pytest.mark.django_db
def test_a_withdrawn_or_unknown_product_is_refused():
    gone = Product.objects.create(name="قدیمی", unit_price=1, is_active=False)
    _lines, fields = cleaned([{"product_id": gone.pk}, {"product_id": 999_999}])
    assert {"lines.0.product_id", "lines.1.product_id"} <= set(fields)
    # An unknown product fills nothing in: its line also lacks a description and a price.
    assert {"lines.1.description", "lines.1.unit_price"} <= set(fields)


@pytest.mark.parametrize(
    "item,field",
    [
        ({"unit_price": 1}, "lines.0.description"),
        ({"description": "x", "unit_price": 1, "quantity": 0}, "lines.0.quantity"),
        ({"description": "x", "unit_price": 1, "quantity": "abc"}, "lines.0.quantity"),
        ({"description": "x", "unit_price": 1, "quantity": "1.0001"}, "lines.0.quantity"),
        ({"description": "x", "unit_price": 1, "quantity": "100000001"}, "lines.0.quantity"),
        ({"description": "x", "unit_price": 1.5}, "lines.0.unit_price"),
        ({"description": "x", "unit_price": -1}, "lines.0.unit_price"),
        ({"description": "x", "unit_price": MAX_AMOUNT + 1}, "lines.0.unit_price"),
        ({"description": "x"}, "lines.0.unit_price"),
        ({"description": "x", "unit_price": 1, "discount_percent": 101}, "lines.0.discount_percent"),
        ({"description": "x", "unit_price": 1, "discount_percent": "-1"}, "lines.0.discount_percent"),
        ({"description": "x", "unit_price": 1, "discount_percent": "1.555"}, "lines.0.discount_percent"),
        ({"description": "x", "unit_price": 1, "discount_percent": "ده"}, "lines.0.discount_percent"),
        ({"description": "x", "unit_price": 1, "vat_applies": "yes"}, "lines.0.vat_applies"),
        ({"description": "x" * 256, "unit_price": 1}, "lines.0.description"),
        ({"description": "x", "unit_price": 1, "colour": "red"}, "lines.0.colour"),
        ({"description": "x", "unit_price": MAX_AMOUNT, "quantity": 2}, "lines.0.quantity"),
    ],
)
@pytest.mark.django_db
def test_each_bad_line_is_named(item, field):
    lines, fields = cleaned([item])
    assert field in fields, fields
    assert lines == []


@pytest.mark.django_db
def test_the_list_itself_is_checked():
    assert "lines" in cleaned([])[1]
    assert "lines" in cleaned("not a list")[1]
    assert "lines" in cleaned([{"description": "x", "unit_price": 1}] * (MAX_LINES + 1))[1]
    assert "lines.0" in cleaned(["text"])[1]
    # Each line within the limit, the total above it.
    big = {"description": "x", "unit_price": MAX_AMOUNT // 2 + 1, "vat_applies": False}
    assert "lines" in cleaned([big, big])[1]


@pytest.mark.django_db
def test_every_error_is_reported_at_once():
    _lines, fields = cleaned([{"description": "x", "unit_price": -1}, {"unit_price": 1, "quantity": 0}])
    assert {"lines.0.unit_price", "lines.1.description", "lines.1.quantity"} <= set(fields)


@pytest.mark.django_db
def test_a_float_quantity_is_read_through_its_text():
    [priced], fields = cleaned([{"description": "x", "unit_price": 10, "quantity": 1.1}])
    assert fields == {}
    assert priced.quantity == Decimal("1.1")
    assert priced.gross_amount == 11
