"""Writes to what deals are built from: the product catalogue, the list of competitors, the default pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.text import normalize_digits, search_key
from peyvand.sales.models import Competitor, Pipeline, Product, ProductKind
from peyvand.sales.services._common import (
    Errors,
    check_money,
    clean_line,
    max_length,
    require_catalogue_editor,
    unknown_fields,
)

PRODUCT_FIELDS = {"name", "sku", "kind", "unit", "unit_price", "unit_cost", "vat_applies", "is_active", "description"}


def sku_of(value: object) -> str:
    """SKUs are codes, not names: compared and stored upper-cased, with ASCII digits and no spaces around."""
    return normalize_digits(str(value or "")).strip().upper()


def _clean_product(*, data: Mapping[str, Any], instance: Product | None) -> dict[str, Any]:
    errors = Errors()
    unknown_fields(data, PRODUCT_FIELDS, errors)
    errors.raise_if_any()
    out: dict[str, Any] = {}
    if "name" in data or instance is None:
        out["name"] = clean_line(data.get("name"), model=Product, field="name", errors=errors)
        if not out["name"]:
            errors.add("name", _("This field is required."))
    if "sku" in data:
        out["sku"] = sku_of(data["sku"])
        limit = max_length(Product, "sku") or 0
        if len(out["sku"]) > limit:
            errors.add("sku", _("This is too long: at most %(limit)d characters.") % {"limit": limit})
        elif out["sku"]:
            taken = Product.objects.filter(sku=out["sku"])
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors.add("sku", _("Another product already has this SKU."))
    if "kind" in data:
        if data["kind"] not in ProductKind.values:
            errors.add("kind", _("Choose product or service."))
        out["kind"] = data["kind"]
    if "unit" in data:
        out["unit"] = clean_line(data["unit"], model=Product, field="unit", errors=errors)
    for field in ("unit_price", "unit_cost"):
        if field in data:
            out[field] = check_money(data[field], field=field, errors=errors)
    for field in ("vat_applies", "is_active"):
        if field in data:
            if not isinstance(data[field], bool):
                errors.add(field, _("Choose yes or no."))
            out[field] = data[field]
    if "description" in data:
        out["description"] = str(data["description"] or "").strip()
    errors.raise_if_any()
    return out


@transaction.atomic
def product_create(*, by: User, data: Mapping[str, Any]) -> Product:
    require_catalogue_editor(by)
    product = Product(**_clean_product(data=data, instance=None))
    product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, by: User, data: Mapping[str, Any]) -> Product:
    require_catalogue_editor(by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    values = _clean_product(data=data, instance=product)
    for field, value in values.items():
        setattr(product, field, value)
    if values:
        product.save(update_fields=[*values, "updated_at"])
    return product


def competitor_key(name: str) -> str:
    return search_key(name)[:200]


@transaction.atomic
def competitor_create(*, by: User, name: str) -> Competitor:
    """Any member of staff may add a competitor: the one who loses a deal is the one who knows to whom."""
    errors = Errors()
    clean = clean_line(name, model=Competitor, field="name", errors=errors)
    key = competitor_key(clean)
    if not key:
        errors.add("name", _("This field is required."))
    elif Competitor.objects.filter(key=key).exists():
        errors.add("name", _("This competitor is already listed."))
    errors.raise_if_any()
    return Competitor.objects.create(name=clean, key=key)


@transaction.atomic
def pipeline_set_default(*, pipeline: Pipeline) -> Pipeline:
    """Make `pipeline` the one new deals go into; the previous default stops being it in the same transaction."""
    if not pipeline.stages.filter(outcome="open").exists():
        raise ValidationError({"is_default": [_("A pipeline needs an open stage before it can be the default.")]})
    now = timezone.now()
    # Read from the database, not from `pipeline`: the object may have been loaded before another became default.
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False, updated_at=now)
    Pipeline.objects.filter(pk=pipeline.pk, is_default=False).update(is_default=True, updated_at=now)
    pipeline.refresh_from_db(fields=["is_default", "updated_at"])
    return pipeline
