"""Django admin for contracts (read-only: their changes go through the services, which number them, check the
dates and write the customer's timeline) and sales targets."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from peyvand.sales.models import Contract, ContractFile, Target


class ContractFileInline(admin.TabularInline[ContractFile, Contract]):
    model = ContractFile
    # The file's storage path is not shown: files are downloaded from the contract's page, which checks access.
    fields = ("name", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    list_display = ("number", "title", "customer", "status", "start_date", "end_date", "value", "owner")
    list_filter = ("status", "auto_renew", "team")
    search_fields = ("number", "title", "customer__display_name")
    list_select_related = ("customer", "owner")
    raw_id_fields = ("customer", "deal", "renewed_from")
    date_hierarchy = "end_date"
    inlines = (ContractFileInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).select_related("customer", "owner", "team")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Target]):
    list_display = ("__str__", "user", "team", "metric", "period", "jalali_year", "period_number", "amount")
    list_filter = ("metric", "period", "jalali_year", "team")
    list_select_related = ("user", "team")
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Targets are set on the targets page, where who may set whose is checked.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Target | None = None) -> bool:
        return False
