"""The activity pages through the test client: the agenda's buckets, the Jalali month and week calendar, the
activity forms and buttons, the customer's and deal's panels, each scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.customers.models import Interaction
from peyvand.sales.activity_selectors import month_days, week_start
from peyvand.sales.models import Activity
from peyvand.sales.services.activities import activity_create

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


def plan(by, **fields) -> Activity:
    data = {"subject": "تماس پیگیری", "due_at": timezone.now() + dt.timedelta(days=1), **fields}
    return activity_create(by=by, data=data)


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def cell_dates(html: str) -> list[str]:
    return re.findall(r'class="pv-cal-day[^"]*" data-date="([\d-]+)"', html)


def cell(html: str, date: str) -> str:
    start = html.index(f'data-date="{date}"')
    end = html.find('class="pv-cal-day', start)
    return html[start : end if end != -1 else len(html)]


# --- the Jalali weeks and months --------------------------------------------------------------------------


def test_a_week_starts_on_saturday():
    # 2026-11-25 is a Wednesday; its week began on Saturday the 21st.
    assert week_start(dt.date(2026, 11, 25)) == dt.date(2026, 11, 21)
    assert week_start(dt.date(2026, 11, 21)) == dt.date(2026, 11, 21)
    assert week_start(dt.date(2026, 11, 27)) == dt.date(2026, 11, 21)  # Friday ends it


def test_a_month_grid_runs_from_the_saturday_before_its_first_day_to_the_friday_after_its_last():
    # Dey 1405 runs from Tuesday 2026-12-22 to Wednesday 2027-01-20.
    days = month_days(1405, 10)
    assert days[0] == dt.date(2026, 12, 19)
    assert days[-1] == dt.date(2027, 1, 22)
    assert len(days) == 35
    # Farvardin 1405 starts on a Saturday: no day of Esfand before it.
    assert month_days(1405, 1)[0] == dt.date(2026, 3, 21)


# --- the agenda -------------------------------------------------------------------------------------------


def test_the_agenda_sorts_my_activities_and_overdue_next_steps(agent_a, manager_a, customer_a, make_deal):
    now = timezone.now()
    overdue = plan(agent_a, subject="دیرشده", due_at=now - dt.timedelta(hours=3), customer_id=customer_a.pk)
    later = plan(agent_a, subject="ماه بعد", due_at=now + dt.timedelta(days=30))
    someone_elses = plan(manager_a, subject="مال مدیر")
    done = plan(agent_a, subject="انجام‌شده", due_at=now - dt.timedelta(hours=1))
    Activity.objects.filter(pk=done.pk).update(status="done")
    deal = make_deal(
        customer=customer_a, owner=agent_a, next_step="ارسال پیش‌فاکتور", next_step_due_at=now - dt.timedelta(days=1)
    )
    html = client_for(agent_a).get(reverse("sales:agenda")).content.decode()
    overdue_part = section(html, "agenda-overdue")
    assert f'data-activity-id="{overdue.pk}"' in overdue_part
    assert f'id="deal-step-{deal.pk}"' in overdue_part
    assert "ارسال پیش‌فاکتور" in overdue_part
    assert f'data-activity-id="{later.pk}"' in section(html, "agenda-later")
    assert f'data-activity-id="{someone_elses.pk}"' not in html
    assert f'data-activity-id="{done.pk}"' not in html


def test_today_and_this_week(agent_a):
    today = timezone.localtime().date()
    end_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time(23, 59)))
    if end_of_today - timezone.now() < dt.timedelta(minutes=5):
        pytest.skip("too close to midnight for a 'later today' activity")
    tonight = plan(agent_a, subject="امشب", due_at=end_of_today)
    friday = week_start(today) + dt.timedelta(days=6)
    this_week = plan(
        agent_a, subject="این هفته", due_at=timezone.make_aware(dt.datetime.combine(friday, dt.time(23, 0)))
    )
    html = client_for(agent_a).get(reverse("sales:agenda")).content.decode()
    assert f'data-activity-id="{tonight.pk}"' in section(html, "agenda-today")
    if friday != today:
        assert f'data-activity-id="{this_week.pk}"' in section(html, "agenda-week")


def test_a_manager_opens_a_team_members_agenda_but_not_another_teams(manager_a, agent_a, agent_b):
    mine = plan(agent_a, subject="کار عامل")
    theirs = plan(agent_b, subject="کار تیم دیگر")
    client = client_for(manager_a)
    html = client.get(reverse("sales:agenda"), {"person": agent_a.pk}).content.decode()
    assert f'data-activity-id="{mine.pk}"' in html
    html = client.get(reverse("sales:agenda"), {"person": agent_b.pk}).content.decode()
    # Someone out of sight is not offered: the manager sees their own agenda instead.
    assert f'data-activity-id="{theirs.pk}"' not in html


def test_done_and_cancel_buttons_on_the_agenda(agent_a, customer_a):
    first = plan(agent_a, kind="call", customer_id=customer_a.pk)
    second = plan(agent_a)
    client = client_for(agent_a)
    agenda_url = reverse("sales:agenda")
    response = client.post(
        reverse("sales:activity_complete", args=[first.pk]), {"next": agenda_url, "outcome": "تماس گرفته شد"}
    )
    assert response.status_code == 302
    assert response["Location"] == agenda_url
    first.refresh_from_db()
    assert first.status == "done"
    assert Interaction.objects.get(customer=customer_a).channel == "call"
    response = client.post(reverse("sales:activity_cancel", args=[second.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("sales:activity_detail", args=[second.pk])
    second.refresh_from_db()
    assert second.status == "cancelled"


def test_another_teams_activity_is_not_found_on_every_page(agent_b, agent_a):
    activity = plan(agent_a)
    client = client_for(agent_b)
    for name in ("activity_detail", "activity_edit"):
        assert client.get(reverse(f"sales:{name}", args=[activity.pk])).status_code == 404
    for name in ("activity_complete", "activity_cancel"):
        assert client.post(reverse(f"sales:{name}", args=[activity.pk])).status_code == 404
    activity.refresh_from_db()
    assert activity.status == "planned"


def test_pages_need_a_login(agent_a):
    response = Client().get(reverse("sales:agenda"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- the calendar -----------------------------------------------------------------------------------------


def test_the_month_calendar_is_a_jalali_month_from_saturday(agent_a, customer_a):
    first_of_dey = plan(
        agent_a, subject="جلسه اول دی", kind="meeting", due_at=tehran(2026, 12, 22, 10), customer_id=customer_a.pk
    )
    early = plan(agent_a, subject="تماس صبح زود", kind="call", due_at=tehran(2026, 12, 22, 1, 30))
    cancelled = plan(agent_a, subject="لغوشده", due_at=tehran(2026, 12, 23))
    Activity.objects.filter(pk=cancelled.pk).update(status="cancelled")
    html = client_for(agent_a, "fa").get(reverse("sales:calendar"), {"day": "1405/10/15"}).content.decode()
    assert 'dir="rtl"' in html
    assert re.search(r'id="cal-title">\s*دی ۱۴۰۵\s*<', html)
    dates = cell_dates(html)
    assert dates[0] == "2026-12-19"
    assert dates[-1] == "2027-01-22"
    assert len(dates) == 35
    # Saturday comes first in the markup, so the page's direction puts it on the right.
    weekdays = re.findall(
        r'class="pv-cal-weekday[^"]*" role="columnheader"><span class="d-none d-lg-inline">([^<]+)<', html
    )
    assert weekdays[0] == "شنبه"
    assert weekdays[-1] == "جمعه"
    # Days of the months around it are shown, but greyed out; the day numbers are Jalali, in Persian digits.
    assert 'pv-outside" data-date="2026-12-19"' in html
    first_day = cell(html, "2026-12-22")
    assert "<span>۱</span>" in first_day
    assert f"/sales/activities/{first_of_dey.pk}/" in first_day
    assert "pv-kind-meeting" in first_day
    # Half past one in the morning in Tehran is still the 21st in UTC: the calendar goes by Tehran's day.
    assert f"/sales/activities/{early.pk}/" in first_day
    assert "۰۱:۳۰" in first_day
    assert f"/sales/activities/{cancelled.pk}/" not in html
    assert "?view=month&amp;day=2026-11-22" in html  # previous: 1 Azar 1405
    assert "?view=month&amp;day=2027-01-21" in html  # next: 1 Bahman 1405


def test_today_is_highlighted(agent_a):
    html = client_for(agent_a).get(reverse("sales:calendar")).content.decode()
    today = timezone.localtime().date().isoformat()
    assert re.search(rf'class="pv-cal-day[^"]*pv-today[^"]*" data-date="{today}" aria-current="date"', html)
    assert html.count('aria-current="date"') == 1


def test_the_week_calendar_shows_seven_days_from_saturday(agent_a, agent_a_sub, manager_a):
    mine = plan(agent_a, subject="جلسه چهارشنبه", due_at=tehran(2026, 11, 25, 9))
    below = plan(agent_a_sub, subject="کار زیرتیم", due_at=tehran(2026, 11, 26, 9))
    client = client_for(manager_a)
    html = client.get(reverse("sales:calendar"), {"view": "week", "day": "2026-11-25"}).content.decode()
    assert cell_dates(html) == [(dt.date(2026, 11, 21) + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert f"/sales/activities/{mine.pk}/" in cell(html, "2026-11-25")
    assert f"/sales/activities/{below.pk}/" in cell(html, "2026-11-26")
    assert "?view=week&amp;day=2026-11-14" in html and "?view=week&amp;day=2026-11-28" in html
    # Filtered to one person.
    html = client.get(
        reverse("sales:calendar"), {"view": "week", "day": "2026-11-25", "person": agent_a_sub.pk}
    ).content.decode()
    assert f"/sales/activities/{below.pk}/" in html
    assert f"/sales/activities/{mine.pk}/" not in html


def test_the_calendar_shows_only_what_the_user_may_see(agent_b, agent_a):
    hidden = plan(agent_a, due_at=tehran(2026, 11, 25, 9))
    html = client_for(agent_b).get(reverse("sales:calendar"), {"view": "week", "day": "2026-11-25"}).content.decode()
    assert f"/sales/activities/{hidden.pk}/" not in html
    # Asking for another team's person shows the whole (visible) calendar instead.
    html = (
        client_for(agent_b).get(reverse("sales:calendar"), {"person": agent_a.pk, "day": "2026-11-25"}).content.decode()
    )
    assert f"/sales/activities/{hidden.pk}/" not in html


def test_a_date_that_cannot_be_read_falls_back_to_today(agent_a):
    response = client_for(agent_a).get(reverse("sales:calendar"), {"day": "1405/13/40"})
    assert response.status_code == 200
    today = timezone.localtime().date().isoformat()
    assert f'data-date="{today}"' in response.content.decode()


# --- forms ------------------------------------------------------------------------------------------------


def test_planning_a_call_from_the_customers_page(agent_a, customer_a):
    client = client_for(agent_a)
    page = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'id="activities"' in page
    assert f"{reverse('sales:activity_create')}?customer={customer_a.pk}" in page
    form_url = reverse("sales:activity_create") + f"?customer={customer_a.pk}&kind=call"
    form = client.get(form_url).content.decode()
    assert re.search(r'<option value="call" selected>', form)
    back = reverse("customers:detail", args=[customer_a.pk])
    response = client.post(
        reverse("sales:activity_create"),
        {
            "customer": customer_a.pk,
            "next": back,
            "kind": "call",
            "subject": "پیگیری پیش‌فاکتور",
            "due_date": "2030-01-05",
            "due_time": "11:30",
            "duration_minutes": "15",
            "assigned_to_id": agent_a.pk,
            "remind": "60",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == back
    activity = Activity.objects.get()
    assert (activity.kind, activity.customer, activity.duration_minutes, activity.remind_minutes_before) == (
        "call",
        customer_a,
        15,
        60,
    )
    assert activity.due_at == tehran(2030, 1, 5, 11, 30)
    page = client.get(back).content.decode()
    assert f'data-activity-id="{activity.pk}"' in page


def test_the_persian_form_takes_a_jalali_day(agent_a):
    client = client_for(agent_a, "fa")
    response = client.post(
        reverse("sales:activity_create"),
        {"kind": "task", "subject": "گزارش", "due_date": "۱۴۰۸/۱۰/۱۵", "assigned_to_id": agent_a.pk, "remind": "none"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert timezone.localtime(activity.due_at).date() == dt.date(2030, 1, 4)
    assert activity.remind_minutes_before is None


def test_form_errors_are_shown_per_field_and_nothing_is_saved(agent_a, customer_b, agent_b):
    client = client_for(agent_a)
    response = client.post(
        reverse("sales:activity_create"),
        {"kind": "task", "subject": "", "due_date": "not a date", "assigned_to_id": agent_b.pk},
    )
    assert response.status_code == 422
    errors = re.findall(r'<div class="([^"]*) pv-has-error">', response.content.decode())
    assert len(errors) == 3  # subject, day, assignee
    assert not Activity.objects.exists()
    # Another team's customer is not there to plan against.
    assert client.get(reverse("sales:activity_create"), {"customer": customer_b.pk}).status_code == 404


def test_editing_and_the_detail_page(agent_a, customer_a):
    activity = plan(agent_a, subject="قدیمی", customer_id=customer_a.pk)
    client = client_for(agent_a)
    detail = client.get(reverse("sales:activity_detail", args=[activity.pk])).content.decode()
    assert "قدیمی" in detail and customer_a.display_name in detail
    form = client.get(reverse("sales:activity_edit", args=[activity.pk]))
    assert form.status_code == 200
    response = client.post(
        reverse("sales:activity_edit", args=[activity.pk]),
        {
            "kind": "meeting",
            "subject": "جدید",
            "due_date": "2030-02-01",
            "due_time": "09:00",
            "assigned_to_id": agent_a.pk,
            "remind": "15",
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.kind, activity.subject, activity.customer) == ("meeting", "جدید", customer_a)
    # Done, it can no longer be edited.
    client.post(reverse("sales:activity_complete", args=[activity.pk]), {"outcome": "خوب بود"})
    response = client.get(reverse("sales:activity_edit", args=[activity.pk]))
    assert response.status_code == 302
    detail = client.get(reverse("sales:activity_detail", args=[activity.pk])).content.decode()
    assert "خوب بود" in detail


def test_the_deal_page_lists_its_activities(agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    activity = plan(agent_a, deal_id=deal.pk, subject="جلسه فنی")
    page = client_for(agent_a).get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert f'data-activity-id="{activity.pk}"' in page
    assert f"{reverse('sales:activity_create')}?deal={deal.pk}" in page


def test_a_return_address_elsewhere_is_never_put_in_a_link(agent_a):
    page = client_for(agent_a).get(reverse("sales:activity_create"), {"next": "javascript:alert(1)"}).content.decode()
    assert "javascript:alert" not in page
    page = client_for(agent_a).get(reverse("sales:activity_create"), {"next": "/sales/agenda/"}).content.decode()
    assert 'name="next" value="/sales/agenda/"' in page


def test_a_date_far_from_now_opens_today(agent_a):
    for day in ("9999-12-31", "0001/01/01"):
        response = client_for(agent_a).get(reverse("sales:calendar"), {"day": day})
        assert response.status_code == 200
        assert f'data-date="{timezone.localtime().date().isoformat()}"' in response.content.decode()


def test_the_english_calendar_is_the_jalali_one_with_latin_month_names(agent_a):
    html = client_for(agent_a, "en").get(reverse("sales:calendar"), {"day": "2026-12-25"}).content.decode()
    assert 'dir="ltr"' in html
    assert re.search(r'id="cal-title">\s*Dey 1405\s*<', html)
    assert cell_dates(html)[0] == "2026-12-19"
    # Each day shows its Gregorian date beside the Jalali number.
    assert "Dec 22" in cell(html, "2026-12-22")
    week = client_for(agent_a, "en").get(reverse("sales:calendar"), {"view": "week", "day": "2026-12-25"}).content
    assert re.search(r'id="cal-title">\s*28 Azar – 4 Dey 1405\s*<', week.decode())
