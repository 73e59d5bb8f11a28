"""Business time on an Iranian working calendar: Saturday to Wednesday full days, Thursday full, half or
closed as configured, Friday and the listed holidays closed, all in Tehran time. SLA targets, their warnings and
the "no reply for N hours" automation count this time only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from peyvand.service.models import Holiday, ThursdayHours

__all__ = ["WorkingCalendar", "working_calendar"]

THURSDAY, FRIDAY = 3, 4  # date.weekday(): Monday is 0
# A calendar with no working day in this many days in a row is a mistake (every day a holiday); refuse rather
# than loop. Counted in closed days only, so a long target (months of business time) is never refused.
MAX_CLOSED_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkingCalendar:
    day_starts: time
    day_ends: time
    thursday: str
    thursday_ends: time
    holidays: frozenset[date]
    zone: ZoneInfo

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of a local date as two aware datetimes, or None when the office is closed."""
        return self._hours(day)

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` business minutes after `start` (an aware datetime). Outside working hours the
        count starts at the next opening; 0 minutes from a closed time is that opening."""
        cursor = start.astimezone(self.zone)
        remaining = timedelta(minutes=max(minutes, 0))
        day = cursor.date()
        closed_days = 0
        while closed_days < MAX_CLOSED_DAYS:
            hours = self.hours_of(day)
            if hours is None:
                closed_days += 1
            else:
                closed_days = 0
                begin, closes = max(cursor, hours[0]), hours[1]
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("The working calendar has no working day in three years.")

    def _hours(self, day: date, *, holidays: bool = True) -> tuple[datetime, datetime] | None:
        if holidays and day in self.holidays:
            return None
        weekday = day.weekday()
        if weekday == FRIDAY:
            return None
        ends = self.day_ends
        if weekday == THURSDAY:
            if self.thursday == ThursdayHours.OFF:
                return None
            if self.thursday == ThursdayHours.HALF:
                ends = min(self.thursday_ends, self.day_ends)
        if ends <= self.day_starts:
            return None
        return datetime.combine(day, self.day_starts, self.zone), datetime.combine(day, ends, self.zone)

    def _worked(self, day: date, start: datetime, end: datetime) -> timedelta:
        """The business time of `day` that falls between `start` and `end`."""
        hours = self.hours_of(day)
        if hours is None:
            return timedelta()
        begin, finish = max(start, hours[0]), min(end, hours[1])
        return finish - begin if finish > begin else timedelta()

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes from `start` to `end` (0 when `end` is not after `start`).

        A long span (a ticket open for months, shown on every queue page) is counted by whole weeks, less the
        holidays that fall on working days inside them, and day by day only at its two ends."""
        if end <= start:
            return 0
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        first, last = start.date(), end.date()
        total = timedelta()
        if (last - first).days <= 2 * 7:
            day = first
            while day <= last:
                total += self._worked(day, start, end)
                day += timedelta(days=1)
            return int(total.total_seconds() // 60)
        total += self._worked(first, start, end) + self._worked(last, start, end)
        inner = first + timedelta(days=1)  # the whole days strictly between the first and the last
        weeks, rest = divmod((last - inner).days, 7)
        week_end = inner + timedelta(days=7 * weeks)
        total += weeks * self._week()
        for holiday in self.holidays:
            if inner <= holiday < week_end:
                hours = self._hours(holiday, holidays=False)
                if hours is not None:
                    total -= hours[1] - hours[0]
        for offset in range(rest):
            hours = self.hours_of(week_end + timedelta(days=offset))
            if hours is not None:
                total += hours[1] - hours[0]
        return int(total.total_seconds() // 60)

    def _week(self) -> timedelta:
        """The business time of a week without holidays (any seven days in a row)."""
        week = timedelta()
        monday = date(2024, 1, 1)  # any week will do: a weekday's hours do not depend on the date
        for offset in range(7):
            hours = self._hours(monday + timedelta(days=offset), holidays=False)
            if hours is not None:
                week += hours[1] - hours[0]
        return week

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        hours = self.hours_of(local.date())
        return hours is not None and hours[0] <= local < hours[1]


def working_calendar() -> WorkingCalendar:
    """The calendar as configured now (the desk's settings and the holiday list)."""
    from peyvand.service.services.settings import service_settings

    config = service_settings()
    return WorkingCalendar(
        day_starts=config.day_starts,
        day_ends=config.day_ends,
        thursday=config.thursday,
        thursday_ends=config.thursday_ends,
        holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
        zone=ZoneInfo(settings.TIME_ZONE),
    )
