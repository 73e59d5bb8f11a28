"""Business time on the Iranian working calendar, with Jalali dates: weekends, Thursday modes, Nowruz and the
other holidays, opening and closing edges, Tehran time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.core.jalali import parse_date
from peyvand.service.calendar import WorkingCalendar, working_calendar
from peyvand.service.models import Holiday, ThursdayHours
from peyvand.service.services.settings import service_settings

TEHRAN = ZoneInfo("Asia/Tehran")
NOWRUZ_1405 = ["1405/01/01", "1405/01/02", "1405/01/03", "1405/01/04", "1405/01/12", "1405/01/13"]


def at(jalali: str, clock: str = "08:00") -> datetime:
    """An aware Tehran time from a Jalali date and a clock: at("1405/02/09", "15:00")."""
    return datetime.combine(parse_date(jalali), time.fromisoformat(clock), TEHRAN)


def make_calendar(thursday=ThursdayHours.HALF, holidays=(), starts="08:00", ends="16:00", thursday_ends="12:00"):
    return WorkingCalendar(
        day_starts=time.fromisoformat(starts),
        day_ends=time.fromisoformat(ends),
        thursday=thursday,
        thursday_ends=time.fromisoformat(thursday_ends),
        holidays=frozenset(parse_date(day) for day in holidays),
        zone=TEHRAN,
    )


def test_the_jalali_days_used_here_fall_on_the_weekdays_the_tests_assume():
    # Guards the expectations below: 1405/02/09 is a Wednesday, 1405/01/01 a Saturday, 1404/12/29 a Friday.
    assert parse_date("1405/02/09").weekday() == 2
    assert parse_date("1405/01/01").weekday() == 5
    assert parse_date("1404/12/29").weekday() == 4
    assert parse_date("1405/01/11").weekday() == 1


# --- Wednesday afternoon into Thursday --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thursday", "minutes", "due"),
    [
        # An hour is left on Wednesday; the second hour is Thursday morning when Thursday works at all.
        (ThursdayHours.HALF, 120, ("1405/02/10", "09:00")),
        (ThursdayHours.FULL, 120, ("1405/02/10", "09:00")),
        (ThursdayHours.OFF, 120, ("1405/02/12", "09:00")),
        # Six hours: a half Thursday gives four (to noon), then Friday is off: Saturday 09:00.
        (ThursdayHours.HALF, 360, ("1405/02/12", "09:00")),
        (ThursdayHours.FULL, 360, ("1405/02/10", "13:00")),
        (ThursdayHours.OFF, 360, ("1405/02/12", "13:00")),
    ],
)
def test_wednesday_afternoon_plus_minutes_follows_the_thursday_mode(thursday, minutes, due):
    calendar = make_calendar(thursday=thursday)
    assert calendar.add_minutes(at("1405/02/09", "15:00"), minutes) == at(*due)


def test_a_half_thursday_ends_at_its_own_time():
    calendar = make_calendar(thursday=ThursdayHours.HALF, thursday_ends="13:30")
    assert calendar.hours_of(parse_date("1405/02/10")) == (at("1405/02/10", "08:00"), at("1405/02/10", "13:30"))
    assert calendar.add_minutes(at("1405/02/10", "13:00"), 45) == at("1405/02/12", "08:15")


def test_a_half_thursday_never_runs_past_the_working_day():
    calendar = make_calendar(thursday=ThursdayHours.HALF, thursday_ends="18:00")
    assert calendar.hours_of(parse_date("1405/02/10"))[1] == at("1405/02/10", "16:00")


def test_friday_is_closed_whatever_the_thursday_mode():
    for mode in ThursdayHours.values:
        calendar = make_calendar(thursday=mode)
        assert calendar.hours_of(parse_date("1405/02/11")) is None
        assert not calendar.is_open(at("1405/02/11", "10:00"))
        # Friday 10:00 + 30: the count starts at Saturday's opening.
        assert calendar.add_minutes(at("1405/02/11", "10:00"), 30) == at("1405/02/12", "08:30")


# --- holidays ---------------------------------------------------------------------------------------------


def test_nowruz_holidays_are_skipped():
    calendar = make_calendar(holidays=["1404/12/29", *NOWRUZ_1405])
    # Wednesday 27 Esfand 15:00: an hour that day, four on the half Thursday, then Friday 29 Esfand and Nowruz
    # (Saturday 1 to Tuesday 4 Farvardin) are closed; the sixth hour is Wednesday 5 Farvardin, 08:00-09:00.
    start = at("1404/12/27", "15:00")
    assert calendar.add_minutes(start, 360) == at("1405/01/05", "09:00")
    assert calendar.minutes_between(start, at("1405/01/05", "09:00")) == 360
    for day in ("1405/01/01", "1405/01/02", "1405/01/03", "1405/01/04"):
        assert calendar.hours_of(parse_date(day)) is None


def test_a_run_of_holidays_and_a_weekend_are_skipped_together():
    calendar = make_calendar(holidays=NOWRUZ_1405)
    # Tuesday 11 Farvardin 15:30 + 60: half an hour that day; Wednesday 12 and Thursday 13 Farvardin are
    # holidays, Friday is off: the rest is Saturday 15 Farvardin 08:00-08:30.
    assert calendar.add_minutes(at("1405/01/11", "15:30"), 60) == at("1405/01/15", "08:30")


def test_a_holiday_on_a_thursday_closes_even_a_full_thursday():
    calendar = make_calendar(thursday=ThursdayHours.FULL, holidays=["1405/01/13"])
    assert calendar.hours_of(parse_date("1405/01/13")) is None


def test_without_the_holidays_the_same_span_is_working_time():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/01/11", "15:30"), 60) == at("1405/01/12", "08:30")


# --- opening and closing edges ----------------------------------------------------------------------------


def test_a_start_before_opening_counts_from_the_opening():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/02/12", "06:00"), 30) == at("1405/02/12", "08:30")
    assert calendar.minutes_between(at("1405/02/12", "06:00"), at("1405/02/12", "09:00")) == 60


def test_a_start_after_closing_counts_from_the_next_opening():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/02/12", "17:00"), 30) == at("1405/02/13", "08:30")
    assert calendar.minutes_between(at("1405/02/12", "17:00"), at("1405/02/13", "08:30")) == 30


def test_a_start_exactly_at_closing_counts_from_the_next_opening():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/02/12", "16:00"), 1) == at("1405/02/13", "08:01")
    assert calendar.add_minutes(at("1405/02/12", "16:00"), 0) == at("1405/02/13", "08:00")
    assert not calendar.is_open(at("1405/02/12", "16:00"))
    assert calendar.is_open(at("1405/02/12", "08:00"))


def test_a_target_ending_at_closing_is_due_at_closing_not_next_morning():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/02/12", "15:00"), 60) == at("1405/02/12", "16:00")


def test_zero_minutes_within_hours_is_the_start_itself():
    calendar = make_calendar()
    assert calendar.add_minutes(at("1405/02/12", "10:17"), 0) == at("1405/02/12", "10:17")


# --- minutes_between --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thursday", "expected"),
    [(ThursdayHours.HALF, 5 * 480 + 240), (ThursdayHours.FULL, 6 * 480), (ThursdayHours.OFF, 5 * 480)],
)
def test_a_whole_week_has_the_working_minutes_of_its_days(thursday, expected):
    calendar = make_calendar(thursday=thursday)
    assert calendar.minutes_between(at("1405/02/12"), at("1405/02/19")) == expected


def test_minutes_between_across_several_weeks_and_a_holiday():
    calendar = make_calendar(holidays=["1405/03/14", "1405/03/15"])
    # Three weeks from Saturday 2 Khordad; 14 Khordad (Thursday) and 15 (Friday) would be closed or short anyway,
    # so only the half Thursday of the second week is lost: 3 weeks of 2640 less 240.
    assert calendar.minutes_between(at("1405/03/02"), at("1405/03/23")) == 3 * 2640 - 240


def test_minutes_between_is_zero_backwards_and_within_closed_time():
    calendar = make_calendar()
    assert calendar.minutes_between(at("1405/02/12", "10:00"), at("1405/02/12", "09:00")) == 0
    assert calendar.minutes_between(at("1405/02/11", "09:00"), at("1405/02/11", "18:00")) == 0


working_moments = st.builds(
    lambda day, minute: (
        datetime.combine(date(2026, 3, 21) + timedelta(days=day), time(8), TEHRAN) + timedelta(minutes=minute)
    ),
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=479),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=working_moments,
    minutes=st.integers(min_value=0, max_value=20_000),
    thursday=st.sampled_from(ThursdayHours.values),
)
def test_minutes_between_undoes_add_minutes(start, minutes, thursday):
    calendar = make_calendar(thursday=thursday, holidays=[*NOWRUZ_1405, "1405/03/14", "1405/03/15", "1405/11/22"])
    if not calendar.is_open(start):
        start = calendar.add_minutes(start, 0)
    due = calendar.add_minutes(start, minutes)
    assert calendar.minutes_between(start, due) == minutes
    assert due >= start
    # The due time is never inside closed time: it is open then, or exactly a closing time.
    assert calendar.is_open(due) or calendar.is_open(due - timedelta(minutes=1))


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        # hypothesis takes naive bounds and adds the zone itself.
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=0, max_value=5_000),
)
def test_any_start_in_utc_gives_the_same_answer_as_in_tehran(start, minutes):
    calendar = make_calendar(holidays=NOWRUZ_1405)
    due = calendar.add_minutes(start, minutes)
    assert due == calendar.add_minutes(start.astimezone(TEHRAN), minutes)
    assert calendar.minutes_between(start, due) == minutes


# --- Tehran time ------------------------------------------------------------------------------------------


def test_tehran_has_no_summer_time_so_opening_is_0430_utc_all_year():
    calendar = make_calendar()
    for day in ("1405/01/15", "1405/04/10", "1405/07/05", "1405/10/06"):
        opening = calendar.hours_of(parse_date(day))[0]
        assert opening.astimezone(UTC).time() == time(4, 30)
    # The first working minute of Saturday 15 Farvardin, asked in UTC.
    assert not calendar.is_open(datetime(2026, 4, 4, 4, 29, tzinfo=UTC))
    assert calendar.is_open(datetime(2026, 4, 4, 4, 30, tzinfo=UTC))


def test_a_utc_start_late_in_the_evening_is_the_next_day_in_tehran():
    calendar = make_calendar()
    # 21:00 UTC on Friday 3 April 2026 is 00:30 on Saturday 15 Farvardin in Tehran: the count starts at 08:00 that
    # Saturday, not on the Friday the UTC date says.
    due = calendar.add_minutes(datetime(2026, 4, 3, 21, 0, tzinfo=UTC), 10)
    assert due == at("1405/01/15", "08:10")


# --- guards and the configured calendar -------------------------------------------------------------------


def test_a_calendar_with_no_working_day_refuses_instead_of_looping():
    calendar = make_calendar(thursday=ThursdayHours.OFF, starts="08:00", ends="08:00")
    with pytest.raises(ValueError):
        calendar.add_minutes(at("1405/02/12"), 10)


def test_a_target_of_many_months_is_counted_not_refused():
    calendar = make_calendar(thursday=ThursdayHours.OFF)
    minutes = 800 * 480  # 800 working days: more than three calendar years
    due = calendar.add_minutes(at("1405/02/12"), minutes)
    assert calendar.minutes_between(at("1405/02/12"), due) == minutes


def test_working_calendar_reads_the_desk_settings_and_the_holidays(db):
    config = service_settings()
    config.day_starts, config.day_ends = time(9, 0), time(17, 0)
    config.thursday = ThursdayHours.OFF
    config.save()
    Holiday.objects.create(date=parse_date("1405/02/13"), name="تعطیل شرکت")
    calendar = working_calendar()
    assert calendar.hours_of(parse_date("1405/02/12")) == (at("1405/02/12", "09:00"), at("1405/02/12", "17:00"))
    assert calendar.hours_of(parse_date("1405/02/10")) is None
    assert calendar.hours_of(parse_date("1405/02/13")) is None
    assert calendar.zone.key == "Asia/Tehran"


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)),  # noqa: DTZ001
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=700)),
    thursday=st.sampled_from(ThursdayHours.values),
)
def test_a_long_span_counted_by_weeks_equals_counting_every_day(start, span, thursday):
    # Months-old tickets' clocks are counted by whole weeks less the holidays in them; the answer must be the
    # one a day-by-day count gives.
    calendar = make_calendar(thursday=thursday, holidays=[*NOWRUZ_1405, "1405/03/14", "1405/11/22", "1406/01/01"])
    end = start + span
    local_start, local_end = start.astimezone(TEHRAN), end.astimezone(TEHRAN)
    worked = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        hours = calendar.hours_of(day)
        if hours is not None:
            begin, finish = max(local_start, hours[0]), min(local_end, hours[1])
            worked += max(finish - begin, timedelta())
        day += timedelta(days=1)
    assert calendar.minutes_between(start, end) == int(worked.total_seconds() // 60)
