"""Jalali (Solar Hijri) dates: parse what people type, show dates in the reader's calendar and time zone."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
from django.db.models import Q
from django.utils import timezone

from .text import is_persian, normalize_digits, to_persian_digits

__all__ = [
    "format_date",
    "format_date_long",
    "format_datetime",
    "jalali_month_range",
    "parse_date",
    "to_jalali_string",
]

# Years from here on are Gregorian: Jalali 1700 is Gregorian 2321, Gregorian 1700 is Jalali 1079,
# so no date a CRM meets is ambiguous.
GREGORIAN_FROM_YEAR = 1700

# Month names are calendar data, not interface text: the Jalali names are only ever shown in Persian
# and the Gregorian ones in English, whatever language is active when the caller passes ``lang``.
JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
GREGORIAN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_DATE_RE = re.compile(r"(\d{4})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d{1,2})", re.ASCII)


def parse_date(value: str) -> dt.date:
    """A Gregorian date from ``year/month/day`` text: Jalali if the year is below 1700, else Gregorian.

    Accepts ``/``, ``-`` or ``.`` as separator and Persian, Arabic-Indic or ASCII digits.
    """
    if not isinstance(value, str):
        raise TypeError(f"parse_date expects a string, got {type(value).__name__}")
    text = normalize_digits(value).strip()
    if not text:
        raise ValueError("Date is empty.")
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{value!r} is not a date; write year/month/day, for example 1403/01/15 or 2024-04-03.")
    year, month, day = int(match[1]), int(match[3]), int(match[4])
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r} is not a date: month {month} is not between 1 and 12.")
    if year >= GREGORIAN_FROM_YEAR:
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date: the Gregorian month {year}-{month:02d} has no day {day}."
            ) from None
    if year < 1:
        raise ValueError(f"{value!r} is not a date: year {year} is out of range.")
    try:
        gregorian: dt.date = jdatetime.date(year, month, day).togregorian()
        return gregorian
    except ValueError:
        raise ValueError(f"{value!r} is not a date: the Jalali month {year}/{month:02d} has no day {day}.") from None


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    # Aware datetimes are stored in UTC and shown in the site's zone (Asia/Tehran). A naive datetime
    # has no zone to convert from, so it is taken to already be wall-clock time.
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    local = _local(value)
    return local.date() if isinstance(local, dt.datetime) else local


def _jalali(value: dt.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=value)


def to_jalali_string(value: dt.date | dt.datetime) -> str:
    """``1403/01/15`` with ASCII digits: what date inputs and the date picker are filled with."""
    jalali = _jalali(_as_date(value))
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"


def format_date(value: dt.date | dt.datetime | None, lang: str | None = None) -> str:
    """``۱۴۰۳/۰۱/۱۵`` in Persian, ``2024-04-03`` otherwise; ``""`` for None."""
    if value is None:
        return ""
    day = _as_date(value)
    if is_persian(lang):
        return to_persian_digits(to_jalali_string(day))
    return day.isoformat()


def format_datetime(value: dt.datetime | dt.date | None, lang: str | None = None) -> str:
    """``۱۴۰۳/۰۱/۱۵ ۱۴:۰۵`` in Persian, ``2024-04-03 14:05`` otherwise, in local time; ``""`` for None."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return format_date(value, lang)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if is_persian(lang):
        return to_persian_digits(f"{to_jalali_string(local.date())} {clock}")
    return f"{local.date().isoformat()} {clock}"


def format_date_long(value: dt.date | dt.datetime | None, lang: str | None = None) -> str:
    """``۱۵ فروردین ۱۴۰۳`` in Persian, ``3 April 2024`` otherwise; ``""`` for None."""
    if value is None:
        return ""
    day = _as_date(value)
    if is_persian(lang):
        jalali = _jalali(day)
        return to_persian_digits(f"{jalali.day} {JALALI_MONTHS[jalali.month - 1]} {jalali.year}")
    return f"{day.day} {GREGORIAN_MONTHS[day.month - 1]} {day.year}"


def jalali_month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The Gregorian first and last day of Jalali ``year``/``month`` (both inclusive)."""
    if not 1 <= month <= 12:
        raise ValueError(f"Jalali month must be between 1 and 12, got {month}.")
    first = jdatetime.date(year, month, 1)
    following = jdatetime.date(year + 1, 1, 1) if month == 12 else jdatetime.date(year, month + 1, 1)
    return first.togregorian(), following.togregorian() - dt.timedelta(days=1)


# Days a range over stored times may start or end at: beyond these, a typed date is taken as "no bound" (the
# start of year 1 or of the day after 9999-12-31 in Tehran is outside what Python's datetime holds).
FIRST_BOUNDED_DAY = dt.date(1900, 1, 1)
LAST_BOUNDED_DAY = dt.date(2199, 12, 31)


def day_start(day: dt.date) -> dt.datetime | None:
    """Midnight at the start of `day` in the site's time zone (Asia/Tehran), for a range over UTC times; None for a
    day too far off to bound anything."""
    if not FIRST_BOUNDED_DAY <= day <= LAST_BOUNDED_DAY:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def local_days_q(field: str, first: dt.date | None, last: dt.date | None) -> Q:
    """`field` (a stored UTC time) within the days `first` to `last`, both included, in the site's time zone; a
    missing or far-off bound leaves that side open."""
    where = Q()
    start = day_start(first) if first is not None else None
    if start is not None:
        where &= Q(**{f"{field}__gte": start})
    if last is not None and last < LAST_BOUNDED_DAY:
        end = day_start(last + dt.timedelta(days=1))
        if end is not None:
            where &= Q(**{f"{field}__lt": end})
    return where
