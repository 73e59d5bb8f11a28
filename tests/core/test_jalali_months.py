"""Jalali months, quarters and years: shifting across the year's end, Esfand's 29 or 30 days, month-end clamping."""

import datetime as dt
import zoneinfo

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.core.jalali import (
    JalaliMonth,
    add_months,
    current_month,
    jalali_month_range,
    month_name,
    months_between,
    quarter_months,
    week_start,
    year_months,
)

TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


def jalali(year: int, month: int, day: int) -> dt.date:
    gregorian: dt.date = jdatetime.date(year, month, day).togregorian()
    return gregorian


# --- JalaliMonth ------------------------------------------------------------------------------------------


def test_esfand_has_30_days_in_the_leap_year_1403_and_29_in_1404():
    leap, common = JalaliMonth(1403, 12), JalaliMonth(1404, 12)
    assert (leap.first_day, leap.last_day) == (dt.date(2025, 2, 19), dt.date(2025, 3, 20))
    assert len(leap.days()) == 30
    assert common.last_day == dt.date(2026, 3, 20)
    assert len(common.days()) == 29
    assert common.days()[0] == common.first_day


def test_a_month_knows_the_gregorian_days_it_covers():
    farvardin = JalaliMonth(1404, 1)
    assert len(farvardin.days()) == 31
    assert farvardin.days()[-1] == farvardin.last_day == dt.date(2025, 4, 20)
    assert (farvardin.first_day, farvardin.last_day) == jalali_month_range(1404, 1)


def test_the_month_of_a_day_changes_at_nowruz():
    assert JalaliMonth.of(dt.date(2025, 3, 20)) == JalaliMonth(1403, 12)
    assert JalaliMonth.of(dt.date(2025, 3, 21)) == JalaliMonth(1404, 1)


def test_esfand_shifted_by_one_is_farvardin_of_the_next_year_and_back():
    assert JalaliMonth(1403, 12).shifted(1) == JalaliMonth(1404, 1)
    assert JalaliMonth(1404, 1).shifted(-1) == JalaliMonth(1403, 12)
    assert JalaliMonth(1403, 11).shifted(14) == JalaliMonth(1405, 1)
    assert JalaliMonth(1403, 1).shifted(-13) == JalaliMonth(1401, 12)
    assert JalaliMonth(1405, 1).months_since(JalaliMonth(1403, 12)) == 13
    assert JalaliMonth(1403, 12).months_since(JalaliMonth(1405, 1)) == -13


@given(st.integers(1300, 1500), st.integers(1, 12), st.integers(-400, 400))
def test_shifting_and_counting_months_agree(year, month, months):
    start = JalaliMonth(year, month)
    moved = start.shifted(months)
    assert 1 <= moved.month <= 12
    assert moved.months_since(start) == months
    assert moved.shifted(-months) == start


def test_months_are_ordered_and_hashable():
    assert JalaliMonth(1403, 12) < JalaliMonth(1404, 1) <= JalaliMonth(1404, 1)
    assert max(JalaliMonth(1404, 2), JalaliMonth(1403, 12)) == JalaliMonth(1404, 2)
    assert len({JalaliMonth(1404, 1), JalaliMonth(1404, 1), JalaliMonth(1403, 1)}) == 2


@pytest.mark.parametrize("month", [0, 13, -1])
def test_a_month_outside_1_to_12_is_refused(month):
    with pytest.raises(ValueError, match="between 1 and 12"):
        JalaliMonth(1404, month)


def test_a_month_starts_and_ends_at_tehran_midnight():
    esfand = JalaliMonth(1403, 12)
    assert esfand.starts_at() == dt.datetime(2025, 2, 19, tzinfo=TEHRAN)
    assert esfand.ends_at() == JalaliMonth(1404, 1).starts_at() == dt.datetime(2025, 3, 21, tzinfo=TEHRAN)
    assert esfand.ends_at().astimezone(dt.UTC) == dt.datetime(2025, 3, 20, 20, 30, tzinfo=dt.UTC)


def test_the_current_month_is_tehrans_not_utcs():
    # 21:00 UTC on 20 March 2025 is 00:30 on 1 Farvardin 1404 in Tehran.
    assert current_month(dt.datetime(2025, 3, 20, 21, 0, tzinfo=dt.UTC)) == JalaliMonth(1404, 1)
    assert current_month(dt.datetime(2025, 3, 20, 20, 0, tzinfo=dt.UTC)) == JalaliMonth(1403, 12)


def test_months_between_runs_across_the_year_and_is_empty_backwards():
    assert months_between(JalaliMonth(1403, 11), JalaliMonth(1404, 2)) == [
        JalaliMonth(1403, 11),
        JalaliMonth(1403, 12),
        JalaliMonth(1404, 1),
        JalaliMonth(1404, 2),
    ]
    assert months_between(JalaliMonth(1404, 5), JalaliMonth(1404, 5)) == [JalaliMonth(1404, 5)]
    assert months_between(JalaliMonth(1404, 2), JalaliMonth(1404, 1)) == []


def test_a_month_is_named_in_persian_or_latin_letters():
    assert month_name(12, "fa") == "اسفند"
    assert month_name(12, "en") == "Esfand"
    assert JalaliMonth(1404, 1).label("fa") == "فروردین ۱۴۰۴"
    assert JalaliMonth(1404, 1).label("en") == "Farvardin 1404"
    assert str(JalaliMonth(1404, 1)) == JalaliMonth(1404, 1).key == "1404-01"


# --- quarters and years -----------------------------------------------------------------------------------


def test_quarters_are_three_months_from_farvardin():
    assert quarter_months(1403, 1) == (JalaliMonth(1403, 1), JalaliMonth(1403, 3))
    assert quarter_months(1403, 4) == (JalaliMonth(1403, 10), JalaliMonth(1403, 12))
    first, last = quarter_months(1403, 4)
    assert (first.first_day, last.last_day) == (dt.date(2024, 12, 21), dt.date(2025, 3, 20))
    assert [JalaliMonth(1403, m).quarter for m in (1, 3, 4, 9, 10, 12)] == [1, 1, 2, 3, 4, 4]


@pytest.mark.parametrize("quarter", [0, 5])
def test_a_quarter_outside_1_to_4_is_refused(quarter):
    with pytest.raises(ValueError, match="quarter"):
        quarter_months(1403, quarter)


def test_a_year_runs_from_farvardin_to_esfand():
    first, last = year_months(1403)
    assert (first, last) == (JalaliMonth(1403, 1), JalaliMonth(1403, 12))
    assert (first.first_day, last.last_day) == (dt.date(2024, 3, 20), dt.date(2025, 3, 20))
    assert last.ends_at() == year_months(1404)[0].starts_at()


# --- add_months -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (jalali(1403, 6, 31), 1, jalali(1403, 7, 30)),  # 31 Shahrivar → 30 Mehr
        (jalali(1403, 6, 31), 6, jalali(1403, 12, 30)),  # → 30 Esfand in the leap year
        (jalali(1404, 6, 31), 6, jalali(1404, 12, 29)),  # → 29 Esfand otherwise
        (jalali(1403, 12, 30), 12, jalali(1404, 12, 29)),  # a year after 30 Esfand 1403
        (jalali(1403, 12, 30), 1, jalali(1404, 1, 30)),  # Esfand → Farvardin of the next year
        (jalali(1403, 12, 15), 1, jalali(1404, 1, 15)),
        (jalali(1404, 1, 31), -1, jalali(1403, 12, 30)),  # back across Nowruz
        (jalali(1405, 1, 31), -1, jalali(1404, 12, 29)),
        (jalali(1404, 7, 15), 3, jalali(1404, 10, 15)),
        (jalali(1404, 7, 15), 0, jalali(1404, 7, 15)),
    ],
)
def test_add_months_moves_by_whole_months_and_keeps_to_the_end_of_a_shorter_one(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(dt.date(1950, 1, 1), dt.date(2150, 12, 31)), st.integers(-240, 240))
def test_add_months_keeps_the_day_of_the_month_unless_the_month_is_shorter(day, months):
    moved = add_months(day, months)
    before, after = jdatetime.date.fromgregorian(date=day), jdatetime.date.fromgregorian(date=moved)
    assert JalaliMonth(after.year, after.month) == JalaliMonth(before.year, before.month).shifted(months)
    if before.day <= 29:
        assert after.day == before.day
    else:
        assert after.day == min(before.day, len(JalaliMonth(after.year, after.month).days()))


# --- weeks ------------------------------------------------------------------------------------------------


def test_a_week_starts_on_saturday():
    assert week_start(dt.date(2026, 11, 25)) == dt.date(2026, 11, 21)  # Wednesday
    assert week_start(dt.date(2026, 11, 21)) == dt.date(2026, 11, 21)  # Saturday
    assert week_start(dt.date(2026, 11, 27)) == dt.date(2026, 11, 21)  # Friday ends it
