"""Jalali (Solar Hijri) dates: parse what people type, show dates in the reader's calendar and time zone, and
reckon in Jalali months, quarters and years (`JalaliMonth`, `add_months`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

import jdatetime
from django.db.models import Q
from django.utils import timezone

from .text import is_persian, normalize_digits, to_persian_digits

__all__ = [
    "JalaliMonth",
    "add_months",
    "current_month",
    "day_start",
    "format_date",
    "format_date_long",
    "format_datetime",
    "jalali_month_range",
    "local_days_q",
    "month_name",
    "months_between",
    "parse_date",
    "quarter_months",
    "to_jalali_string",
    "week_start",
    "year_months",
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
# The Jalali months' names in Latin letters, for pages in English (the months stay Jalali in either language).
JALALI_MONTHS_LATIN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
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
    jalali_month = JalaliMonth(year, month)
    return jalali_month.first_day, jalali_month.last_day


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


# --- Jalali months, quarters and years --------------------------------------------------------------------

# Saturday, in Python's Monday-first numbering: the first day of the Iranian week.
SATURDAY = 5


def week_start(day: dt.date) -> dt.date:
    """The Saturday that starts `day`'s week (the Iranian week runs Saturday to Friday)."""
    return day - dt.timedelta(days=(day.weekday() - SATURDAY) % 7)


def month_name(month: int, lang: str | None = None) -> str:
    """The name of Jalali month `month` (1-12): «فروردین» in Persian, «Farvardin» otherwise (``lang`` None: the
    active language)."""
    return JALALI_MONTHS[month - 1] if is_persian(lang) else JALALI_MONTHS_LATIN[month - 1]


@total_ordering
@dataclass(frozen=True)
class JalaliMonth:
    """One Jalali month, ``JalaliMonth(1403, 12)`` for Esfand 1403: ordered, hashable, and shifted by whole months
    across the year's end. Its days are Gregorian dates; its moments are in the site's time zone (Asia/Tehran)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"Jalali month must be between 1 and 12, got {self.month}.")

    @classmethod
    def of(cls, day: dt.date) -> JalaliMonth:
        """The Jalali month a Gregorian date falls in."""
        jalali = jdatetime.date.fromgregorian(date=day)
        return cls(jalali.year, jalali.month)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, JalaliMonth):
            return NotImplemented
        return (self.year, self.month) < (other.year, other.month)

    def shifted(self, months: int) -> JalaliMonth:
        """The month `months` later (earlier when negative): Esfand 1403 shifted by 1 is Farvardin 1404."""
        index = self.year * 12 + self.month - 1 + months
        return JalaliMonth(index // 12, index % 12 + 1)

    def months_since(self, other: JalaliMonth) -> int:
        """How many months `other` is before this one (negative when it is after)."""
        return (self.year - other.year) * 12 + self.month - other.month

    @property
    def quarter(self) -> int:
        """The quarter of the year the month is in, 1 (Farvardin-Khordad) to 4 (Dey-Esfand)."""
        return (self.month - 1) // 3 + 1

    @property
    def first_day(self) -> dt.date:
        """The Gregorian date of the month's first day."""
        gregorian: dt.date = jdatetime.date(self.year, self.month, 1).togregorian()
        return gregorian

    @property
    def last_day(self) -> dt.date:
        """The Gregorian date of the month's last day (29 or 30 Esfand, by the leap year)."""
        return self.shifted(1).first_day - dt.timedelta(days=1)

    def days(self) -> list[dt.date]:
        """Every day of the month as Gregorian dates, first to last."""
        first = self.first_day
        return [first + dt.timedelta(days=n) for n in range((self.last_day - first).days + 1)]

    def starts_at(self) -> dt.datetime:
        """Midnight in the site's time zone (Asia/Tehran) on the month's first day, an aware datetime."""
        return timezone.make_aware(dt.datetime.combine(self.first_day, dt.time()), timezone.get_default_timezone())

    def ends_at(self) -> dt.datetime:
        """Midnight in the site's time zone at the start of the next month: the month's end, itself excluded."""
        return self.shifted(1).starts_at()

    @property
    def key(self) -> str:
        """``1405-01``: sorts as the months do; what the API and charts carry."""
        return f"{self.year:04d}-{self.month:02d}"

    def label(self, lang: str | None = None) -> str:
        """«فروردین ۱۴۰۵» in Persian, «Farvardin 1405» otherwise."""
        if is_persian(lang):
            return f"{month_name(self.month, lang)} {to_persian_digits(str(self.year))}"
        return f"{month_name(self.month, lang)} {self.year}"

    def __str__(self) -> str:
        return self.key


def months_between(first: JalaliMonth, last: JalaliMonth) -> list[JalaliMonth]:
    """Every month from `first` to `last`, both included (empty when `last` is before `first`)."""
    return [first.shifted(i) for i in range(last.months_since(first) + 1)]


def current_month(now: dt.datetime | None = None) -> JalaliMonth:
    """The Jalali month `now` (default: this moment) falls in, in the site's time zone."""
    return JalaliMonth.of(timezone.localdate(now or timezone.now()))


def quarter_months(year: int, quarter: int) -> tuple[JalaliMonth, JalaliMonth]:
    """The first and last month of Jalali `quarter` (1-4) of `year`: quarter 4 of 1403 is Dey to Esfand 1403.
    Raises ValueError for a quarter outside 1-4."""
    if not 1 <= quarter <= 4:
        raise ValueError("A quarter is numbered 1 to 4.")
    return JalaliMonth(year, 3 * quarter - 2), JalaliMonth(year, 3 * quarter)


def year_months(year: int) -> tuple[JalaliMonth, JalaliMonth]:
    """The first and last month of Jalali `year`: Farvardin and Esfand."""
    return JalaliMonth(year, 1), JalaliMonth(year, 12)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole Jalali months (back when negative), kept to the end of a shorter month:
    31 Shahrivar + 1 month is 30 Mehr, 30 Esfand 1403 + 12 months is 29 Esfand 1404."""
    jalali = jdatetime.date.fromgregorian(date=day)
    target = JalaliMonth(jalali.year, jalali.month).shifted(months)
    last = (target.last_day - target.first_day).days + 1
    moved: dt.date = jdatetime.date(target.year, target.month, min(jalali.day, last)).togregorian()
    return moved
