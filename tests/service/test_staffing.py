"""Ticket volume forecast and staffing: Erlang C against textbook values, the weekly-seasonal forecast on
generated series whose continuation is known, daily counts in Tehran days, the plan per working day, the API."""

import datetime as dt
import math
from fractions import Fraction

import numpy as np
import pytest

from peyvand.sales.forecast import Method
from peyvand.service import staffing
from peyvand.service.models import Holiday, TicketKind
from peyvand.service.staffing import agents_for, erlang_c, forecast_daily, service_level

SATURDAY = dt.date(2026, 11, 28)  # 7 Azar 1405


# --- Erlang C -------------------------------------------------------------------------------------------


def exact_erlang_c(agents, traffic):
    """The textbook formula with exact fractions: (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents) / (agents - a)
    return float(top / (sum(a**k / math.factorial(k) for k in range(agents)) + top))


def test_erlang_c_gives_the_textbook_values():
    assert erlang_c(3, 2) == pytest.approx(4 / 9)  # the usual worked example: 2 Erlangs on 3 servers
    assert erlang_c(10, 6) == pytest.approx(0.1013, abs=5e-4)  # 120 an hour × 3 minutes on 10: "about 0.10"
    # 100 calls in half an hour, 180 s each (10 Erlangs), 80 % in 20 s: the published example needs 14 agents,
    # with a 17.4 % chance of waiting and 88.8 % answered in time; 13 reach only 79.6 %.
    assert erlang_c(14, 10) == pytest.approx(0.1741, abs=5e-4)
    assert service_level(14, 10, 180, 20) == pytest.approx(0.888, abs=5e-4)
    assert service_level(13, 10, 180, 20) == pytest.approx(0.796, abs=5e-4)
    assert agents_for(per_hour=200, handling_minutes=3, target_seconds=20, target_percent=80)[0] == 14


@pytest.mark.parametrize(("agents", "traffic"), [(1, 0.5), (4, 3.2), (12, 7.5), (30, 25), (90, 80), (170, 160.5)])
def test_erlang_c_matches_the_exact_formula_without_overflow(agents, traffic):
    assert erlang_c(agents, traffic) == pytest.approx(exact_erlang_c(agents, traffic), rel=1e-9)


def test_erlang_c_stays_finite_for_a_large_desk():
    # 1,500 agents: 1500! and 1450^1500 overflow a float; the recurrence does not.
    value = erlang_c(1500, 1450.0)
    assert 0 < value < 1
    agents, level, wait = agents_for(per_hour=7250, handling_minutes=12, target_seconds=60, target_percent=90)
    assert agents > 1450 and level >= 0.9 and math.isfinite(wait)


def test_the_fewest_agents_meeting_the_target_are_chosen():
    # 100 an hour × 3 minutes = 5 Erlangs; 80 % within 20 s.
    agents, level, wait = agents_for(per_hour=100, handling_minutes=3, target_seconds=20, target_percent=80)
    assert agents == 8
    assert level == pytest.approx(service_level(8, 5, 180, 20))
    assert service_level(7, 5, 180, 20) < 0.8 <= level
    assert wait == pytest.approx(erlang_c(8, 5) * 180 / 3)
    assert agents_for(per_hour=0, handling_minutes=3, target_seconds=20, target_percent=80) == (0, 1.0, 0.0)


def test_agents_never_fewer_than_the_traffic_needs():
    # A target of 1 % is met by anyone who is there, but fewer agents than Erlangs never catch up.
    agents, _level, _wait = agents_for(per_hour=60, handling_minutes=10, target_seconds=3600, target_percent=1)
    assert agents == 11


# --- the forecast ---------------------------------------------------------------------------------------

WEEK = [120, 110, 100, 105, 60, 20, 90]  # Saturday first: busy at the start of the week, quiet on Friday


def weekly(weeks, *, noise=0.0, seed=7):
    rng = np.random.default_rng(seed)
    values = np.tile(WEEK, weeks).astype(float)
    return [max(0, round(v)) for v in values + rng.normal(0, noise, len(values))]


def test_a_weekly_pattern_is_continued_by_holt_winters():
    history = weekly(20, noise=3)
    result = forecast_daily(history, horizon=14)
    assert result.method == Method.HOLT_WINTERS
    expected = np.tile(WEEK, 2)
    assert np.max(np.abs(np.array(result.predicted) - expected)) < 10
    assert all(lo <= p <= hi for lo, p, hi in zip(result.lower, result.predicted, result.upper, strict=True))
    # The band widens week by week.
    assert result.upper[13] - result.lower[13] > result.upper[0] - result.lower[0]


def test_a_short_history_falls_back_to_the_same_weekday_before():
    history = weekly(2)[:-1]  # 13 days: ends on a Thursday
    result = forecast_daily(history, horizon=7)
    assert result.method == Method.SEASONAL_NAIVE
    assert result.predicted == [float(v) for v in [WEEK[6], *WEEK[:6]]]
    assert forecast_daily([4, 6], horizon=3).predicted == [5.0, 5.0, 5.0]
    assert forecast_daily([], horizon=2).method == Method.NONE


def test_the_held_back_error_is_small_on_a_regular_series():
    checked = staffing.backtest_daily(weekly(16, noise=2), 14)
    assert checked is not None
    assert checked.method == Method.HOLT_WINTERS
    assert len(checked.actual) == len(checked.predicted) == 14
    assert checked.mae <= 5
    assert checked.mape is not None and checked.mape < 10
    assert staffing.backtest_daily([1, 2, 3], 14) is None


# --- from the tickets -----------------------------------------------------------------------------------


def at_tehran(day, hour=10, minute=0):
    # Tehran is UTC+3:30 all year since 2022.
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC) - dt.timedelta(hours=3, minutes=30)


def test_tickets_are_counted_per_tehran_day(admin, make_ticket, customer_a):
    day = dt.date(2026, 11, 22)
    make_ticket(customer=customer_a, created_at=at_tehran(day, 0, 0))  # 20:30 UTC the day before
    make_ticket(customer=customer_a, created_at=at_tehran(day, 23, 59))
    make_ticket(customer=customer_a, created_at=at_tehran(day + dt.timedelta(days=1), 0, 1))
    make_ticket(customer=customer_a, created_at=at_tehran(day, 12), kind=TicketKind.COMPLAINT)
    counts = staffing.daily_arrivals(user=admin, first=day - dt.timedelta(days=1), last=day + dt.timedelta(days=1))
    assert counts == [0, 3, 1]
    complaints = staffing.daily_arrivals(user=admin, first=day, last=day, kind=TicketKind.COMPLAINT)
    assert complaints == [1]


def test_an_agent_counts_only_their_teams_tickets(agent_a, agent_b, make_ticket, customer_a):
    day = dt.date(2026, 11, 22)
    make_ticket(customer=customer_a, created_at=at_tehran(day))
    assert staffing.daily_arrivals(user=agent_a, first=day, last=day) == [1]
    assert staffing.daily_arrivals(user=agent_b, first=day, last=day) == [0]


@pytest.fixture
def three_weeks_before(make_ticket, customer_a):
    """three_weeks_before(today): tickets on the 21 days before `today`, as many each day as its place in WEEK
    says (the first day taken as a Saturday), divided by 10; returns the first day."""

    def make(today):
        first = today - dt.timedelta(days=21)
        for offset in range(21):
            day = first + dt.timedelta(days=offset)
            for _n in range(WEEK[offset % 7] // 10):
                make_ticket(customer=customer_a, created_at=at_tehran(day))
        return first

    return make


@pytest.fixture
def three_weeks(three_weeks_before):
    return three_weeks_before(SATURDAY)


def test_the_forecast_starts_today_from_the_history_up_to_yesterday(admin, three_weeks):
    result = staffing.ticket_forecast(user=admin, days=7, holdout=7, today=SATURDAY)
    assert result.history_days[0] == three_weeks
    assert result.history_days[-1] == SATURDAY - dt.timedelta(days=1)
    assert result.history == [v // 10 for v in WEEK * 3]
    assert result.days[0] == SATURDAY
    assert result.forecast.method == Method.SEASONAL_NAIVE
    assert result.forecast.predicted == [float(v // 10) for v in WEEK]
    assert result.backtest is not None and result.backtest.mae == 0
    assert result.holdout_days == result.history_days[-7:]


def test_the_plan_gives_no_agents_on_closed_days_and_carries_their_tickets(admin, three_weeks, settings):
    settings.PEYVAND_TICKET_HANDLING_MINUTES = 30
    Holiday.objects.create(date=SATURDAY + dt.timedelta(days=1), name="تعطیل")
    plan = staffing.staffing_plan(user=admin, days=8, target_seconds=3600, target_percent=80, today=SATURDAY)
    assert plan.handling_minutes == 30
    by_day = {line.day: line for line in plan.days}
    friday, holiday = SATURDAY + dt.timedelta(days=6), SATURDAY + dt.timedelta(days=1)
    assert by_day[friday].agents == 0 and by_day[friday].working_hours == 0
    assert by_day[holiday].agents == 0
    # The holiday's tickets wait for Monday; Friday's for the next Saturday.
    monday = SATURDAY + dt.timedelta(days=2)
    assert by_day[monday].carried == by_day[holiday].tickets
    assert by_day[SATURDAY + dt.timedelta(days=7)].carried == by_day[friday].tickets
    # Saturday: 12 tickets over 8 hours (08:00-16:00) at 30 minutes each is 0.75 Erlang.
    saturday = by_day[SATURDAY]
    assert saturday.working_hours == 8.0 and saturday.per_hour == 1.5
    expected = agents_for(per_hour=1.5, handling_minutes=30, target_seconds=3600, target_percent=80)
    assert saturday.agents == expected[0]
    assert saturday.service_level >= 0.8
    # Thursday is a half day by default (08:00-12:00).
    assert by_day[SATURDAY + dt.timedelta(days=5)].working_hours == 4.0


def test_the_measured_handling_proxy_is_the_median_resolution_of_tickets_never_reopened(admin, make_ticket, customer_a):
    from django.utils import timezone

    for minutes in (30, 50, 400):
        make_ticket(customer=customer_a, resolved_at=timezone.now(), resolution_minutes=minutes)
    make_ticket(customer=customer_a, resolved_at=timezone.now(), resolution_minutes=9000, reopen_count=1)
    assert staffing.measured_handling_proxy(user=admin) == 50.0


# --- the API --------------------------------------------------------------------------------------------


def test_a_manager_gets_the_forecast_and_the_staffing_plan(api_client, manager_a, three_weeks_before):
    from django.utils import timezone

    three_weeks_before(timezone.localdate())
    client = api_client(manager_a)
    response = client.get("/api/v1/service/forecast", {"days": 10, "holdout": 7}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["forecast"]) == 10
    assert body["holdout"]["days"] == 7 and len(body["holdout"]["points"]) == 7
    assert body["method"] == Method.SEASONAL_NAIVE
    assert "needs 28" in body["note"]
    response = client.get(
        "/api/v1/service/staffing", {"days": 7, "target_seconds": 1800, "target_percent": 90, "aht_minutes": 20}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["handling_minutes"], body["target_seconds"], body["target_percent"]) == (20, 1800, 90)
    assert len(body["days"]) == 7
    open_days = [line for line in body["days"] if line["open"]]
    assert open_days and all(line["agents"] >= 1 and line["service_level"] >= 0.9 for line in open_days)
    assert all(line["agents"] == 0 for line in body["days"] if not line["open"])


def test_an_agent_may_not_plan_staff(api_client, agent_a):
    client = api_client(agent_a)
    assert client.get("/api/v1/service/forecast").status_code == 403
    assert client.get("/api/v1/service/staffing").status_code == 403


def test_the_staffing_api_refuses_bad_inputs_with_their_field(api_client, admin):
    client = api_client(admin)
    response = client.get("/api/v1/service/staffing", {"target_percent": 100})
    assert response.status_code == 422
    assert "target_percent" in response.json()["error"]["fields"]
    response = client.get("/api/v1/service/staffing", {"kind": "praise"})
    assert response.status_code == 422
    assert "kind" in response.json()["error"]["fields"]
    response = client.get("/api/v1/service/forecast", {"days": 0})
    assert response.status_code == 422
    assert client.get("/api/v1/service/forecast", {"team_id": 999999}).status_code == 404
