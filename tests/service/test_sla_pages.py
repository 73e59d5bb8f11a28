"""The SLA pages: policies with multi-select conditions, the working calendar with the desk's settings, the
holidays of a Jalali year and the due time calculator; administrators change, managers read, agents are refused."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from peyvand.core.jalali import parse_date
from peyvand.service.models import Holiday, SlaPolicy, ThursdayHours
from peyvand.service.services.settings import service_settings

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def logged_in(user, language="fa"):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(
        name="طلایی", first_response_minutes=30, resolution_minutes=240, conditions={"customer_tier": ["gold"]}
    )


# --- policies ---------------------------------------------------------------------------------------------


def test_an_admin_sees_the_policies_with_their_conditions(admin, policy):
    response = logged_in(admin, "en").get(reverse("service:sla_policies"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "طلایی" in page and "Gold" in page
    assert reverse("service:sla_policy_edit", args=[policy.pk]) in page


def test_a_manager_reads_the_policies_but_cannot_change_them(manager_a, policy):
    client = logged_in(manager_a)
    page = client.get(reverse("service:sla_policies"), **EN)
    assert page.status_code == 200
    assert reverse("service:sla_policy_edit", args=[policy.pk]) not in page.content.decode()
    assert client.get(reverse("service:sla_policy_create"), **EN).status_code == 403
    assert client.post(reverse("service:sla_policy_delete", args=[policy.pk])).status_code == 403
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


@pytest.mark.parametrize(
    "name",
    ["service:sla_policies", "service:sla_policy_create", "service:service_calendar"],
)
def test_an_agent_is_refused_the_sla_pages_with_403(agent_a, name):
    response = logged_in(agent_a).get(reverse(name), **EN)
    assert response.status_code == 403
    assert "refused-message" in response.content.decode()


def test_an_admin_creates_a_policy_choosing_conditions_from_lists(admin, technical, team_b):
    response = logged_in(admin).post(
        reverse("service:sla_policy_create"),
        {
            "name": "فنی فوری",
            "first_response_minutes": "15",
            "resolution_minutes": "120",
            "warn_percent": "75",
            "escalate_to": str(team_b.pk),
            "is_active": "on",
            "priorities": ["urgent", "high"],
            "categories": [str(technical.pk)],
            "tiers": ["gold"],
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.conditions == {"priority": ["high", "urgent"], "category": [technical.pk], "customer_tier": ["gold"]}
    assert (policy.warn_percent, policy.escalate_to, policy.is_active) == (75, team_b, True)


def test_a_bad_policy_form_is_shown_again_with_its_errors(admin):
    response = logged_in(admin, "en").post(
        reverse("service:sla_policy_create"),
        {"name": "x", "first_response_minutes": "600", "resolution_minutes": "60", "warn_percent": "80"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["resolution_minutes"]
    assert "Nothing was saved" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_an_admin_edits_moves_and_removes_policies(admin, policy):
    client = logged_in(admin)
    other = SlaPolicy.objects.create(name="عادی", position=1, first_response_minutes=60, resolution_minutes=480)
    form = client.get(reverse("service:sla_policy_edit", args=[policy.pk]), **EN)
    assert form.context["form"].initial["tiers"] == ["gold"]
    client.post(
        reverse("service:sla_policy_edit", args=[policy.pk]),
        {"name": "طلایی ۲", "first_response_minutes": "20", "resolution_minutes": "200", "warn_percent": "80"},
    )
    policy.refresh_from_db()
    assert (policy.name, policy.first_response_minutes, policy.conditions, policy.is_active) == (
        "طلایی ۲",
        20,
        {},
        False,
    )
    client.post(reverse("service:sla_policy_move", args=[other.pk]), {"direction": "up"})
    assert list(SlaPolicy.objects.order_by("position").values_list("pk", flat=True)) == [other.pk, policy.pk]
    client.post(reverse("service:sla_policy_delete", args=[policy.pk]))
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert client.get(reverse("service:sla_policy_edit", args=[policy.pk])).status_code == 404


# --- the working calendar ---------------------------------------------------------------------------------


def test_the_calendar_page_lists_the_holidays_of_the_chosen_jalali_year(admin):
    Holiday.objects.create(date=parse_date("1405/01/12"), name="روز جمهوری اسلامی")
    Holiday.objects.create(date=parse_date("1406/01/12"), name="سال بعد")
    response = logged_in(admin).get(reverse("service:service_calendar"), {"year": "1405"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "روز جمهوری اسلامی" in page and "سال بعد" not in page
    assert "۱۴۰۵/۰۱/۱۲" in page  # Jalali, Persian digits
    assert reverse("service:holidays_load") in page


def test_a_manager_reads_the_calendar_without_the_forms_to_change_it(manager_a):
    response = logged_in(manager_a).get(reverse("service:service_calendar"), {"year": "1405"})
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("service:holidays_load") not in page and "holiday-form" not in page
    assert logged_in(manager_a).post(reverse("service:holidays_load"), {"year": "1405"}).status_code == 403
    assert not Holiday.objects.exists()


def test_an_admin_loads_the_official_list_with_the_button(admin):
    response = logged_in(admin).post(reverse("service:holidays_load"), {"year": "1405"})
    assert response.status_code == 302
    assert Holiday.objects.filter(date=parse_date("1405/01/01")).exists()
    assert Holiday.objects.filter(date=parse_date("1405/11/22")).exists()


def test_an_admin_adds_and_removes_a_holiday(admin):
    client = logged_in(admin)
    response = client.post(
        reverse("service:holiday_create") + "?year=1405", {"date": "1405/02/10", "name": "تعطیل شرکت"}
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert holiday.date == dt.date(2026, 4, 30)
    again = client.post(
        reverse("service:holiday_create") + "?year=1405", {"date": "1405/02/10", "name": "دوباره"}, **EN
    )
    assert again.status_code == 200
    assert again.context["holiday_form"].errors["date"]
    client.post(reverse("service:holiday_delete", args=[holiday.pk]) + "?year=1405")
    assert not Holiday.objects.exists()


def test_an_admin_changes_the_working_hours_and_bad_hours_are_shown_again(admin, team_a):
    client = logged_in(admin)
    good = {
        "day_starts": "09:00",
        "day_ends": "17:00",
        "thursday": ThursdayHours.OFF,
        "thursday_ends": "12:00",
        "default_team": str(team_a.pk),
        "closed_ticket_reply": "new_ticket",
        "close_resolved_after_days": "5",
        "low_satisfaction": "2",
    }
    assert client.post(reverse("service:service_settings"), good).status_code == 302
    row = service_settings()
    assert (row.day_starts, row.thursday, row.default_team, row.close_resolved_after_days) == (
        dt.time(9),
        ThursdayHours.OFF,
        team_a,
        5,
    )
    bad = client.post(reverse("service:service_settings"), {**good, "day_ends": "08:00"}, **EN)
    assert bad.status_code == 200
    assert bad.context["settings_form"].errors["day_ends"]
    assert service_settings().day_ends == dt.time(17)


def test_the_due_time_calculator_shows_the_due_time_in_jalali(admin):
    Holiday.objects.create(date=parse_date("1405/01/12"), name="روز جمهوری اسلامی")
    Holiday.objects.create(date=parse_date("1405/01/13"), name="روز طبیعت")
    response = logged_in(admin).get(
        reverse("service:service_calendar"),
        {"calc-start_date": "1405/01/11", "calc-start_time": "15:30", "calc-minutes": "60"},
    )
    assert response.status_code == 200
    assert response.context["result"]["due"] == dt.datetime(2026, 4, 4, 5, 0, tzinfo=dt.UTC)  # 08:30 Tehran
    assert "۱۴۰۵/۰۱/۱۵ ۰۸:۳۰" in response.content.decode()


def test_the_pages_need_a_login(db):
    response = Client().get(reverse("service:service_calendar"))
    assert response.status_code == 302 and "login" in response["Location"]
