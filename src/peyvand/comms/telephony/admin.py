"""Telephony in the Django admin: calls to read, extensions to keep."""

from django.contrib import admin

from peyvand.comms.telephony.models import Call, Extension


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin[Extension]):
    list_display = ("number", "user", "account")
    list_filter = ("account",)
    search_fields = ("number", "user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin[Call]):
    list_display = ("started_at", "direction", "status", "from_number", "to_number", "extension", "duration_seconds")
    list_filter = ("account", "direction", "status")
    search_fields = ("pbx_call_id", "from_number", "from_raw", "to_number", "extension")
    raw_id_fields = ("customer", "agent", "interaction")
    readonly_fields = [f.name for f in Call._meta.fields]
