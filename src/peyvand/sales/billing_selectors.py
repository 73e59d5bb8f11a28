"""Reads of orders, invoices, payments and customer value, each scoped to what the caller may see
(`selectors.owned_visible_to`, the customers' scope read from the record's owner and team)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.jalali import local_days_q
from peyvand.core.pagination import Page, paginate
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.models import (
    ChequeStatus,
    CustomerValue,
    Invoice,
    InvoiceStatus,
    Order,
    Payment,
    PaymentMethod,
)
from peyvand.sales.selectors import owned_visible_to

# Each ends on the unique id so keyset pagination is exact.
ORDER_ORDERS: dict[str, tuple[str, ...]] = {
    "newest": ("-ordered_at", "-id"),
    "oldest": ("ordered_at", "id"),
    "-total": ("-total", "-id"),
}
INVOICE_ORDERS: dict[str, tuple[str, ...]] = {
    "newest": ("-id",),
    "oldest": ("id",),
    "due": ("due_date", "id"),
}
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def orders_visible_to(user: User | Any) -> QuerySet[Order]:
    return owned_visible_to(Order.objects.all(), user)


def invoices_visible_to(user: User | Any) -> QuerySet[Invoice]:
    return owned_visible_to(Invoice.objects.all(), user)


def order_get(*, user: User, pk: int) -> Order:
    """One visible order with its lines, or Order.DoesNotExist whether it is missing or someone else's."""
    return (
        orders_visible_to(user)
        .select_related("customer", "owner", "team", "deal", "quote")
        .prefetch_related("lines", "invoices")
        .get(pk=pk)
    )


def invoice_get(*, user: User, pk: int) -> Invoice:
    """One visible invoice with its lines and payments, or Invoice.DoesNotExist."""
    return (
        invoices_visible_to(user)
        .select_related("customer", "owner", "team", "order")
        .prefetch_related("lines", "payments")
        .get(pk=pk)
    )


def payment_get(*, user: User, pk: int) -> Payment:
    """One payment of a visible invoice, or Payment.DoesNotExist."""
    return Payment.objects.select_related("invoice", "customer").get(pk=pk, invoice__in=invoices_visible_to(user))


def overdue_q(today: date | None = None) -> Q:
    """Open (not paid, not cancelled) and past its due date, in the site's time zone."""
    return Q(status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate())


def order_filter(
    *,
    customer_id: int | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    ordered_from: date | None = None,
    ordered_to: date | None = None,
) -> Q:
    """The filters every order list offers; the date range is by the order's day in the site's time zone,
    both ends included."""
    where = Q()
    if customer_id:
        where &= Q(customer_id=customer_id)
    if status:
        where &= Q(status=status)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if team_id:
        where &= Q(team_id=team_id)
    # Bounds as moments (the day's start in the site's time zone), not ordered_at__date: a condition on the
    # column itself lets the database walk its index.
    return where & local_days_q("ordered_at", ordered_from, ordered_to)


def order_list(
    *, user: User, where: Q | None = None, order: str = "newest", cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of visible orders. Raises ValidationError for a cursor not ours."""
    orders = orders_visible_to(user).filter(where or Q()).select_related("customer", "owner")
    return paginate(orders, order=ORDER_ORDERS[order], cursor=cursor, limit=limit)


def invoice_filter(
    *,
    customer_id: int | None = None,
    order_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
    owner_id: int | None = None,
    team_id: int | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
) -> Q:
    """The filters every invoice list offers: `status` is a stored status; `open_only` issued or partly paid;
    `overdue` open and past due today (False: not overdue); the range is by issue date, both ends included."""
    where = Q()
    if customer_id:
        where &= Q(customer_id=customer_id)
    if order_id:
        where &= Q(order_id=order_id)
    if status:
        where &= Q(status=status)
    if open_only:
        where &= Q(status__in=OPEN_STATUSES)
    if overdue is True:
        where &= overdue_q()
    elif overdue is False:
        where &= ~overdue_q()
    if owner_id:
        where &= Q(owner_id=owner_id)
    if team_id:
        where &= Q(team_id=team_id)
    if issued_from:
        where &= Q(issue_date__gte=issued_from)
    if issued_to:
        where &= Q(issue_date__lte=issued_to)
    return where


def invoice_list(
    *, user: User, where: Q | None = None, order: str = "newest", cursor: str | None = None, limit: int = 50
) -> Page:
    invoices = invoices_visible_to(user).filter(where or Q()).select_related("customer", "owner")
    return paginate(invoices, order=INVOICE_ORDERS[order], cursor=cursor, limit=limit)


def invoices_overdue(*, user: User, limit: int = 100) -> list[Invoice]:
    """The visible overdue invoices, the longest overdue first."""
    return list(
        invoices_visible_to(user).filter(overdue_q()).select_related("customer").order_by("due_date", "id")[:limit]
    )


def payments_of_customer(*, user: User, customer_id: int, limit: int = 100) -> list[Payment]:
    """How a customer has paid: their payments against the invoices the user can see, newest first."""
    return list(
        Payment.objects.filter(customer_id=customer_id, invoice__in=invoices_visible_to(user))
        .select_related("invoice")
        .order_by("-received_at", "-id")[:limit]
    )


def cheques_due(*, user: User, days: int = 7, limit: int = 200) -> list[Payment]:
    """Cheques not yet cleared or bounced that fall due within `days` (or are past due): the ones to take to
    the bank. Earliest first."""
    until = timezone.localdate() + timedelta(days=days)
    return list(
        Payment.objects.filter(
            method=PaymentMethod.CHEQUE,
            cheque_status=ChequeStatus.PENDING,
            cheque_due_date__lte=until,
            invoice__in=invoices_visible_to(user),
        )
        .select_related("invoice", "customer")
        .order_by("cheque_due_date", "id")[:limit]
    )


def customer_documents(*, user: User, customer_id: int, limit: int = 5) -> tuple[list[Order], list[Invoice]]:
    """The latest visible orders and invoices of one customer (the 360° page)."""
    orders = list(orders_visible_to(user).filter(customer_id=customer_id).order_by("-ordered_at", "-id")[:limit])
    invoices = list(invoices_visible_to(user).filter(customer_id=customer_id).order_by("-id")[:limit])
    return orders, invoices


def customer_ranking(*, user: User, cursor: str | None = None, limit: int = 50) -> Page:
    """The stored ranking (ranking_recompute) cut down to the customers `user` can see, best first; ties share
    a rank and are listed by customer id."""
    values = CustomerValue.objects.filter(customer__in=customers_visible_to(user)).select_related("customer")
    return paginate(values, order=("rank", "customer_id"), cursor=cursor, limit=limit)


def customer_rank(*, customer_id: int) -> CustomerValue | None:
    return CustomerValue.objects.filter(customer_id=customer_id).first()
