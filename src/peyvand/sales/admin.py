"""Django admin for sales' configuration: the catalogue, pipelines and their stages, competitors. Deals are shown
read-only: their changes go through the services, which check versions and write the customer's timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from peyvand.sales.models import Competitor, Deal, DealContact, Pipeline, Product, Stage
from peyvand.sales.services import pipeline_set_default, sku_of
from peyvand.sales.services.catalogue import competitor_key


class ProductForm(ModelForm[Product]):
    class Meta:
        model = Product
        fields = (
            "name",
            "sku",
            "kind",
            "unit",
            "unit_price",
            "unit_cost",
            "vat_applies",
            "is_active",
            "description",
        )

    def clean_sku(self) -> str:
        sku = sku_of(self.cleaned_data.get("sku"))
        if sku and Product.objects.filter(sku=sku).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another product already has this SKU."))
        return sku


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    form = ProductForm
    list_display = ("name", "sku", "kind", "unit", "unit_price", "unit_cost", "vat_applies", "is_active")
    list_filter = ("kind", "is_active", "vat_applies")
    search_fields = ("name", "sku")


class StageInline(admin.TabularInline[Stage, Pipeline]):
    model = Stage
    fields = ("position", "code", "name", "name_en", "probability", "outcome")
    extra = 0
    ordering = ("position", "id")


@admin.action(description=_("Make the default pipeline"))
def make_default(modeladmin: PipelineAdmin, request: HttpRequest, queryset: QuerySet[Pipeline]) -> None:
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Choose exactly one pipeline."), level="error")
        return
    try:
        pipeline_set_default(pipeline=queryset.get())
    except ValidationError as exc:
        modeladmin.message_user(request, " ".join(exc.messages), level="error")


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin[Pipeline]):
    # The default is changed only by the action, which moves it from the old default in one step: there is
    # always exactly one.
    fields = ("name", "name_en", "is_default")
    readonly_fields = ("is_default",)
    list_display = ("name", "name_en", "is_default")
    actions = (make_default,)
    inlines = (StageInline,)

    def has_delete_permission(self, request: HttpRequest, obj: Pipeline | None = None) -> bool:
        return obj is None or not obj.is_default


class CompetitorForm(ModelForm[Competitor]):
    class Meta:
        model = Competitor
        fields = ("name",)

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        taken = Competitor.objects.filter(key=competitor_key(name)).exclude(pk=self.instance.pk)
        if not competitor_key(name):
            raise ValidationError(_("This field is required."))
        if taken.exists():
            raise ValidationError(_("This competitor is already listed."))
        return name


@admin.register(Competitor)
class CompetitorAdmin(admin.ModelAdmin[Competitor]):
    form = CompetitorForm
    list_display = ("name",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Competitor, form: Any, change: bool) -> None:
        obj.key = competitor_key(obj.name)
        super().save_model(request, obj, form, change)


class DealContactInline(admin.TabularInline[DealContact, Deal]):
    model = DealContact
    fields = ("contact", "role")
    readonly_fields = ("contact", "role")
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin[Deal]):
    list_display = ("title", "customer", "pipeline", "stage", "amount", "expected_close_date", "owner", "closed_at")
    list_filter = ("pipeline", "stage__outcome", "team")
    search_fields = ("title", "customer__display_name")
    list_select_related = ("customer", "pipeline", "stage", "owner")
    raw_id_fields = ("customer",)
    inlines = (DealContactInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deal]:
        return super().get_queryset(request).select_related("customer", "pipeline", "stage", "owner", "lost_to")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Deal | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Deal | None = None) -> bool:
        return False


# Each part of sales registers its own models; importing the modules here is what registers them.
from peyvand.sales import (  # noqa: E402, F401
    activity_admin,
    billing_admin,
    contract_admin,
    lead_admin,
    quote_admin,
)
