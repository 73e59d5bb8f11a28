"""Keeping the SLA policies, the holiday list (and the official list of 1405) and the desk's settings."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from peyvand.core.jalali import parse_date
from peyvand.service.models import Holiday, ServiceSettings, SlaPolicy, ThursdayHours
from peyvand.service.services.settings import service_settings
from peyvand.service.sla_services import (
    holiday_add,
    holiday_remove,
    holidays_load_year,
    official_holidays,
    service_settings_update,
    sla_policy_create,
    sla_policy_deactivate,
    sla_policy_delete,
    sla_policy_reorder,
    sla_policy_update,
)


def policy_data(**extra):
    return {"name": "عادی", "first_response_minutes": 60, "resolution_minutes": 480, **extra}


def test_an_admin_creates_a_policy_with_checked_conditions(admin, technical):
    policy = sla_policy_create(
        by=admin,
        data=policy_data(conditions={"priority": ["urgent", "high", "urgent"], "category": [str(technical.pk)]}),
    )
    assert policy.conditions == {"priority": ["high", "urgent"], "category": [technical.pk]}
    assert policy.warn_percent == 80
    assert policy.position == 0
    assert sla_policy_create(by=admin, data=policy_data(name="دوم")).position == 1


@pytest.mark.parametrize("user", ["agent_a", "manager_a"])
def test_only_an_administrator_changes_policies(request, user, admin):
    who = request.getfixturevalue(user)
    with pytest.raises(PermissionDenied):
        sla_policy_create(by=who, data=policy_data())
    policy = sla_policy_create(by=admin, data=policy_data())
    with pytest.raises(PermissionDenied):
        sla_policy_update(policy=policy, by=who, data={"name": "x"})
    with pytest.raises(PermissionDenied):
        sla_policy_delete(policy=policy, by=who)
    assert SlaPolicy.objects.get().name == "عادی"


def test_bad_policy_input_names_each_field_and_writes_nothing(admin):
    with pytest.raises(ValidationError) as caught:
        sla_policy_create(
            by=admin,
            data={
                "name": "",
                "first_response_minutes": 0,
                "resolution_minutes": "many",
                "warn_percent": 100,
                "conditions": {"status": ["new"], "category": [999999]},
                "escalate_to_id": 999999,
                "colour": "red",
            },
        )
    fields = caught.value.message_dict
    assert set(fields) == {
        "name",
        "first_response_minutes",
        "resolution_minutes",
        "warn_percent",
        "conditions",
        "escalate_to_id",
        "colour",
    }
    # Both faults of the conditions are reported: a key SLAs do not use, an id that does not exist.
    assert len(fields["conditions"]) == 2
    assert not SlaPolicy.objects.exists()


def test_resolution_cannot_be_due_before_the_first_response(admin):
    with pytest.raises(ValidationError) as caught:
        sla_policy_create(by=admin, data=policy_data(first_response_minutes=600, resolution_minutes=60))
    assert "resolution_minutes" in caught.value.message_dict
    policy = sla_policy_create(by=admin, data=policy_data())
    with pytest.raises(ValidationError):
        sla_policy_update(policy=policy, by=admin, data={"first_response_minutes": 481})


def test_a_policy_is_changed_field_by_field(admin, team_b):
    policy = sla_policy_create(by=admin, data=policy_data())
    sla_policy_update(policy=policy, by=admin, data={"warn_percent": 50, "escalate_to_id": team_b.pk})
    policy.refresh_from_db()
    assert (policy.warn_percent, policy.escalate_to_id, policy.first_response_minutes) == (50, team_b.pk, 60)


def test_reordering_puts_the_named_policies_first(admin):
    first, second, third = (sla_policy_create(by=admin, data=policy_data(name=name)) for name in "abc")
    ordered = sla_policy_reorder(by=admin, ids=[third.pk, first.pk])
    assert [policy.pk for policy in ordered] == [third.pk, first.pk, second.pk]
    assert list(SlaPolicy.objects.order_by("position").values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    with pytest.raises(ValidationError):
        sla_policy_reorder(by=admin, ids=[first.pk, first.pk])
    with pytest.raises(ValidationError):
        sla_policy_reorder(by=admin, ids=[999999])


def test_a_policy_tickets_were_held_to_is_deactivated_not_deleted(admin, make_ticket):
    unused = sla_policy_create(by=admin, data=policy_data(name="unused"))
    used = sla_policy_create(by=admin, data=policy_data(name="used"))
    make_ticket(sla_policy=used)
    assert sla_policy_delete(policy=unused, by=admin) is True
    assert sla_policy_delete(policy=used, by=admin) is False
    used.refresh_from_db()
    assert not used.is_active
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["used"]
    assert sla_policy_deactivate(policy=used, by=admin).is_active is False


# --- holidays ---------------------------------------------------------------------------------------------


def test_an_admin_adds_a_holiday_by_its_jalali_date_and_removes_it(admin):
    holiday = holiday_add(by=admin, date="۱۴۰۵/۰۲/۱۰", name="  تعطیل شرکت ")
    assert holiday.date == dt.date(2026, 4, 30)
    assert holiday.name == "تعطیل شرکت"
    with pytest.raises(ValidationError) as caught:
        holiday_add(by=admin, date="1405/02/10", name="again")
    assert "date" in caught.value.message_dict
    holiday_remove(by=admin, holiday=holiday)
    assert not Holiday.objects.exists()


def test_bad_holiday_input_is_refused_per_field(admin, agent_a):
    with pytest.raises(ValidationError) as caught:
        holiday_add(by=admin, date="1405/13/40", name="")
    assert set(caught.value.message_dict) == {"date", "name"}
    with pytest.raises(PermissionDenied):
        holiday_add(by=agent_a, date="1405/02/10", name="x")


def test_the_official_1405_list_has_nowruz_and_the_fixed_holidays():
    days = dict(official_holidays(1405))
    for jalali in ("1405/01/01", "1405/01/02", "1405/01/03", "1405/01/04", "1405/01/12", "1405/01/13"):
        assert parse_date(jalali) in days
    for jalali in ("1405/03/14", "1405/03/15", "1405/11/22", "1405/12/29"):
        assert parse_date(jalali) in days
    assert len(days) == len(official_holidays(1405))  # no day twice
    first, last = parse_date("1405/01/01"), parse_date("1405/12/29")
    assert all(first <= day <= last for day in days)
    assert all(name.strip() for name in days.values())


def test_loading_a_year_twice_adds_its_days_once_and_keeps_admin_edits(admin):
    Holiday.objects.create(date=parse_date("1405/01/13"), name="سیزده‌به‌در (ویرایش‌شده)")
    first = holidays_load_year(by=admin, year=1405)
    total = len(official_holidays(1405))
    assert (first.added, first.kept) == (total - 1, 1)
    assert Holiday.objects.get(date=parse_date("1405/01/13")).name == "سیزده‌به‌در (ویرایش‌شده)"
    again = holidays_load_year(by=admin, year=1405)
    assert (again.added, again.kept) == (0, total)
    assert Holiday.objects.count() == total


def test_a_year_without_an_official_list_is_refused(admin):
    with pytest.raises(ValidationError) as caught:
        holidays_load_year(by=admin, year=1399)
    assert "year" in caught.value.message_dict


def test_the_load_holidays_command_loads_a_year(db):
    out = StringIO()
    call_command("load_holidays", "1405", stdout=out)
    assert Holiday.objects.filter(date=parse_date("1405/01/01")).exists()
    assert "1405" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("load_holidays", "1399", stdout=StringIO())


# --- the desk's settings ----------------------------------------------------------------------------------


def test_an_admin_changes_the_working_hours_and_thursday(admin, team_a):
    service_settings_update(
        by=admin,
        data={
            "day_starts": "07:30",
            "day_ends": dt.time(15, 30),
            "thursday": ThursdayHours.OFF,
            "default_team_id": team_a.pk,
            "close_resolved_after_days": 3,
        },
    )
    row = service_settings()
    assert (row.day_starts, row.day_ends, row.thursday) == (dt.time(7, 30), dt.time(15, 30), ThursdayHours.OFF)
    assert row.default_team == team_a and row.close_resolved_after_days == 3
    assert ServiceSettings.objects.count() == 1


def test_settings_that_make_no_working_day_are_refused(admin, agent_a):
    with pytest.raises(ValidationError) as caught:
        service_settings_update(by=admin, data={"day_starts": "17:00", "day_ends": "09:00"})
    assert "day_ends" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        service_settings_update(by=admin, data={"thursday": "half", "thursday_ends": "07:00"})
    assert "thursday_ends" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        service_settings_update(by=admin, data={"low_satisfaction": 5, "thursday": "sometimes", "day_starts": "8am"})
    assert set(caught.value.message_dict) == {"low_satisfaction", "thursday", "day_starts"}
    with pytest.raises(PermissionDenied):
        service_settings_update(by=agent_a, data={"close_resolved_after_days": 1})
    assert service_settings().day_starts == dt.time(8, 0)
