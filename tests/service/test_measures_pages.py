"""The service dashboard and the staffing page: who may open them, what they show, how they take bad input."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from peyvand.core.jalali import JalaliMonth
from peyvand.service.models import TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


AZAR = JalaliMonth(1405, 9)
IN_AZAR = AZAR.starts_at() + dt.timedelta(days=3)


def client_for(user):
    # Pages are Persian-first whatever the browser asks; English is chosen with the language cookie.
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def some_tickets(make_ticket, customer_a, customer_b, agent_a):
    make_ticket(customer=customer_a, assignee=agent_a, created_at=IN_AZAR, first_response_minutes=30)
    make_ticket(
        customer=customer_a,
        created_at=IN_AZAR,
        status=TicketStatus.RESOLVED,
        resolved_at=IN_AZAR + dt.timedelta(hours=5),
        resolution_minutes=200,
        resolution_due_at=IN_AZAR + dt.timedelta(days=1),
    )
    make_ticket(customer=customer_b, created_at=IN_AZAR, first_response_minutes=700)


def test_the_dashboard_shows_an_admin_every_teams_figures(admin, some_tickets):
    response = client_for(admin).get(reverse("service:dashboard"), {"period": "1405-09"})
    assert response.status_code == 200
    assert response.context["total"]["created"] == 3
    assert response.context["total"]["first_response_median_text"] == "6 h 5 min"  # (30 + 700) / 2 = 365
    assert {row["label"] for row in response.context["rows"]} == {"فروش تهران", "پشتیبانی اصفهان"}
    body = response.content.decode()
    assert 'id="kpi-open"' in body and 'id="measures-table"' in body
    data = json.loads(json.dumps(response.context["chart_data"]))
    assert [line["label"] for line in data["trend"]][-1] == "Azar 1405"
    assert len(data["trend"]) == 12
    assert sum(item["count"] for item in data["open"]) == 2


def test_an_agent_sees_only_their_teams_figures_on_the_dashboard(agent_a, agent_b, some_tickets):
    response = client_for(agent_a).get(reverse("service:dashboard"), {"period": "1405-09", "group": "agent"})
    assert response.status_code == 200
    assert response.context["total"]["created"] == 2
    assert [row["label"] for row in response.context["rows"]] == [str(agent_a), "Unassigned"]
    other = client_for(agent_b).get(reverse("service:dashboard"), {"period": "1405-09"})
    assert other.context["total"]["created"] == 1
    assert "فروش تهران" not in other.content.decode()


def test_the_dashboard_groups_by_month_and_category(admin, some_tickets):
    client = client_for(admin)
    months = client.get(reverse("service:dashboard"), {"period": "1405-07..1405-09", "group": "month"})
    assert [row["key"] for row in months.context["rows"]] == ["1405-07", "1405-08", "1405-09"]
    categories = client.get(reverse("service:dashboard"), {"period": "1405-09", "group": "category"})
    assert [row["label"] for row in categories.context["rows"]] == ["No category"]


def test_a_bad_period_shows_the_page_again_with_the_error(admin):
    response = client_for(admin).get(reverse("service:dashboard"), {"period": "1405-13", "group": "nonsense"})
    assert response.status_code == 200
    assert "period" in response.context["errors"]
    assert response.context["group"] == "team"
    assert "is-invalid" in response.content.decode()


def test_the_dashboard_asks_for_a_login():
    response = Client().get(reverse("service:dashboard"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_staffing_page_is_for_managers_and_administrators(agent_a, manager_a, admin):
    url = reverse("service:staffing")
    assert client_for(agent_a).get(url).status_code == 403
    assert client_for(manager_a).get(url).status_code == 200
    assert client_for(admin).get(url).status_code == 200


def test_the_staffing_page_plans_the_days_with_the_inputs_given(manager_a, make_ticket, customer_a):
    from django.utils import timezone

    today = timezone.localdate()
    for days_back in range(1, 15):
        make_ticket(customer=customer_a, created_at=timezone.now() - dt.timedelta(days=days_back))
    response = client_for(manager_a).get(
        reverse("service:staffing"), {"days": "10", "target_percent": "90", "target_minutes": "30", "aht_minutes": "20"}
    )
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (plan.handling_minutes, plan.target_seconds, plan.target_percent) == (20, 1800, 90)
    assert len(response.context["days"]) == 10
    assert response.context["days"][0]["day"] == today
    body = response.content.decode()
    assert 'id="staffing-table"' in body and 'id="staffing-chart-data"' in body
    assert "upper bound of the handling time" in body or "No tickets were resolved" in body


def test_the_staffing_page_shows_bad_inputs_again_with_their_errors(admin):
    response = client_for(admin).get(
        reverse("service:staffing"), {"days": "0", "target_percent": "abc", "aht_minutes": "9999", "kind": "praise"}
    )
    assert response.status_code == 200
    assert set(response.context["errors"]) == {"days", "target_percent", "aht_minutes", "kind"}
    # The plan is still made, from the defaults.
    assert len(response.context["days"]) == 14


def test_the_pages_are_persian_first_with_jalali_months_and_persian_digits(admin, manager_a, some_tickets):
    client = Client()
    client.force_login(admin)
    body = client.get(reverse("service:dashboard"), {"period": "1405-09"}).content.decode()
    assert 'dir="rtl"' in body
    assert "آذر ۱۴۰۵" in body
    assert 'id="kpi-open">۲<' in body
    client.force_login(manager_a)
    staffing_page = client.get(reverse("service:staffing")).content.decode()
    assert 'dir="rtl"' in staffing_page and 'id="staffing-table"' in staffing_page
