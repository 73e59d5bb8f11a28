"""Admins define custom fields in the admin; their values are checked on every write, through the API too."""

import pytest

from peyvand.customers.models import CustomField

pytestmark = pytest.mark.django_db


def test_an_admin_defines_a_choice_field_and_bad_choices_are_refused(admin, client):
    client.force_login(admin)
    url = "/admin/customers/customfield/add/"
    form = {
        "key": "tier",
        "label_fa": "سطح",
        "label_en": "Tier",
        "field_type": "choice",
        "applies_to": "",
        "position": 0,
        "is_active": "on",
    }
    refused = client.post(url, {**form, "choices": "[]"})
    assert refused.status_code == 200 and not CustomField.objects.exists()
    client.post(url, {**form, "choices": '["gold", "silver", "bronze"]'})
    assert CustomField.objects.get(key="tier").choices == ["gold", "silver", "bronze"]


def test_custom_field_values_are_validated_and_stored(agent_a, api_client):
    CustomField.objects.create(
        key="tier", label_fa="سطح", label_en="Tier", field_type="choice", choices=["gold", "silver"]
    )
    CustomField.objects.create(key="employees", label_fa="تعداد کارکنان", label_en="Employees", field_type="number")
    client = api_client(agent_a)
    bad = client.post(
        "/api/v1/customers",
        {"last_name": "کریمی", "custom_fields": {"tier": "platinum", "employees": "many", "nope": 1}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"custom_fields.tier", "custom_fields.employees", "custom_fields.nope"}
    good = client.post(
        "/api/v1/customers",
        {"last_name": "کریمی", "custom_fields": {"tier": "gold", "employees": "۱۲۰"}},
        content_type="application/json",
    )
    assert good.status_code == 201
    assert good.json()["custom_fields"] == {"tier": "gold", "employees": 120}
