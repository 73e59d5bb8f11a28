"""Periods of the service measures: a Jalali month, a range of months or of days, in Tehran time, read from
what people and the API send."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.jalali import JalaliMonth, current_month, format_date, months_between, parse_date, to_jalali_string
from peyvand.core.text import normalize_digits

GROUPS = ("team", "agent", "category", "month")
# A period longer than this is refused: three years of monthly figures is already more than a chart can show.
MAX_PERIOD_DAYS = 3 * 366
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included (Tehran time)."""

    first: dt.date
    last: dt.date

    @property
    def starts_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first, dt.time.min))

    @property
    def ends_at(self) -> dt.datetime:
        """Midnight after the last day: the period's end, itself excluded."""
        return timezone.make_aware(dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min))

    @property
    def months(self) -> list[JalaliMonth]:
        return months_between(JalaliMonth.of(self.first), JalaliMonth.of(self.last))

    @property
    def key(self) -> str:
        """What the `period` parameter is given to name this period again."""
        first, last = JalaliMonth.of(self.first), JalaliMonth.of(self.last)
        if self.first == first.first_day and self.last == last.last_day:
            return first.key if first == last else f"{first.key}..{last.key}"
        return f"{to_jalali_string(self.first)}..{to_jalali_string(self.last)}"

    def label(self) -> str:
        first, last = JalaliMonth.of(self.first), JalaliMonth.of(self.last)
        if self.first == first.first_day and self.last == last.last_day:
            return first.label() if first == last else f"{first.label()} – {last.label()}"
        return f"{format_date(self.first)} – {format_date(self.last)}"


def period_of_months(first: JalaliMonth, last: JalaliMonth | None = None) -> Period:
    return Period(first.first_day, (last or first).last_day)


def period_of_days(first: dt.date, last: dt.date) -> Period:
    return Period(first, last)


def month_of_key(text: str) -> JalaliMonth:
    match = _MONTH_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    return JalaliMonth(int(match[1]), int(match[2]))


def parse_period(text: str | None, *, field_name: str = "period") -> Period:
    """A period from what people and the API send: a Jalali month «1405-09», a range of months
    «1405-01..1405-06», or a range of days «1405/09/01..1405/09/15» (Jalali or Gregorian). Empty: this month.
    Raises ValidationError on the field for anything else."""
    value = normalize_digits(text or "").strip()
    if not value:
        return period_of_months(current_month())
    parts = [part.strip() for part in value.split("..")]
    try:
        if len(parts) > 2:
            raise ValueError(value)
        if all(_MONTH_RE.fullmatch(part) for part in parts):
            period = period_of_months(month_of_key(parts[0]), month_of_key(parts[-1]))
        else:
            period = Period(parse_date(parts[0]), parse_date(parts[-1]))
    except ValueError:
        raise ValidationError(
            {field_name: _("Give a Jalali month such as 1405-09, a range such as 1405-01..1405-06, or two dates.")}
        ) from None
    if period.last < period.first:
        raise ValidationError({field_name: _("The period ends before it starts.")})
    if (period.last - period.first).days >= MAX_PERIOD_DAYS:
        raise ValidationError({field_name: _("A period can be at most three years long.")})
    return period
