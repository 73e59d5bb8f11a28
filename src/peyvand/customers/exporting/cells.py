"""One cell of an export: formula neutralisation, phone numbers as dialled, dates in the reader's calendar."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from peyvand.core.jalali import format_date
from peyvand.core.phone import format_phone
from peyvand.core.text import to_persian_digits

# What spreadsheet programs read as the start of a formula (OWASP, "CSV injection"), plus the full-width
# forms some of them also accept. A text cell starting with one gets an apostrophe in front.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

Value = str | int | dt.date | dt.datetime | None

_IRANIAN_MOBILE = re.compile(r"\+989\d{9}")


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it and never runs: an apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_phone(e164: str) -> str:
    """A stored number as people dial it from Iran, in ASCII digits so it can be copied into a dialler or an
    SMS panel: 0912 123 4567, and a foreign one with 00 for its + (0044 20 7946 0958).

    Writing + as 00 (the international prefix dialled from Iran) keeps every real number clear of the
    formula guard: a cell starting with + would otherwise need the apostrophe, or be read by Excel as a
    sum. Only text that is not a phone number (bad old data) can still start with one, and is guarded.
    """
    if _IRANIAN_MOBILE.fullmatch(e164) and str(getattr(settings, "PEYVAND_PHONE_REGION", "IR")).upper() == "IR":
        # Nearly every stored number is one of these, and their national form is fixed; writing it out
        # directly is some thirty times cheaper than parsing, which counts over a million rows.
        return f"0{e164[3:6]} {e164[6:9]} {e164[9:]}"
    text = format_phone(e164, "en")
    return "00" + text[1:] if text.startswith("+") and text[1:2].isdigit() else text


@lru_cache(maxsize=65_536)
def _jalali_day(day: dt.date) -> str:
    # Birth dates and days repeat a great deal over a long list; the calendar conversion is the costly part.
    return format_date(day, "fa")


def day_cell(value: dt.date | None, persian: bool) -> Value:
    """۱۴۰۳/۰۱/۱۵ (text) in Persian; in English a real date, which Excel shows and sorts as one."""
    if value is None:
        return None
    return _jalali_day(value) if persian else value


def moment_cell(value: dt.datetime | None, persian: bool) -> Value:
    """A moment in the site's time zone: ۱۴۰۳/۰۱/۱۵ ۱۴:۰۵ in Persian, a real date and time in English."""
    if value is None:
        return None
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if persian:
        return f"{_jalali_day(local.date())} {_persian_clock(local.hour, local.minute)}"
    return local.replace(tzinfo=None, second=0, microsecond=0)


@lru_cache(maxsize=24 * 60)
def _persian_clock(hour: int, minute: int) -> str:
    return to_persian_digits(f"{hour:02d}:{minute:02d}")
