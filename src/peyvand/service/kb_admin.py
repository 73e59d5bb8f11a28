"""Django admin for the knowledge base and satisfaction answers: to look at and search. Articles are written on
the site or through the API, whose services keep the search text and the version; answers come from customers."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peyvand.service.models import KbArticle, KbCategory, TicketSatisfaction


@admin.register(KbCategory)
class KbCategoryAdmin(admin.ModelAdmin[KbCategory]):
    list_display = ("name", "name_en", "position")
    search_fields = ("name", "name_en")


@admin.register(KbArticle)
class KbArticleAdmin(admin.ModelAdmin[KbArticle]):
    list_display = ("title", "language", "audience", "status", "section", "uses", "helpful_yes", "helpful_no")
    list_filter = ("status", "audience", "language", "section")
    search_fields = ("title", "tags")
    list_select_related = ("section",)
    readonly_fields = [field.name for field in KbArticle._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: KbArticle | None = None) -> bool:
        return False


@admin.register(TicketSatisfaction)
class TicketSatisfactionAdmin(admin.ModelAdmin[TicketSatisfaction]):
    list_display = ("ticket", "score", "answered_at", "agent", "team", "category")
    list_filter = ("score", "team")
    search_fields = ("ticket__number", "comment")
    list_select_related = ("ticket", "agent", "team", "category")
    # The token is the customer's key to their answer: staff have no need to see it.
    readonly_fields = [field.name for field in TicketSatisfaction._meta.fields if field.name != "token"]
    exclude = ("token",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TicketSatisfaction | None = None) -> bool:
        return False
