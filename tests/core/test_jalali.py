"""Jalali dates: parsing what people type and showing dates in the reader's calendar and time zone."""

import contextlib
import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.jalali import (
    format_date,
    format_date_long,
    format_datetime,
    jalali_month_range,
    parse_date,
    to_jalali_string,
)
from peyvand.core.text import normalize_digits
from peyvand.core.validators import validate_jalali_or_iso_date

NOWRUZ_1403 = dt.date(2024, 3, 20)
SAMPLE = dt.date(2024, 4, 3)  # 1403/01/15
UTC = dt.UTC


@pytest.mark.parametrize(
    "text",
    [
        "۱۴۰۳/۰۱/۱۵",
        "1403-1-15",
        "1403/01/15",
        "١٤٠٣/٠١/١٥",
        " 1403.01.15 ",
        "2024-04-03",
        "2024/04/03",
        "2024/4/3",
    ],
)
def test_it_parses_jalali_and_gregorian_dates(text):
    assert parse_date(text) == SAMPLE


def test_it_parses_single_digit_month_and_day():
    assert parse_date("1403/1/5") == dt.date(2024, 3, 24)


def test_it_knows_the_last_day_of_esfand_in_leap_and_common_years():
    assert parse_date("1403/12/30") == dt.date(2025, 3, 20)
    assert parse_date("1402/12/29") == dt.date(2024, 3, 19)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1403/13/01", "month 13"),
        ("1403/00/10", "month 0"),
        ("1402/12/30", "no day 30"),
        ("1403/12/31", "no day 31"),
        ("1403/07/31", "no day 31"),
        ("2023-02-29", "no day 29"),
        ("not a date", "not a date"),
        ("15/01/1403", "not a date"),
        ("1403/01-15", "not a date"),
        ("03/01/15", "not a date"),
        ("1403/01/15/2", "not a date"),
    ],
)
def test_it_refuses_bad_dates_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_it_formats_dates_in_persian_as_jalali_with_persian_digits():
    assert format_date(SAMPLE, "fa") == "۱۴۰۳/۰۱/۱۵"
    assert format_date(SAMPLE, "en") == "2024-04-03"


def test_it_follows_the_active_language_when_none_is_given():
    with translation.override("fa"):
        assert format_date(SAMPLE) == "۱۴۰۳/۰۱/۱۵"
    with translation.override("en"):
        assert format_date(SAMPLE) == "2024-04-03"


def test_it_returns_empty_text_for_none():
    assert format_date(None) == ""
    assert format_datetime(None) == ""
    assert format_date_long(None) == ""


def test_it_shows_utc_datetimes_in_tehran_time():
    # 22:00 UTC is 01:30 the next day in Tehran (UTC+03:30 since 2022).
    moment = dt.datetime(2024, 4, 2, 22, 0, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tehran")):
        assert format_date(moment, "en") == "2024-04-03"
        assert format_datetime(moment, "en") == "2024-04-03 01:30"
        assert format_datetime(moment, "fa") == "۱۴۰۳/۰۱/۱۵ ۰۱:۳۰"


def test_it_formats_datetimes_with_hours_and_minutes():
    moment = dt.datetime(2024, 4, 3, 10, 35, tzinfo=UTC)  # 14:05 in Tehran
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tehran")):
        assert format_datetime(moment, "fa") == "۱۴۰۳/۰۱/۱۵ ۱۴:۰۵"
        assert format_datetime(moment, "en") == "2024-04-03 14:05"


def test_it_formats_long_dates_with_month_names():
    assert format_date_long(SAMPLE, "fa") == "۱۵ فروردین ۱۴۰۳"
    assert format_date_long(SAMPLE, "en") == "3 April 2024"
    assert format_date_long(dt.date(2025, 3, 20), "fa") == "۳۰ اسفند ۱۴۰۳"


def test_it_gives_ascii_jalali_strings_for_date_inputs():
    assert to_jalali_string(SAMPLE) == "1403/01/15"


def test_it_gives_the_gregorian_bounds_of_a_jalali_month():
    assert jalali_month_range(1403, 1) == (NOWRUZ_1403, dt.date(2024, 4, 19))
    assert jalali_month_range(1403, 12) == (dt.date(2025, 2, 19), dt.date(2025, 3, 20))
    assert jalali_month_range(1402, 12)[1] == dt.date(2024, 3, 19)
    with pytest.raises(ValueError):
        jalali_month_range(1403, 13)


@settings(max_examples=50)
@given(st.integers(min_value=1300, max_value=1450), st.integers(min_value=1, max_value=12))
def test_jalali_months_tile_the_calendar(year, month):
    first, last = jalali_month_range(year, month)
    assert 29 <= (last - first).days + 1 <= 31
    next_first = jalali_month_range(year + (month == 12), month % 12 + 1)[0]
    assert next_first == last + dt.timedelta(days=1)


@settings(max_examples=500)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_date_round_trips_through_both_written_forms(day):
    assert parse_date(format_date(day, "fa")) == day
    assert parse_date(format_date(day, "en")) == day
    assert parse_date(to_jalali_string(day)) == day
    assert parse_date(normalize_digits(format_date(day, "fa")).replace("/", "-")) == day


def test_every_date_from_1900_to_2100_round_trips():
    # Exhaustive, not sampled: ~73,000 days is cheap and leaves no leap-year corner untested.
    day, last = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
    while day <= last:
        assert parse_date(to_jalali_string(day)) == day
        day += dt.timedelta(days=1)


@settings(max_examples=200)
@given(st.text(max_size=20))
def test_parse_date_raises_only_value_error(text):
    # Anything but ValueError (IndexError, OverflowError from jdatetime...) would fail the test.
    with contextlib.suppress(ValueError):
        parse_date(text)


def test_the_date_validator_accepts_both_calendars_and_refuses_the_rest():
    validate_jalali_or_iso_date("۱۴۰۳/۰۱/۱۵")
    validate_jalali_or_iso_date("2024-04-03")
    validate_jalali_or_iso_date(SAMPLE)
    with pytest.raises(ValidationError) as caught:
        validate_jalali_or_iso_date("1402/12/30")
    assert caught.value.code == "invalid_date"


def test_a_range_of_local_days_leaves_far_off_bounds_open():
    import datetime as _dt

    from peyvand.core.jalali import local_days_q

    # 1405/01/01 to 1405/01/01: the day in Tehran, as UTC bounds.
    where = local_days_q("ordered_at", _dt.date(2026, 3, 21), _dt.date(2026, 3, 21))
    bounds = dict(where.children)
    assert bounds["ordered_at__gte"] == _dt.datetime(2026, 3, 20, 20, 30, tzinfo=_dt.UTC)
    assert bounds["ordered_at__lt"] == _dt.datetime(2026, 3, 21, 20, 30, tzinfo=_dt.UTC)
    assert local_days_q("ordered_at", _dt.date(1, 1, 1), _dt.date(9999, 12, 31)).children == []
