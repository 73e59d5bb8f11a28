"""Django admin for the customer database's configuration: custom fields and tags (records are edited in the
product's own pages, which keep history and check permissions)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.translation import gettext_lazy as _

from peyvand.customers.models import CustomField, CustomFieldType, Tag


class CustomFieldForm(ModelForm[CustomField]):
    class Meta:
        model = CustomField
        fields = (
            "key",
            "label_fa",
            "label_en",
            "field_type",
            "choices",
            "required",
            "applies_to",
            "position",
            "is_active",
        )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        choices = data.get("choices") or []
        if data.get("field_type") == CustomFieldType.CHOICE and (
            not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            raise ValidationError({"choices": _('A choice field needs a list of choices, e.g. ["gold", "silver"].')})
        return data


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin[CustomField]):
    form = CustomFieldForm
    list_display = ("key", "label_fa", "label_en", "field_type", "applies_to", "required", "is_active", "position")
    list_editable = ("position", "is_active")
    list_filter = ("field_type", "applies_to", "is_active")
    search_fields = ("key", "label_fa", "label_en")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "color")
    search_fields = ("name",)
