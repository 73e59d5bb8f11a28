"""Django admin for sales: lead."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from peyvand.sales.models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin[Lead]):
    """Leads to look at and search. They are recorded, qualified and converted on the site or through the API,
    whose services check the phone, the owner's reach and the conversion's single transaction; the admin only
    reads them, and may delete one recorded by mistake."""

    list_display = ("__str__", "phone", "email", "source", "status", "estimated_amount", "owner", "team", "created_at")
    list_filter = ("status", "source", "team")
    search_fields = ("first_name", "last_name", "company_name", "phone", "email")
    list_select_related = ("owner", "team")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Lead._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        return super().get_queryset(request).select_related("owner", "team", "converted_customer", "converted_deal")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        return False
