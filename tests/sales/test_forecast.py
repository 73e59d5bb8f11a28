"""The forecast through its API and page: the weighted pipeline per Jalali month, monthly revenue in Tehran time,
the revenue forecast, and who sees what."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from factories import CustomerFactory
from peyvand.sales import forecast
from peyvand.sales.forecast import JalaliMonth
from peyvand.sales.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def make_order(customer, at, net_total, *, status=OrderStatus.CONFIRMED, owner=None, team=None):
    return Order.objects.create(
        number=f"SO-T-{next(_numbers):05d}",
        customer=customer,
        ordered_at=at,
        net_total=net_total,
        total=net_total,
        status=status,
        owner=owner if owner is not None else customer.owner,
        team=team if team is not None else customer.team,
    )


def mid_month(month: JalaliMonth) -> dt.datetime:
    return month.starts_at() + dt.timedelta(days=10, hours=12)


# --- the weighted pipeline --------------------------------------------------------------------------------


def test_open_deals_are_weighed_per_jalali_month_of_expected_close(api_client, agent_a, customer_a, make_deal):
    # 1404/12/29 is 2026-03-20, the last day of Esfand; the next day is Nowruz, 1405/01/01.
    make_deal(customer=customer_a, stage="introduction", amount=1_000_001, expected_close_date=dt.date(2026, 3, 20))
    make_deal(customer=customer_a, stage="approval", amount=4_000_000, expected_close_date=dt.date(2026, 3, 1))
    make_deal(customer=customer_a, stage="negotiation", amount=3_000_000, expected_close_date=dt.date(2026, 3, 21))
    make_deal(customer=customer_a, stage="contract", amount=10_000_000, expected_close_date=dt.date(2026, 4, 21))
    make_deal(customer=customer_a, stage="needs_proposal", amount=2_000_000)  # no date
    # Closed deals are not in the pipeline, whatever their date.
    make_deal(
        customer=customer_a,
        stage="won",
        amount=50_000_000,
        expected_close_date=dt.date(2026, 3, 21),
        closed_at=timezone.now(),
    )
    make_deal(
        customer=customer_a,
        stage="lost",
        amount=60_000_000,
        expected_close_date=dt.date(2026, 3, 21),
        closed_at=timezone.now(),
        lost_reason="قیمت",
    )

    response = api_client(agent_a).get("/api/v1/forecast/pipeline", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    body = response.json()
    months = {m["month"]: (m["count"], m["total"], m["weighted"]) for m in body["months"]}
    assert months == {
        # 10 % of 1,000,001 is 100,000.1 and 75 % of 4,000,000 is 3,000,000: summed, then rounded down once.
        "1404-12": (2, 5_000_001, 3_100_000),
        "1405-01": (1, 3_000_000, 1_500_000),  # Nowruz opens the new month and the new year
        "1405-02": (1, 10_000_000, 9_000_000),
    }
    assert [m["label"] for m in body["months"]] == ["Esfand 1404", "Farvardin 1405", "Ordibehesht 1405"]
    assert body["undated"] == {
        "month": None,
        "label": "No expected date",
        "count": 1,
        "total": 2_000_000,
        "weighted": 500_000,
        "is_past": False,
    }
    assert (body["count"], body["total"], body["weighted"]) == (5, 20_000_001, 14_100_000)


def test_the_weighted_amount_is_exact_beyond_float_precision(agent_a, customer_a, make_deal):
    # 3 × (10^15 - 1) × 75 % = 2,249,999,999,999,997.75: a float would not hold the Rials exactly.
    for _ in range(3):
        make_deal(customer=customer_a, stage="approval", amount=10**15 - 1, expected_close_date=dt.date(2026, 6, 1))
    result = forecast.pipeline_forecast(user=agent_a)
    assert result.months[0].weighted == 2_249_999_999_999_997
    assert result.months[0].total == 3 * (10**15 - 1)


def test_months_between_are_shown_empty_and_past_months_are_marked(agent_a, customer_a, make_deal):
    make_deal(customer=customer_a, amount=100, expected_close_date=dt.date(2026, 1, 10))  # Dey 1404
    make_deal(customer=customer_a, amount=200, expected_close_date=dt.date(2026, 4, 25))  # Ordibehesht 1405
    result = forecast.pipeline_forecast(user=agent_a, today=dt.date(2026, 3, 25))  # Farvardin 1405
    assert [(str(m.month), m.count, m.is_past) for m in result.months] == [
        ("1404-10", 1, True),
        ("1404-11", 0, True),
        ("1404-12", 0, True),
        ("1405-01", 0, False),
        ("1405-02", 1, False),
    ]


def test_one_pipeline_can_be_chosen(api_client, agent_a, customer_a, make_deal, other_pipeline):
    make_deal(customer=customer_a, amount=1_000, expected_close_date=dt.date(2026, 6, 1))
    other_stage = other_pipeline.stages.get(code="start")
    make_deal(customer=customer_a, amount=7_000, expected_close_date=dt.date(2026, 6, 1), stage="introduction")
    from peyvand.sales.models import Deal

    Deal.objects.filter(amount=7_000).update(pipeline=other_pipeline, stage=other_stage)
    client = api_client(agent_a)
    assert client.get("/api/v1/forecast/pipeline").json()["total"] == 8_000
    only_other = client.get("/api/v1/forecast/pipeline", {"pipeline_id": other_pipeline.pk}).json()
    assert (only_other["total"], only_other["weighted"]) == (7_000, 1_400)
    # An unknown pipeline is not an empty one.
    assert client.get("/api/v1/forecast/pipeline", {"pipeline_id": other_pipeline.pk + 100}).status_code == 404


def test_an_agent_of_another_team_sees_none_of_the_pipeline(api_client, agent_b, manager_a, customer_a, make_deal):
    make_deal(customer=customer_a, stage="approval", amount=4_000_000, expected_close_date=dt.date(2026, 6, 1))
    make_deal(customer=customer_a, amount=1_000_000)
    other = api_client(agent_b).get("/api/v1/forecast/pipeline").json()
    assert (other["months"], other["count"], other["total"], other["weighted"]) == ([], 0, 0, 0)
    assert other["undated"]["count"] == 0
    # The team's manager sees them.
    assert api_client(manager_a).get("/api/v1/forecast/pipeline").json()["count"] == 2


def test_the_pipeline_reads_with_a_fixed_number_of_queries(
    agent_a, customer_a, make_deal, django_assert_max_num_queries
):
    for day in range(1, 29):
        make_deal(customer=customer_a, amount=day, expected_close_date=dt.date(2026, 5, day))
    with django_assert_max_num_queries(4):
        forecast.pipeline_forecast(user=agent_a)


# --- monthly revenue --------------------------------------------------------------------------------------


def test_monthly_revenue_cuts_months_at_tehran_midnight_and_counts_only_purchases(agent_a, customer_a):
    nowruz = JalaliMonth(1405, 1).starts_at()  # 2026-03-20 20:30 UTC
    assert nowruz == dt.datetime(2026, 3, 20, 20, 30, tzinfo=dt.UTC)
    make_order(customer_a, nowruz - dt.timedelta(seconds=1), 100)  # 23:59:59 on the last day of Esfand
    make_order(customer_a, nowruz, 20)  # 00:00 Nowruz, though still 20 March in UTC
    make_order(customer_a, nowruz + dt.timedelta(days=3), 3)
    make_order(customer_a, nowruz + dt.timedelta(days=1), 4_000, status=OrderStatus.CANCELLED)
    make_order(customer_a, JalaliMonth(1405, 3).starts_at(), 5)
    totals = forecast.monthly_revenue(user=agent_a, first=JalaliMonth(1404, 11), last=JalaliMonth(1405, 3))
    assert totals == [0, 100, 23, 0, 5]


def test_monthly_revenue_leaves_out_what_the_user_cannot_see(agent_a, agent_b, customer_a, customer_b, admin):
    month = JalaliMonth(1405, 1)
    make_order(customer_a, mid_month(month), 1_000)
    make_order(customer_b, mid_month(month), 70_000)
    gone = CustomerFactory(team=customer_a.team, owner=agent_a)
    make_order(gone, mid_month(month), 9)
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    assert forecast.monthly_revenue(user=agent_a, first=month, last=month) == [1_000]
    assert forecast.monthly_revenue(user=agent_b, first=month, last=month) == [70_000]
    assert forecast.monthly_revenue(user=admin, first=month, last=month) == [71_000]


def test_the_whole_history_leaves_out_orders_older_than_ten_years_and_future_ones(agent_a, customer_a):
    this_month = forecast.current_month()
    first = this_month.shifted(-forecast.MAX_HISTORY_MONTHS)
    make_order(customer_a, mid_month(first), 7)
    make_order(customer_a, mid_month(first.shifted(-1)), 1_000)  # eleven years back: out of the span
    make_order(customer_a, mid_month(this_month), 30)
    make_order(customer_a, mid_month(this_month.shifted(2)), 90_000)  # dated ahead: not revenue yet
    totals = forecast.monthly_revenue(user=agent_a, first=first, last=this_month)
    assert len(totals) == forecast.MAX_HISTORY_MONTHS + 1
    assert (totals[0], sum(totals[1:-1]), totals[-1]) == (7, 0, 30)


# --- the revenue forecast ---------------------------------------------------------------------------------

PATTERN = [9, -3, -2, -1, -1, -2, -2, -1, 0, 1, 2, 10]


def seed_history(customer, months: int, *, now: dt.datetime):
    """`months` complete months before `now`'s month with revenue base + trend + season; returns them in order."""
    this_month = forecast.current_month(now)
    values = []
    for back in range(months, 0, -1):
        month = this_month.shifted(-back)
        t = months - back
        value = (200 + 2 * t + PATTERN[(month.month - 1) % 12]) * 1_000_000
        # Two orders a month: the forecast reads their sum.
        make_order(customer, mid_month(month), value // 2)
        make_order(customer, mid_month(month) + dt.timedelta(days=5), value - value // 2)
        values.append(value)
    return values


def test_the_revenue_forecast_continues_known_history(api_client, agent_a, customer_a):
    now = timezone.now()
    values = seed_history(customer_a, 36, now=now)
    make_order(customer_a, now - dt.timedelta(minutes=1), 123)  # this month so far
    response = api_client(agent_a).get(
        "/api/v1/forecast/revenue", {"months": 3, "holdout": 6}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["method"] == "holt_winters" and body["enough_history"]
    assert "Holt-Winters" in body["note"]
    assert [m["revenue"] for m in body["history"]] == values
    this_month = forecast.current_month(now)
    assert body["current_month"] == {"month": this_month.key, "label": this_month.label("en"), "revenue": 123}
    assert [m["month"] for m in body["forecast"]] == [this_month.shifted(h).key for h in range(3)]
    for h, line in enumerate(body["forecast"]):
        t = 36 + h
        truth = (200 + 2 * t + PATTERN[(this_month.shifted(h).month - 1) % 12]) * 1_000_000
        assert abs(line["revenue"] - truth) / truth < 0.02
        assert line["lower"] <= line["revenue"] <= line["upper"]
    held = body["holdout"]
    assert held["months"] == 6 and held["method"] == "holt_winters"
    assert [p["actual"] for p in held["points"]] == values[-6:]
    assert [p["month"] for p in held["points"]] == [m["month"] for m in body["history"][-6:]]
    assert held["mape"] < 2.0
    assert isinstance(held["mae"], int)


def test_a_short_history_is_forecast_by_the_fallback_with_a_note(api_client, agent_a, customer_a):
    seed_history(customer_a, 8, now=timezone.now())
    body = api_client(agent_a).get("/api/v1/forecast/revenue", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["method"] == "trend"
    assert not body["enough_history"]
    assert "Not enough history" in body["note"]
    assert len(body["history"]) == 8
    assert len(body["forecast"]) == 6
    # Two months are left once six are held back: too few for a trend, the average month is used.
    assert body["holdout"]["months"] == 6 and body["holdout"]["method"] == "mean"


def test_no_orders_means_nothing_to_forecast(api_client, agent_a):
    body = api_client(agent_a).get("/api/v1/forecast/revenue", {"holdout": 0}).json()
    assert body["method"] == "none"
    assert body["history"] == []
    assert [m["revenue"] for m in body["forecast"]] == [0] * 6
    assert body["holdout"] == {"months": 0, "method": None, "mae": None, "mape": None, "points": []}


def test_an_agent_of_another_team_sees_none_of_the_revenue(api_client, agent_b, customer_a):
    seed_history(customer_a, 30, now=timezone.now())
    body = api_client(agent_b).get("/api/v1/forecast/revenue").json()
    assert body["history"] == [] and body["method"] == "none"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"months": 0}, "months"),
        ({"months": 25}, "months"),
        ({"holdout": -1}, "holdout"),
        ({"holdout": "x"}, "holdout"),
    ],
)
def test_bad_parameters_are_refused_per_field(api_client, agent_a, params, field):
    response = api_client(agent_a).get("/api/v1/forecast/revenue", params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert any(field in name for name in response.json()["error"]["fields"])


def test_the_api_needs_a_log_in(api_client):
    assert api_client(None).get("/api/v1/forecast/pipeline").status_code == 401
    assert api_client(None).get("/api/v1/forecast/revenue").status_code == 401


# --- the page ---------------------------------------------------------------------------------------------


def test_the_page_shows_both_charts_data_and_the_error_figures(client, agent_a, customer_a, make_deal):
    seed_history(customer_a, 30, now=timezone.now())
    make_deal(customer=customer_a, stage="approval", amount=4_000_000, expected_close_date=dt.date(2026, 6, 1))
    client.force_login(agent_a)
    client.cookies["peyvand_language"] = "en"
    response = client.get("/sales/forecast/", {"months": 6, "holdout": 6})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="pipeline-chart"' in page and 'id="revenue-chart"' in page
    assert 'id="forecast-chart-data"' in page and "forecast-charts.js" in page
    assert "Mean absolute percentage error (MAPE)" in page
    assert response.context["revenue"].method == "holt_winters"
    assert response.context["pipeline"].weighted == 3_000_000
    assert len(response.context["chart_data"]["revenue"]["forecast"]) == 6


def test_the_page_is_persian_with_jalali_months_by_default(client, agent_a, customer_a, make_deal):
    make_deal(customer=customer_a, amount=4_000_000, expected_close_date=dt.date(2026, 3, 21))
    client.force_login(agent_a)
    page = client.get("/sales/forecast/").content.decode()
    assert 'dir="rtl"' in page
    assert "فروردین ۱۴۰۵" in page


def test_the_page_shows_another_team_nothing(client, agent_b, customer_a, make_deal):
    seed_history(customer_a, 12, now=timezone.now())
    make_deal(customer=customer_a, amount=4_000_000, expected_close_date=dt.date(2026, 6, 1))
    client.force_login(agent_b)
    response = client.get("/sales/forecast/")
    assert response.status_code == 200
    assert response.context["pipeline"].count == 0
    assert response.context["revenue"].history == []


def test_the_page_needs_a_log_in(client):
    response = client.get("/sales/forecast/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_out_of_range_page_parameters_are_bounded(client, agent_a):
    client.force_login(agent_a)
    response = client.get("/sales/forecast/", {"months": 999, "holdout": "x", "pipeline": "abc"})
    assert response.status_code == 200
    assert response.context["months"] == forecast.MAX_HORIZON
    assert response.context["holdout"] == forecast.DEFAULT_HOLDOUT
