"""Web forms in Django's admin: for looking into a form's stored settings and submissions, not for building."""

from django.contrib import admin

from peyvand.comms.webforms.models import FormSubmission, WebForm


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin[WebForm]):
    list_display = ("name", "key", "action", "is_active", "updated_at")
    list_filter = ("action", "is_active")
    search_fields = ("name", "key", "title_fa")
    readonly_fields = ("key", "created_by")


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin[FormSubmission]):
    list_display = ("id", "form", "status", "spam_reason", "created_at")
    list_filter = ("status", "spam_reason", "form")
    raw_id_fields = ("customer", "lead", "ticket", "inbound")
    readonly_fields = ("nonce", "ip_hash", "user_agent", "origin")
