"""A real browser on the team calendar in Persian: the Jalali month grid runs from Saturday on the right, in
Persian digits, with today marked and activities coloured by kind; previous/next and the week view work, and
marking an activity done from the agenda puts it on the customer's timeline. The screenshot of the month goes
to docs/screenshots/sales-calendar.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, RESULTS, opened_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture
def calendar_page() -> Iterator:
    with opened_page(width=1600, height=1100) as page:
        yield page


@pytest.fixture
def planned(sales_team):  # noqa: F811
    """A colleague and a month of activities around today: calls, meetings and tasks, one overdue."""
    from django.utils import timezone

    from factories import UserFactory
    from peyvand.accounts.models import Role
    from peyvand.sales.services.activities import activity_create

    agent, ali = sales_team
    colleague = UserFactory(username="reza", first_name="رضا", last_name="کاظمی", role=Role.AGENT, team=agent.team)
    today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    made = {}
    for key, kind, subject, days, hour, who in [
        ("overdue", "call", "تماس پیگیری پیش‌فاکتور", -2, 10, agent),
        ("today", "meeting", "جلسه با مدیر خرید", 0, 23, agent),
        ("demo", "meeting", "نمایش محصول", 3, 11, colleague),
        ("report", "task", "گزارش فروش ماهانه", 5, 9, agent),
        ("call", "call", "تماس تمدید قرارداد", 8, 14, colleague),
        ("visit", "meeting", "بازدید از کارخانه", -6, 10, agent),
    ]:
        due = (today + dt.timedelta(days=days)).replace(hour=hour)
        made[key] = activity_create(
            by=agent,
            data={
                "kind": kind,
                "subject": subject,
                "due_at": due,
                "customer_id": ali.organization_id if key != "report" else None,
                "assigned_to_id": who.pk,
                "duration_minutes": 30,
            },
        )
    return agent, ali, made


def _log_in(page, live_server, agent) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_the_persian_month_calendar_in_a_browser(live_server, calendar_page, planned):
    import jdatetime
    from django.utils import timezone

    from peyvand.core.jalali import JALALI_MONTHS

    agent, _ali, made = planned
    page = calendar_page
    _log_in(page, live_server, agent)
    page.goto(f"{live_server.url}/sales/calendar/")

    today = timezone.localtime().date()
    jalali_today = jdatetime.date.fromgregorian(date=today)
    title = page.locator("#cal-title").inner_text()
    assert JALALI_MONTHS[jalali_today.month - 1] in title
    assert set(title) & PERSIAN_DIGITS and not set(title) & set("0123456789")
    assert page.locator("html").get_attribute("dir") == "rtl"

    # Saturday's column is the rightmost, Friday's the leftmost.
    headers = page.locator(".pv-cal-weekday")
    assert headers.count() == 7
    saturday, friday = headers.nth(0).bounding_box(), headers.nth(6).bounding_box()
    assert saturday["x"] > friday["x"]
    assert headers.nth(0).inner_text().strip() == "شنبه"

    # Today is marked, and its day number is the Jalali one in Persian digits.
    marked = page.locator(".pv-cal-day.pv-today")
    assert marked.count() == 1
    assert marked.get_attribute("data-date") == today.isoformat()
    number = marked.locator(".pv-cal-num > span").first.inner_text()
    assert number == str(jalali_today.day).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    # Activities are coloured by kind.
    today_item = page.locator(f'.pv-cal-item[href="/sales/activities/{made["today"].pk}/"]')
    assert "pv-kind-meeting" in today_item.get_attribute("class")
    colours = {
        kind: page.locator(f".pv-cal-item.pv-kind-{kind}").first.evaluate("e => getComputedStyle(e).backgroundColor")
        for kind in ("meeting",)
    }
    assert colours["meeting"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sales-calendar.png"), full_page=True)

    # The next month and back again.
    page.click("#cal-next")
    page.wait_for_load_state()
    following = jalali_today.month % 12 + 1
    assert JALALI_MONTHS[following - 1] in page.locator("#cal-title").inner_text()
    page.click("#cal-previous")
    page.wait_for_load_state()
    assert JALALI_MONTHS[jalali_today.month - 1] in page.locator("#cal-title").inner_text()

    # The week view of today's week: seven days, Saturday first, with today's meeting in it.
    page.goto(f"{live_server.url}/sales/calendar/")
    page.click("#cal-week-view")
    page.wait_for_load_state()
    assert page.locator(".pv-cal-week .pv-cal-day").count() == 7
    assert page.locator(f'.pv-cal-item[href="/sales/activities/{made["today"].pk}/"]').count() == 1
    page.screenshot(path=str(RESULTS / "sales-calendar-week.png"), full_page=True)


def test_marking_an_activity_done_from_the_agenda(live_server, calendar_page, planned):
    from peyvand.customers.models import Interaction

    agent, ali, made = planned
    page = calendar_page
    _log_in(page, live_server, agent)
    page.goto(f"{live_server.url}/sales/agenda/")
    overdue = page.locator(f'#agenda-overdue [data-activity-id="{made["overdue"].pk}"]')
    assert overdue.count() == 1
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "sales-agenda.png"), full_page=True)
    overdue.locator("button.btn-outline-success").click()
    page.wait_for_url(f"{live_server.url}/sales/agenda/")
    assert page.locator(f'[data-activity-id="{made["overdue"].pk}"]').count() == 0
    entry = Interaction.objects.get(related_id=str(made["overdue"].pk))
    assert (entry.channel, entry.customer_id) == ("call", ali.organization_id)
    # The bell is in the top bar.
    assert page.locator("#pv-bell").count() == 1

    # The customer's 360° page lists the done call and what is still planned, with a way to plan another.
    page.goto(f"{live_server.url}/customers/{ali.organization_id}/")
    panel = page.locator("#activities")
    assert panel.locator(f'[data-activity-id="{made["overdue"].pk}"]').count() == 1
    assert panel.locator(f'[data-activity-id="{made["demo"].pk}"] button.btn-outline-success').count() == 1
    panel.screenshot(path=str(RESULTS / "sales-customer-activities.png"))
