"""Django admin for sales: orders, invoices, payments and the customer ranking, read-only. Their changes go
through the services, which keep totals, balances and numbers consistent and write the customer's timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from peyvand.sales.models import CustomerValue, Invoice, InvoiceLine, Order, OrderLine, Payment

LINE_FIELDS = (
    "position",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "unit_cost",
    "discount_percent",
    "vat_applies",
    "net_amount",
    "vat_amount",
)


class ReadOnly:
    """Shown, never changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnly, admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    fields = LINE_FIELDS
    extra = 0


class InvoiceLineInline(ReadOnly, admin.TabularInline[InvoiceLine, Invoice]):
    model = InvoiceLine
    fields = LINE_FIELDS
    extra = 0


class PaymentInline(ReadOnly, admin.TabularInline[Payment, Invoice]):
    model = Payment
    fields = ("received_at", "method", "amount", "reference", "cheque_number", "cheque_due_date", "cheque_status")
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnly, admin.ModelAdmin[Order]):
    list_display = ("number", "customer", "status", "ordered_at", "net_total", "total", "owner")
    list_filter = ("status", "team")
    search_fields = ("number", "customer__display_name")
    list_select_related = ("customer", "owner")
    date_hierarchy = "ordered_at"
    inlines = (OrderLineInline,)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, admin.ModelAdmin[Invoice]):
    list_display = ("number", "customer", "status", "issue_date", "due_date", "total", "paid_total", "owner")
    list_filter = ("status", "team")
    search_fields = ("number", "customer__display_name")
    list_select_related = ("customer", "owner")
    date_hierarchy = "issue_date"
    inlines = (InvoiceLineInline, PaymentInline)


@admin.register(Payment)
class PaymentAdmin(ReadOnly, admin.ModelAdmin[Payment]):
    list_display = ("invoice", "customer", "method", "amount", "received_at", "reference", "cheque_status")
    list_filter = ("method", "cheque_status")
    search_fields = ("invoice__number", "reference", "cheque_number", "customer__display_name")
    list_select_related = ("invoice", "customer")


@admin.register(CustomerValue)
class CustomerValueAdmin(ReadOnly, admin.ModelAdmin[CustomerValue]):
    list_display = ("rank", "customer", "revenue", "cost", "order_count", "last_purchase_at", "computed_at")
    search_fields = ("customer__display_name",)
    ordering = ("rank",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Model] = super().get_queryset(request)
        return queryset.select_related("customer")
