"""A real browser on the sales forecast in Persian: both charts are drawn (right to left, Jalali months, Persian
digits) without a script or CSP error; the screenshot goes to docs/screenshots/sales-forecast.png."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, opened_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Relative monthly revenue: Bahman and Esfand before Nowruz are the peak, Farvardin the holiday.
SEASON = {1: 0.55, 2: 0.9, 3: 1.0, 4: 0.95, 5: 0.85, 6: 0.9, 7: 1.1, 8: 1.0, 9: 1.0, 10: 1.15, 11: 1.35, 12: 1.9}


@pytest.fixture
def history(sales_team):  # noqa: F811
    """Three years of orders with a trend and the seasons, and open deals over the coming months."""
    from django.apps import apps

    from peyvand.sales import forecast
    from peyvand.sales.models import Deal, Order, Pipeline

    agent, ali = sales_team
    org = ali.organization
    if not Pipeline.objects.filter(is_default=True).exists():
        importlib.import_module("peyvand.sales.migrations.0002_add_default_pipeline").forwards(apps, None)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = {stage.code: stage for stage in pipeline.stages.all()}
    this_month = forecast.current_month()
    numbers = itertools.count(1)
    orders = []
    for back in range(36, 0, -1):
        month = this_month.shifted(-back)
        value = int((40_000 + 600 * (36 - back)) * SEASON[month.month] * 1_000_000)
        for part in (value // 3, value - value // 3):
            orders.append(
                Order(
                    number=f"SO-E-{next(numbers):05d}",
                    customer=org,
                    ordered_at=month.starts_at() + dt.timedelta(days=8 + len(orders) % 10, hours=11),
                    net_total=part,
                    total=part,
                    owner=agent,
                    team=agent.team,
                )
            )
    Order.objects.bulk_create(orders)
    for ahead, (code, amount) in enumerate(
        [
            ("contract", 9_000_000_000),
            ("approval", 14_000_000_000),
            ("negotiation", 22_000_000_000),
            ("needs_proposal", 30_000_000_000),
            ("introduction", 18_000_000_000),
            ("approval", 6_000_000_000),
        ]
    ):
        Deal.objects.create(
            title=f"فرصت {ahead + 1}",
            customer=org,
            pipeline=pipeline,
            stage=stages[code],
            amount=amount,
            expected_close_date=this_month.shifted(ahead).first_day + dt.timedelta(days=10),
            owner=agent,
            team=agent.team,
        )
    return agent


def test_the_forecast_page_draws_both_charts_in_persian(live_server, history):
    with opened_page(width=1600, height=1250) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", history.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/sales/forecast/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        # ECharts draws into an SVG inside each chart's box once its script has run.
        page.wait_for_selector("#pipeline-chart svg")
        page.wait_for_selector("#revenue-chart svg")
        revenue_svg = page.inner_text("#revenue-chart")
        assert "اسفند" in revenue_svg or "فروردین" in revenue_svg  # Jalali month names on the axis
        assert any(digit in page.inner_text("#pipeline-chart") for digit in "۰۱۲۳۴۵۶۷۸۹")
        assert page.inner_text("#forecast-note").strip()
        assert page.locator("#holdout-table tbody tr").count() == 6
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "sales-forecast.png"), full_page=True)
