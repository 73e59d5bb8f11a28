"""What every page form shares: Bootstrap's classes on its widgets, and date inputs as the page's language
wants them (the Jalali picker in Persian, the browser's date input in English)."""

from __future__ import annotations

import datetime as dt

from django import forms

from peyvand.core.jalali import to_jalali_string
from peyvand.core.text import is_persian


def bootstrap_styled(form: forms.Form) -> None:
    """Give each widget Bootstrap's class for its kind, after whatever class it has."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def date_input(field: forms.Field | None) -> None:
    """In Persian the Jalali picker (app.js watches inputs carrying data-jdp; people may also type the date),
    in English the browser's date input. Call it once the page's language is known."""
    if field is None:
        return
    if is_persian():
        field.widget.attrs.update({"data-jdp": "", "placeholder": "۱۴۰۳/۰۱/۱۵", "autocomplete": "off", "dir": "ltr"})
    else:
        assert isinstance(field.widget, forms.TextInput)
        field.widget.input_type = "date"


def date_input_text(value: dt.date | None) -> str:
    """A date as a date_input is filled: Jalali text in Persian, ISO (what a date input takes) in English."""
    if value is None:
        return ""
    return to_jalali_string(value) if is_persian() else value.isoformat()
