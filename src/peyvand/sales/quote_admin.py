"""Django admin for sales: quotes, read-only. Their changes go through the services, which number, price and
revise them, check versions and write the customer's timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from peyvand.sales.models import Quote, QuoteLine

LINE_FIELDS = (
    "position",
    "product",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "vat_applies",
    "net_amount",
    "vat_amount",
)


class _ReadOnly:
    """Shown, never changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QuoteLineInline(_ReadOnly, admin.TabularInline[QuoteLine, Quote]):
    model = QuoteLine
    fields = LINE_FIELDS
    readonly_fields = LINE_FIELDS
    extra = 0


@admin.register(Quote)
class QuoteAdmin(_ReadOnly, admin.ModelAdmin[Quote]):
    list_display = ("number", "revision", "customer", "title", "status", "issue_date", "valid_until", "total", "owner")
    list_filter = ("status", "team")
    search_fields = ("number", "title", "customer__display_name")
    date_hierarchy = "issue_date"
    raw_id_fields = ("customer", "deal", "previous")
    inlines = (QuoteLineInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Quote]:
        return super().get_queryset(request).select_related("customer", "owner", "team")
