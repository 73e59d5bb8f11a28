"""What each customer is worth: revenue, cost and gross margin, orders, average order value, first and last
purchase, read from the orders that count (`models.billing.PURCHASE`), and the ranking of customers by revenue.

One customer's figures are read live, in one aggregate over the `order_customer_value` index (customer, status,
ordered_at, net_total, cost_total: the database answers from the index alone). The ranking is a table
(`CustomerValue`) rebuilt by two set-based statements, never by a loop over customers in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from peyvand.customers.models import Customer
from peyvand.sales.models import PURCHASE, CustomerValue, Order, OrderStatus


@dataclass(frozen=True)
class CustomerValueFigures:
    """A customer's purchase figures in whole Rials (revenue before VAT: VAT is the state's, not the sale's)."""

    revenue: int
    cost: int
    margin: int
    order_count: int
    # Revenue ÷ orders, rounded half up to a Rial; 0 without orders.
    average_order_value: int
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    # Whole days between the last purchase's day and today, both in the site's time zone; None without orders.
    days_since_last_purchase: int | None

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent_of(revenue=self.revenue, margin=self.margin)


def margin_percent_of(*, revenue: int, margin: int) -> Decimal | None:
    """Gross margin as a percentage of revenue, to one decimal (half up); None without revenue."""
    if revenue <= 0:
        return None
    return (Decimal(margin) * 100 / Decimal(revenue)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def half_up_division(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half up, exact for integers of any size (no float on the way)."""
    if denominator == 0:
        return 0
    return (2 * numerator + denominator) // (2 * denominator)


def customer_value(*, customer_id: int) -> CustomerValueFigures:
    """One customer's figures, live from their orders in one query. No permission check here: the caller (API,
    page) shows them only for a customer the user can see."""
    row = (
        Order.objects.filter(customer_id=customer_id)
        .filter(PURCHASE)
        .aggregate(
            revenue=Sum("net_total"),
            cost=Sum("cost_total"),
            order_count=Count("*"),
            first=Min("ordered_at"),
            last=Max("ordered_at"),
        )
    )
    # Sum() of a bigint is a numeric (a Decimal) on PostgreSQL: made an int here, exact either way.
    revenue = int(row["revenue"] or 0)
    cost = int(row["cost"] or 0)
    count = int(row["order_count"] or 0)
    last: datetime | None = row["last"]
    days = (timezone.localdate() - timezone.localdate(last)).days if last is not None else None
    return CustomerValueFigures(
        revenue=revenue,
        cost=cost,
        margin=revenue - cost,
        order_count=count,
        average_order_value=half_up_division(revenue, count),
        first_purchase_at=row["first"],
        last_purchase_at=last,
        days_since_last_purchase=days,
    )


# The index of CustomerValue.Meta.indexes that the SQLite path drops and builds again.
RANK_INDEX = "customer_value_rank"


def _aggregate_sql(*, extra_column: str = "") -> str:
    """The ranking as one SELECT: per customer (not deleted) with purchases, the sums, count, first and last
    purchase, and RANK() by revenue (ties share a rank, the next rank skips: 1, 1, 3). Plain SQL that SQLite and
    PostgreSQL both run; the only literal is the cancelled status, a constant of the code, never input."""
    q = connection.ops.quote_name
    orders = q(Order._meta.db_table)
    customers = q(Customer._meta.db_table)
    # PURCHASE is "not cancelled"; kept in step with models.billing by the test that compares both readings.
    cancelled = OrderStatus.CANCELLED.value.replace("'", "''")
    extra = f", {extra_column}" if extra_column else ""
    # Names from the models and a constant of the code, never input.
    return (
        f"SELECT o.{q('customer_id')}, SUM(o.{q('net_total')}), SUM(o.{q('cost_total')}), COUNT(*), "  # noqa: S608
        f"MIN(o.{q('ordered_at')}), MAX(o.{q('ordered_at')}), "
        f"RANK() OVER (ORDER BY SUM(o.{q('net_total')}) DESC){extra} "
        f"FROM {orders} o JOIN {customers} c ON c.{q('id')} = o.{q('customer_id')} "
        f"WHERE o.{q('status')} <> '{cancelled}' AND c.{q('deleted_at')} IS NULL "
        f"GROUP BY o.{q('customer_id')}"
    )


def ranking_floor_sql() -> str:
    """The ranking's aggregation as one plain SELECT: the baseline the recomputation is measured against."""
    return _aggregate_sql()


@transaction.atomic
def ranking_recompute() -> int:
    """Rebuild every customer's figures and rank from the orders, in one transaction of two statements (a
    DELETE, then an INSERT … SELECT … GROUP BY with RANK()); readers see the old ranking until it commits.
    Returns how many customers were ranked."""
    q = connection.ops.quote_name
    table = q(CustomerValue._meta.db_table)
    columns = ", ".join(
        q(name)
        for name in (
            "customer_id",
            "revenue",
            "cost",
            "order_count",
            "first_purchase_at",
            "last_purchase_at",
            "rank",
            "computed_at",
        )
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    aggregate = _aggregate_sql(extra_column="%s")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table name from the model, no input
        if connection.vendor != "sqlite":
            cursor.execute(f"INSERT INTO {table} ({columns}) {aggregate}", [now])
            return max(int(cursor.rowcount), 0)
        # SQLite: rows written in primary-key order append to the table's B-tree instead of landing all over it
        # (RANK() hands them over in revenue order), and the rank index is built once, sorted, instead of grown
        # a row at a time. Both inside the transaction: a failure leaves the old ranking and its index.
        index = q(RANK_INDEX)
        cursor.execute(f"DROP INDEX {index}")
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM ({aggregate}) ORDER BY 1", [now])  # noqa: S608
        ranked = max(int(cursor.rowcount), 0)
        cursor.execute(f"CREATE INDEX {index} ON {table} ({q('rank')})")
        return ranked
