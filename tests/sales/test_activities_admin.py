"""The Django admin shows activities and staff notifications, read-only: they are written by the services."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.services import notify_user
from peyvand.sales.services.activities import activity_create

pytestmark = pytest.mark.django_db


def test_activities_and_notifications_are_shown_not_changed(admin, agent_a, customer_a):
    client = Client()
    client.force_login(admin)
    activity = activity_create(
        by=agent_a,
        data={"subject": "جلسه", "due_at": timezone.now() + dt.timedelta(days=1), "customer_id": customer_a.pk},
    )
    notice = notify_user(user=agent_a, kind="test", title="سلام")
    for url in (
        "/admin/sales/activity/",
        f"/admin/sales/activity/{activity.pk}/change/",
        "/admin/accounts/notification/",
        f"/admin/accounts/notification/{notice.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode()
    assert client.get("/admin/sales/activity/add/").status_code == 403
    assert client.get("/admin/accounts/notification/add/").status_code == 403
