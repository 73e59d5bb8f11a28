"""Django admin for tickets and their categories: read-only views for looking things up (the site and the API
make every change, through services that keep the history, the SLA and the versions right)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from peyvand.service.models import Ticket, TicketCategory, TicketEvent, TicketMessage


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketMessageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TicketMessage
    fields = ("created_at", "kind", "author", "channel", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False


class TicketEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TicketEvent
    fields = ("at", "kind", "by", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(_ReadOnly):
    list_display = ("number", "subject", "kind", "status", "priority", "team", "assignee", "created_at")
    list_filter = ("status", "kind", "priority", "channel", "team")
    search_fields = ("number", "subject", "contact_email", "contact_phone")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Ticket._meta.fields]
    inlines = (TicketMessageInline, TicketEventInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).select_related("team", "assignee", "customer", "category")


@admin.register(TicketCategory)
class TicketCategoryAdmin(_ReadOnly):
    list_display = ("__str__", "path", "is_active", "default_team", "default_priority")
    list_filter = ("is_active",)
    search_fields = ("name", "name_en")
    readonly_fields = [field.name for field in TicketCategory._meta.fields]
