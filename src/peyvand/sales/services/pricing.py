"""Line items and totals of quotes, orders and invoices, worked out once, in whole Rials, never in floats.

A line's amount is quantity × unit price rounded half up to a Rial; its discount is that amount × the discount
percent, rounded the same way; VAT is the discounted amount × the document's rate. Totals are sums of the
rounded line figures, so a printed document adds up line by line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from peyvand.core.text import clean_text
from peyvand.sales.models import Product
from peyvand.sales.services._common import MAX_AMOUNT, Errors

MAX_LINES = 500
MAX_QUANTITY = Decimal("100000000")  # 10^8 units: beyond any real line, and the product stays within 64 bits
LINE_FIELDS = {"product_id", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_applies"}


def default_vat_rate_bp() -> int:
    """The VAT rate for new documents, in hundredths of a percent (settings.PEYVAND_VAT_RATE_BP)."""
    return int(getattr(settings, "PEYVAND_VAT_RATE_BP", 1000))


def rial(value: Decimal) -> int:
    """Round half up to a whole Rial."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PricedLine:
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: int
    unit_cost: int
    discount_percent: Decimal
    vat_applies: bool
    gross_amount: int
    discount_amount: int
    net_amount: int
    vat_amount: int

    @property
    def cost_amount(self) -> int:
        return rial(self.quantity * self.unit_cost)

    def model_values(self) -> dict[str, Any]:
        """The values of a QuoteLine / OrderLine / InvoiceLine row (without its document and position)."""
        return {
            "product_id": self.product_id,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price,
            "unit_cost": self.unit_cost,
            "discount_percent": self.discount_percent,
            "vat_applies": self.vat_applies,
            "gross_amount": self.gross_amount,
            "discount_amount": self.discount_amount,
            "net_amount": self.net_amount,
            "vat_amount": self.vat_amount,
        }


@dataclass(frozen=True)
class Totals:
    gross_total: int
    discount_total: int
    net_total: int
    vat_total: int
    total: int
    cost_total: int

    def model_values(self) -> dict[str, int]:
        return {
            "gross_total": self.gross_total,
            "discount_total": self.discount_total,
            "net_total": self.net_total,
            "vat_total": self.vat_total,
            "total": self.total,
            "cost_total": self.cost_total,
        }


def price_line(
    *,
    quantity: Decimal,
    unit_price: int,
    discount_percent: Decimal,
    vat_applies: bool,
    vat_rate_bp: int,
    product_id: int | None = None,
    description: str = "",
    unit: str = "",
    unit_cost: int = 0,
) -> PricedLine:
    gross = rial(quantity * unit_price)
    discount = rial(gross * discount_percent / 100)
    net = gross - discount
    vat = rial(net * Decimal(vat_rate_bp) / 10000) if vat_applies else 0
    return PricedLine(
        product_id=product_id,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        unit_cost=unit_cost,
        discount_percent=discount_percent,
        vat_applies=vat_applies,
        gross_amount=gross,
        discount_amount=discount,
        net_amount=net,
        vat_amount=vat,
    )


def totals_of(lines: Sequence[PricedLine]) -> Totals:
    gross = sum(line.gross_amount for line in lines)
    discount = sum(line.discount_amount for line in lines)
    net = sum(line.net_amount for line in lines)
    vat = sum(line.vat_amount for line in lines)
    return Totals(
        gross_total=gross,
        discount_total=discount,
        net_total=net,
        vat_total=vat,
        total=net + vat,
        cost_total=sum(line.cost_amount for line in lines),
    )


def _decimal(value: Any) -> Decimal | None:
    """A number typed or sent as int, Decimal or text (Persian digits allowed); floats go through their text so
    that 1.1 is 1.1, not 1.100000000000000088817841970012523."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = clean_text(value).replace("٫", ".").replace("/", ".").replace(",", "").replace("٬", "")
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def clean_lines(
    raw: Sequence[Mapping[str, Any]] | Any, *, vat_rate_bp: int, errors: Errors, field: str = "lines"
) -> list[PricedLine]:
    """Lines as sent by a form or the API, checked and priced. Each problem is reported under
    `lines.<index>.<field>` (index from 0), all of them at once; a product fills in the description, unit,
    price, cost and VAT flag that are not given."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        errors.add(field, _("Give the lines as a list."))
        return []
    if not raw:
        errors.add(field, _("Add at least one line."))
        return []
    if len(raw) > MAX_LINES:
        errors.add(field, _("At most %(limit)d lines.") % {"limit": MAX_LINES})
        return []
    product_ids = {item.get("product_id") for item in raw if isinstance(item, Mapping)}
    product_ids.discard(None)
    products = {
        product.pk: product
        for product in Product.objects.filter(pk__in=[pk for pk in product_ids if isinstance(pk, int)])
    }
    priced: list[PricedLine] = []
    for index, item in enumerate(raw):
        where = f"{field}.{index}"
        if not isinstance(item, Mapping):
            errors.add(where, _("Each line is an object with a product or a description, a quantity and a price."))
            continue
        line = _clean_line(item, products=products, vat_rate_bp=vat_rate_bp, errors=errors, where=where)
        if line is not None:
            priced.append(line)
    if not errors and sum(line.net_amount + line.vat_amount for line in priced) > MAX_AMOUNT:
        errors.add(field, _("The total is too large."))
    return priced


def _clean_line(
    item: Mapping[str, Any], *, products: Mapping[int, Product], vat_rate_bp: int, errors: Errors, where: str
) -> PricedLine | None:
    before = len(errors.fields)
    for key in item:
        if key not in LINE_FIELDS:
            errors.add(f"{where}.{key}", _("Unknown field."))
    product: Product | None = None
    product_id = item.get("product_id")
    if product_id is not None:
        product = products.get(product_id) if isinstance(product_id, int) else None
        if product is None:
            errors.add(f"{where}.product_id", _("No such product or service."))
        elif not product.is_active:
            errors.add(f"{where}.product_id", _("This product or service is no longer sold."))
    description = clean_text(str(item.get("description") or "")) or (product.name if product else "")
    if not description:
        errors.add(f"{where}.description", _("Choose a product or write a description."))
    elif len(description) > 255:
        errors.add(f"{where}.description", _("This is too long: at most %(limit)d characters.") % {"limit": 255})
    quantity = _decimal(item.get("quantity", 1))
    if quantity is None:
        errors.add(f"{where}.quantity", _("Write the quantity as a number."))
    elif quantity <= 0:
        errors.add(f"{where}.quantity", _("The quantity must be more than zero."))
    elif quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
        errors.add(f"{where}.quantity", _("The quantity is too large or has more than three decimals."))
    unit_price = item.get("unit_price", product.unit_price if product else None)
    if isinstance(unit_price, bool) or not isinstance(unit_price, int):
        errors.add(f"{where}.unit_price", _("Write the amount as a whole number of Rials."))
    elif unit_price < 0:
        errors.add(f"{where}.unit_price", _("An amount cannot be negative."))
    elif unit_price > MAX_AMOUNT:
        errors.add(f"{where}.unit_price", _("This amount is too large."))
    discount = _decimal(item.get("discount_percent", 0) or 0)
    if discount is None:
        errors.add(f"{where}.discount_percent", _("Write the discount as a percentage."))
    elif not 0 <= discount <= 100:
        errors.add(f"{where}.discount_percent", _("A discount is between 0 and 100 percent."))
    elif discount != discount.quantize(Decimal("0.01")):
        errors.add(f"{where}.discount_percent", _("At most two decimals in a discount."))
    vat_applies = item.get("vat_applies", product.vat_applies if product else True)
    if not isinstance(vat_applies, bool):
        errors.add(f"{where}.vat_applies", _("Say true or false."))
    unit = clean_text(str(item.get("unit") or "")) or (product.unit if product else "")
    if len(errors.fields) != before:
        return None
    assert quantity is not None and discount is not None and isinstance(unit_price, int)
    if quantity * unit_price > MAX_AMOUNT:
        errors.add(f"{where}.quantity", _("This line's amount is too large."))
        return None
    return price_line(
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount,
        vat_applies=bool(vat_applies),
        vat_rate_bp=vat_rate_bp,
        product_id=product.pk if product else None,
        description=description,
        unit=unit[:30],
        unit_cost=product.unit_cost if product else 0,
    )
