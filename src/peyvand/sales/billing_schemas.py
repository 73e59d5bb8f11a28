"""API shapes for orders, invoices, payments and customer value; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Clean, Moment, Strict
from peyvand.sales.schemas import DateText, FilterDay, Id, Money

Quantity = Annotated[
    Decimal | int | str, Field(description="more than zero, up to three decimals", examples=["2", "1.5"])
]


class LineIn(Strict):
    product_id: Id | None = Field(None, description="a catalogue item: fills in what is not given")
    description: str | None = Field(None, max_length=255)
    quantity: Quantity = 1
    unit: str | None = Field(None, max_length=30)
    unit_price: Money | None = Field(None, description="default: the product's price")
    discount_percent: Decimal | int | str = Field(0, description="0 to 100, up to two decimals")
    vat_applies: bool | None = Field(None, description="default: the product's setting, else true")


class LineOut(Schema):
    position: int
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


def line_payloads(lines: list[LineIn]) -> list[dict[str, Any]]:
    """The lines as the pricing service takes them: only what was sent (so a product fills in the rest)."""
    return [line.model_dump(exclude_unset=True) for line in lines]


class TotalsOut(Schema):
    currency: str
    vat_rate_bp: int = Field(description="VAT rate in hundredths of a percent (1000 = 10%)")
    gross_total: int
    discount_total: int
    net_total: int = Field(description="before VAT: the revenue of the sale")
    vat_total: int
    total: int = Field(description="payable, VAT included")
    cost_total: int


# --- orders -----------------------------------------------------------------------------------------------


class OrderCreate(Strict):
    customer_id: Id
    lines: list[LineIn] = Field(..., max_length=500)
    deal_id: Id | None = None
    ordered_at: Moment | None = Field(None, description="default: now")
    owner_id: Id | None = Field(None, description="default: you")
    team_id: Id | None = Field(None, description="default: your team")
    notes: str = Field("", max_length=20000)


class OrderCancel(Strict):
    reason: str = Field(..., max_length=2000)


class InvoiceFromOrder(Strict):
    issue_date: DateText | None = Field(None, description="default: today")
    due_date: DateText | None = Field(None, description="default: 30 days after the issue date")


class OrderBrief(TotalsOut):
    id: int
    number: str
    customer_id: int
    customer_name: str
    deal_id: int | None
    quote_id: int | None
    status: Literal["confirmed", "fulfilled", "cancelled"]
    ordered_at: datetime
    owner_id: int | None
    team_id: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)


class OrderOut(OrderBrief):
    notes: str
    cancelled_reason: str
    lines: list[LineOut]
    invoice_ids: list[int]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_invoice_ids(obj: Any) -> list[int]:
        return [invoice.pk for invoice in obj.invoices.all()]


class OrderPage(Schema):
    items: list[OrderBrief]
    next_cursor: str | None


class OrderFilters(Clean):
    customer_id: Id | None = None
    status: Literal["confirmed", "fulfilled", "cancelled"] | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    ordered_from: FilterDay | None = Field(None, description="ordered on or after this day (Tehran)")
    ordered_to: FilterDay | None = Field(None, description="ordered on or before this day (Tehran)")
    order: Literal["newest", "oldest", "-total"] = "newest"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


# --- invoices and payments --------------------------------------------------------------------------------


class InvoiceCreate(Strict):
    customer_id: Id
    order_id: Id | None = Field(None, description="bill part of this order (its invoices may not exceed its total)")
    lines: list[LineIn] = Field(..., max_length=500)
    issue_date: DateText | None = Field(None, description="default: today")
    due_date: DateText | None = Field(None, description="default: 30 days after the issue date")
    owner_id: Id | None = Field(None, description="default: you")
    team_id: Id | None = Field(None, description="default: your team")
    notes: str = Field("", max_length=20000)


class InvoiceCancel(Strict):
    reason: str = Field("", max_length=2000)


class InvoiceBrief(TotalsOut):
    id: int
    number: str
    customer_id: int
    customer_name: str
    order_id: int | None
    status: Literal["issued", "partially_paid", "paid", "cancelled"]
    issue_date: date
    due_date: date
    paid_total: int = Field(description="payments that count (a bounced cheque does not)")
    balance: int = Field(description="total − paid; 0 for a cancelled invoice")
    overdue: bool = Field(description="open and past its due date (Tehran)")
    owner_id: int | None
    team_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        from django.utils import timezone

        return obj.status in ("issued", "partially_paid") and obj.due_date < timezone.localdate()


class PaymentIn(Strict):
    amount: Money
    method: Literal["cash", "card", "cheque", "transfer", "credit"] = Field(
        description="`credit` (selling on credit) is refused: the invoice stays open until it is paid"
    )
    received_at: Moment | None = Field(None, description="default: now")
    reference: str = Field("", max_length=64, description="bank tracking or terminal number; once per method")
    cheque_number: str = Field("", max_length=32)
    cheque_bank: str = Field("", max_length=100)
    cheque_due_date: DateText | None = Field(None, description="required for a cheque")
    notes: str = Field("", max_length=255)


class ChequeStatusIn(Strict):
    status: Literal["cleared", "bounced"]


class PaymentOut(Schema):
    id: int
    invoice_id: int
    customer_id: int
    amount: int
    method: str
    received_at: datetime
    reference: str
    cheque_number: str
    cheque_bank: str
    cheque_due_date: date | None
    cheque_status: str = Field(description="pending, cleared or bounced for a cheque; empty otherwise")
    counts: bool = Field(description="whether it counts towards the invoice (a bounced cheque does not)")
    notes: str
    created_at: datetime


class InvoiceOut(InvoiceBrief):
    cancelled_reason: str
    notes: str
    lines: list[LineOut]
    payments: list[PaymentOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_payments(obj: Any) -> list[Any]:
        return list(obj.payments.all())


class InvoicePage(Schema):
    items: list[InvoiceBrief]
    next_cursor: str | None


class InvoiceFilters(Clean):
    customer_id: Id | None = None
    order_id: Id | None = None
    status: Literal["issued", "partially_paid", "paid", "cancelled"] | None = None
    overdue: bool | None = Field(None, description="true: open and past due; false: not overdue")
    owner_id: Id | None = None
    team_id: Id | None = None
    issued_from: FilterDay | None = None
    issued_to: FilterDay | None = None
    order: Literal["newest", "oldest", "due"] = "newest"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


# --- customer value ---------------------------------------------------------------------------------------


class CustomerValueOut(Schema):
    customer_id: int
    revenue: int = Field(description="sum of the orders' totals before VAT, cancelled orders excluded")
    cost: int
    margin: int = Field(description="gross margin: revenue − cost")
    margin_percent: Decimal | None = Field(description="margin ÷ revenue × 100, one decimal")
    order_count: int
    average_order_value: int = Field(description="revenue ÷ orders, rounded half up to a Rial")
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    days_since_last_purchase: int | None
    rank: int | None = Field(description="by revenue, from the last ranking recomputation")


class RankedCustomerOut(Schema):
    customer_id: int
    customer_name: str
    rank: int | None
    revenue: int
    cost: int
    margin: int
    order_count: int
    average_order_value: int
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    computed_at: datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.display_name)

    @staticmethod
    def resolve_average_order_value(obj: Any) -> int:
        from peyvand.sales.services.customer_value import half_up_division

        return half_up_division(int(obj.revenue), int(obj.order_count))


class RankingPage(Schema):
    items: list[RankedCustomerOut]
    next_cursor: str | None


class RankingRecomputed(Schema):
    ranked: int = Field(description="customers with at least one purchase, ranked")
