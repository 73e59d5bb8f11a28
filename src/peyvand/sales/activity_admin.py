"""Django admin for sales: activity, and staff notifications."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from peyvand.accounts.models import Notification
from peyvand.sales.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    """Activities to look at and search. They are planned, changed and completed on the site or through the
    API, whose services check who may see and assign them, keep the reminder time in step and write the
    timeline entry; the admin only reads them, and may delete one planned by mistake."""

    list_display = ("subject", "kind", "status", "due_at", "assigned_to", "team", "customer", "deal", "reminded_at")
    list_filter = ("status", "kind", "team")
    search_fields = ("subject", "location", "customer__display_name", "deal__title")
    list_select_related = ("assigned_to", "team", "customer", "deal")
    date_hierarchy = "due_at"
    readonly_fields = [field.name for field in Activity._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        return super().get_queryset(request).select_related("assigned_to", "team", "customer", "deal", "lead")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Activity | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """Notifications sent to staff, to check that a reminder went out (and by e-mail); read-only, since each is
    written by the module that sends it (accounts.services.notify_user)."""

    list_display = ("title", "user", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False
