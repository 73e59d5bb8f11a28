"""The line-item editor shared by the quote, order and invoice forms: rows as typed, lines as the services take them.

The rows are a Django formset (prefix ``lines``: ``lines-0-description``, ``lines-TOTAL_FORMS``…), so a page
without JavaScript still posts them and a page sent back keeps what was typed. The rules (quantities above
zero, discounts up to 100 %, known products, the amounts) are `pricing.clean_lines`'s; this module only turns
text into what it takes (prices typed in the site's money unit into Rials) and puts its `lines.<i>.<field>`
errors back on the row they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from peyvand.core.forms import bootstrap_styled
from peyvand.core.money import RIALS_PER_UNIT, format_money
from peyvand.sales.forms import MoneyField
from peyvand.sales.models import Product
from peyvand.sales.services.pricing import default_vat_rate_bp

PREFIX = "lines"
# Products offered in each row's chooser: the active catalogue, up to this many (a row can also be free text).
PRODUCT_CHOICES_LIMIT = 1000
# The row fields as the services name them → as the row form names them.
ROW_FIELD_NAMES = {
    "product_id": "product",
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "unit_price": "unit_price",
    "discount_percent": "discount_percent",
    "vat_applies": "vat_applies",
}


def unit_per_rial() -> int:
    """How many Rials one unit of the site's money (Toman or Rial) is: prices are typed and shown in it."""
    return RIALS_PER_UNIT[str(settings.PEYVAND_MONEY_UNIT)]


def _number_text(value: Decimal | int | None) -> str:
    """1.500 → "1.5", 2.000 → "2": the shortest text of a quantity or a discount, for the form's inputs."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class LineRowForm(forms.Form):
    """One row of the editor. Every field is optional: an untouched row is dropped, a half-filled one is checked
    by the services like any other line."""

    product = forms.TypedChoiceField(label=_("product"), required=False, coerce=int, empty_value=None)
    description = forms.CharField(label=_("description"), required=False, max_length=255)
    quantity = forms.CharField(
        label=_("quantity"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.CharField(label=_("unit"), required=False, max_length=30)
    unit_price = MoneyField(label=_("unit price"), required=False)
    discount_percent = forms.CharField(
        label=_("discount (%)"), required=False, max_length=10, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    vat_applies = forms.BooleanField(label=_("VAT applies"), required=False)

    def __init__(self, *args: Any, product_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.TypedChoiceField)
        product.choices = [("", "—"), *product_choices]
        for name in ("quantity", "unit_price", "discount_percent"):
            self.fields[name].widget.attrs["dir"] = "ltr"
        bootstrap_styled(self)

    def is_blank(self) -> bool:
        """No product, description or price: a spare row, not a line (new rows come with a quantity of 1 and the
        VAT box ticked, so those two say nothing)."""
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(name) not in (None, "") for name in ("product", "description", "unit_price"))

    def line(self) -> dict[str, Any]:
        """The row as `pricing.clean_lines` takes it; what was left empty is left out, so that the product's
        own description, unit, price and VAT flag fill it in."""
        data = self.cleaned_data
        out: dict[str, Any] = {"vat_applies": bool(data.get("vat_applies"))}
        if data.get("product") is not None:
            out["product_id"] = data["product"]
        for name in ("description", "unit"):
            if data.get(name):
                out[name] = data[name]
        # The quantity and the discount go as typed (Persian digits and ٫ too): clean_lines reads them exactly.
        out["quantity"] = data.get("quantity") or "1"
        if data.get("discount_percent"):
            out["discount_percent"] = data["discount_percent"]
        if data.get("unit_price") is not None:
            out["unit_price"] = data["unit_price"]
        return out


class BaseLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, product_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        self.product_choices = list(product_choices)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"product_choices": self.product_choices}


LineFormSet = cast(
    type[BaseLineFormSet],
    formset_factory(LineRowForm, formset=BaseLineFormSet, extra=0, max_num=500, absolute_max=500),
)


def line_initial(lines: Iterable[Any]) -> list[dict[str, Any]]:
    """A document's stored lines (QuoteLine, OrderLine, InvoiceLine…) as the editor's rows."""
    per_unit = unit_per_rial()
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": _number_text(line.quantity),
            "unit": line.unit,
            "unit_price": f"{line.unit_price // per_unit:,}",
            "discount_percent": _number_text(line.discount_percent) if line.discount_percent else "",
            "vat_applies": line.vat_applies,
        }
        for line in lines
    ]


class LineEditor:
    """The rows of one document form. In a view::

        editor = LineEditor(request.POST or None, initial=line_initial(quote.lines.all()))
        if form.is_valid() and editor.is_valid():
            data["lines"] = editor.lines()
            try:
                quote_update(..., data=data)
            except ValidationError as exc:
                rest = editor.add_service_errors(exc)   # lines.<i>.<field> onto their rows
                form.add_service_errors(rest)          # everything else onto the document's form

    and in the template ``{% include "sales/_line_editor.html" with editor=editor %}``.
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Sequence[Mapping[str, Any]] | None = None,
        vat_rate_bp: int | None = None,
    ) -> None:
        products = list(Product.objects.filter(is_active=True).order_by("name", "id")[:PRODUCT_CHOICES_LIMIT])
        # Lines of a product since withdrawn stay editable: their product stays in the chooser.
        wanted = {int(pk) for row in initial or () if (pk := row.get("product")) is not None} - {p.pk for p in products}
        if wanted:
            products += list(Product.objects.filter(pk__in=wanted))
        self.products = products
        choices = [(str(p.pk), f"{p.name} ({p.sku})" if p.sku else p.name) for p in products]
        rows = list(initial or [])
        if data is None and not rows:
            rows = [{"quantity": "1", "vat_applies": True}]
        self.formset = LineFormSet(data, initial=rows, prefix=PREFIX, product_choices=choices)
        self.vat_rate_bp = default_vat_rate_bp() if vat_rate_bp is None else vat_rate_bp
        self.non_row_errors: list[str] = []
        # The index of each line given to the services → the row it came from (blank rows are skipped).
        self._rows: list[int] = []

    # --- the form's side --------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        return self.formset.is_valid() and not self.non_row_errors

    def lines(self) -> list[dict[str, Any]]:
        """The filled rows as the services take them (only after is_valid())."""
        out: list[dict[str, Any]] = []
        self._rows = []
        for index, row in enumerate(self.formset.forms):
            if row.is_blank():
                continue
            out.append(row.line())
            self._rows.append(index)
        return out

    def add_service_errors(self, error: ValidationError) -> ValidationError | None:
        """Put the services' `lines.<i>.<field>` errors on their rows and `lines` on the editor; what is left
        (the document's own fields) comes back for the document's form, or None."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        rest: dict[str, list[str]] = {}
        for key, texts in messages.items():
            parts = key.split(".")
            if parts[0] != PREFIX:
                rest[key] = list(texts)
                continue
            if len(parts) == 1 or not parts[1].isdigit():
                self.non_row_errors.extend(texts)
                continue
            index = int(parts[1])
            row_index = self._rows[index] if index < len(self._rows) else index
            if row_index >= len(self.formset.forms):
                self.non_row_errors.extend(texts)
                continue
            row = self.formset.forms[row_index]
            name = ROW_FIELD_NAMES.get(parts[2], "") if len(parts) > 2 else ""
            row.add_error(name if name in row.fields else None, list(texts))
        return ValidationError(rest) if rest else None

    # --- the template's side ----------------------------------------------------------------------------

    @property
    def errors(self) -> list[str]:
        return [*self.non_row_errors, *(str(e) for e in self.formset.non_form_errors())]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.formset.forms)

    def product_data(self) -> list[dict[str, Any]]:
        """What picking a product fills in, for the editor's script (prices in the site's money unit)."""
        per_unit = unit_per_rial()
        return [
            {
                "id": p.pk,
                "name": p.name,
                "unit": p.unit,
                "price": p.unit_price // per_unit,
                "vat": p.vat_applies,
            }
            for p in self.products
        ]

    @property
    def products_script_id(self) -> str:
        return f"{PREFIX}-products"

    @property
    def rials_per_unit(self) -> int:
        return unit_per_rial()

    @property
    def unit_name(self) -> str:
        return format_money(0).split(" ", 1)[-1]
