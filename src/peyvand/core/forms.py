"""What every page form shares: Bootstrap's classes on its widgets, date inputs as the page's language wants
them (the Jalali picker in Persian, the browser's date input in English), and the round of a settings form
whose save is a service call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

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


def form_page(
    request: HttpRequest,
    form: Any,
    *,
    save: Callable[[], Any],
    template: str,
    context: dict[str, Any],
    saved: Callable[[Any], str],
    then: str,
) -> HttpResponse:
    """A form page: shown (200); posted and valid, `save()` (the service call) runs and the page goes to `then`
    with the message `saved(result)`; the service's ValidationError goes back onto the form's fields and, like
    a form that does not validate, the page is shown again with 422. The form needs `add_service_errors`."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = save()
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, saved(result))
                return redirect(then)
    return render(request, template, {"form": form, **context}, status=status)
