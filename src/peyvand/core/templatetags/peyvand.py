"""Template filters that show dates, digits, money and phone numbers the Persian way (a template builtin).

Filters never raise: a page must render even when a value is missing or of the wrong kind. Missing
values give ``""``; values of the wrong kind are shown as they are, with localised digits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django import template

from ..jalali import format_date, format_date_long, format_datetime, parse_date
from ..money import format_money
from ..phone import format_phone
from ..text import is_persian, to_persian_digits

register = template.Library()
logger = logging.getLogger(__name__)


def _is_empty(value: object) -> bool:
    return value is None or value == ""


@register.filter(is_safe=True)
def pdigits(value: object) -> str:
    """Persian digits (and ٬ ٫ separators) when the active language is Persian, else ``str(value)``."""
    if _is_empty(value):
        return ""
    return to_persian_digits(value) if is_persian() else str(value)


def _date_filter(value: object, formatter: Callable[[dt.date], str]) -> str:
    if _is_empty(value):
        return ""
    if isinstance(value, str):
        # Dates typed into a form that failed validation come back as text.
        try:
            value = parse_date(value)
        except ValueError:
            return pdigits(value)
    if not isinstance(value, dt.date):
        return pdigits(value)
    return formatter(value)


@register.filter
def jdate(value: object) -> str:
    """``۱۴۰۳/۰۱/۱۵`` in Persian, ``2024-04-03`` in English."""
    return _date_filter(value, format_date)


@register.filter(name="jdatetime")
def jdatetime_filter(value: object) -> str:
    """``۱۴۰۳/۰۱/۱۵ ۱۴:۰۵`` in Persian, ``2024-04-03 14:05`` in English, in local time."""
    return _date_filter(value, format_datetime)


@register.filter
def jdate_long(value: object) -> str:
    """``۱۵ فروردین ۱۴۰۳`` in Persian, ``3 April 2024`` in English."""
    return _date_filter(value, format_date_long)


@register.filter
def money(value: object, unit: str | None = None) -> str:
    """An amount in Rials in the site's unit (or ``unit``: ``"rial"``, ``"toman"``): ``۱۲٬۵۰۰ تومان``."""
    if _is_empty(value):
        return ""
    try:
        # Templates hand filters anything; format_money's own TypeError/ValueError is the check (caught below).
        return format_money(value, unit=unit or None)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        # Averages from reports arrive as floats; show them rather than break the page, but say so.
        logger.warning("money filter got %r, which is not an int number of Rials", value)
        return pdigits(value)


@register.filter
def phone(value: object) -> str:
    """``0912 123 4567`` for home-country numbers, international form for others; Persian digits in fa."""
    if _is_empty(value):
        return ""
    return format_phone(str(value))
