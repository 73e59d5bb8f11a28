"""Sales targets: who may set whose, progress computed from orders and won deals in the Jalali period (bounds in
Tehran time, not UTC), a team's figure with its sub-teams, the API and the targets page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from factories import CustomerFactory, UserFactory
from peyvand.accounts.models import Role
from peyvand.sales.contract_selectors import period_of, targets_with_progress
from peyvand.sales.models import Order, Target
from peyvand.sales.services.targets import target_progress, target_set

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# 1403/12/30 23:30 and 1404/01/01 00:10 in Tehran: both on 2025-03-20 in UTC, in different Jalali years.
LAST_OF_1403 = dt.datetime(2025, 3, 20, 23, 30, tzinfo=TEHRAN)
FIRST_OF_1404 = dt.datetime(2025, 3, 21, 0, 10, tzinfo=TEHRAN)


def order(*, owner, team, net, at, status="confirmed", customer=None):
    customer = customer or CustomerFactory(team=team, owner=owner)
    return Order.objects.create(
        number=f"SO-T-{Order.objects.count() + 1:05d}",
        customer=customer,
        status=status,
        ordered_at=at,
        net_total=net,
        total=net,
        owner=owner,
        team=team,
    )


def client_for(user, language="en"):
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


# --- periods and progress ---------------------------------------------------------------------------------


def test_a_jalali_month_runs_from_tehran_midnight_to_tehran_midnight():
    period = period_of("month", 1404, 1)
    assert period.start == dt.datetime(2025, 3, 21, tzinfo=TEHRAN)
    assert period.end == dt.datetime(2025, 4, 21, tzinfo=TEHRAN)
    assert period.start.astimezone(dt.UTC) == dt.datetime(2025, 3, 20, 20, 30, tzinfo=dt.UTC)
    assert (period.first_day, period.last_day) == (dt.date(2025, 3, 21), dt.date(2025, 4, 20))
    quarter = period_of("quarter", 1403, 4)
    assert quarter.start == dt.datetime(2024, 12, 21, tzinfo=TEHRAN)
    assert quarter.end == period.start  # 1403 ends where 1404 begins
    assert period_of("year", 1404, 0).end == dt.datetime(2026, 3, 21, tzinfo=TEHRAN)
    with pytest.raises(ValueError):
        period_of("quarter", 1404, 5)


def test_orders_across_the_new_year_count_in_their_own_jalali_month(admin, agent_a, team_a):
    order(owner=agent_a, team=team_a, net=1_000, at=LAST_OF_1403)
    order(owner=agent_a, team=team_a, net=30_000, at=FIRST_OF_1404)
    order(owner=agent_a, team=team_a, net=999_999, at=FIRST_OF_1404, status="cancelled")
    esfand = target_set(by=admin, user_id=agent_a.pk, period="month", jalali_year=1403, period_number=12, amount=4_000)
    farvardin = target_set(
        by=admin, user_id=agent_a.pk, period="month", jalali_year=1404, period_number=1, amount=60_000
    )
    assert target_progress(target=esfand).achieved == 1_000
    assert target_progress(target=esfand).percent == 25
    progress = target_progress(target=farvardin)
    assert (progress.achieved, progress.percent) == (30_000, 50)
    # Both periods are over: a steady pace would have reached the whole target by now.
    assert progress.expected_by_now == 60_000


def test_a_teams_target_counts_its_sub_teams_and_not_other_teams(
    admin, agent_a, agent_a_sub, team_a, team_a_sub, agent_b, team_b
):
    order(owner=agent_a, team=team_a, net=100, at=FIRST_OF_1404)
    order(owner=agent_a_sub, team=team_a_sub, net=20, at=FIRST_OF_1404)
    order(owner=agent_b, team=team_b, net=5_000, at=FIRST_OF_1404)
    target = target_set(by=admin, team_id=team_a.pk, period="quarter", jalali_year=1404, period_number=1, amount=240)
    sub = target_set(by=admin, team_id=team_a_sub.pk, period="quarter", jalali_year=1404, period_number=1, amount=40)
    assert target_progress(target=target).achieved == 120
    assert target_progress(target=target).percent == 50
    assert target_progress(target=sub).achieved == 20


def test_won_deals_count_by_their_close_time(admin, agent_a, customer_a, make_deal):
    make_deal(customer=customer_a, stage="won", amount=700, closed_at=FIRST_OF_1404)
    make_deal(customer=customer_a, stage="won", amount=50, closed_at=LAST_OF_1403)
    make_deal(customer=customer_a, stage="lost", amount=9_000, closed_at=FIRST_OF_1404)
    make_deal(customer=customer_a, stage="negotiation", amount=9_000)
    target = target_set(
        by=admin, user_id=agent_a.pk, metric="won_deals", period="year", jalali_year=1404, period_number=0, amount=1_400
    )
    assert target_progress(target=target).achieved == 700
    assert target_progress(target=target).percent == 50


def test_expected_by_now_follows_the_share_of_the_period_gone_by(admin, agent_a):
    from peyvand.sales.contract_selectors import pace_share, progress_of

    period = period_of("month", 1404, 1)  # 31 days
    halfway = period.start + (period.end - period.start) / 2
    progress = progress_of(3_100, 0, pace_share(period, halfway))
    assert progress.expected_by_now == 1_550
    assert progress_of(3_100, 0, pace_share(period, period.start - dt.timedelta(days=3))).expected_by_now == 0


def test_progress_of_many_targets_is_one_query_per_measure(admin, django_assert_max_num_queries):
    team_members = [UserFactory(role=Role.AGENT, team=None) for _ in range(6)]
    for person in team_members:
        target_set(by=admin, user_id=person.pk, period="month", jalali_year=1404, period_number=1, amount=10)
        order(owner=person, team=None, net=5, at=FIRST_OF_1404)
    # The targets with their people, then one GROUP BY of the period's orders.
    with django_assert_max_num_queries(2):
        rows = targets_with_progress(user=admin, jalali_year=1404, period="month", period_number=1)
    assert [row.progress.achieved for row in rows] == [5] * 6


# --- who may set and read ---------------------------------------------------------------------------------


def test_manager_sets_targets_for_their_team_and_people_only(manager_a, agent_a, agent_a_sub, team_a_sub, agent_b):
    target = target_set(
        by=manager_a, user_id=agent_a_sub.pk, period="month", jalali_year=1404, period_number=2, amount=9
    )
    assert target.user_id == agent_a_sub.pk
    target_set(by=manager_a, team_id=team_a_sub.pk, period="year", jalali_year=1404, amount=9)
    # Setting it again changes the same target.
    again = target_set(
        by=manager_a, user_id=agent_a_sub.pk, period="month", jalali_year=1404, period_number=2, amount=12
    )
    assert again.pk == target.pk
    assert Target.objects.get(pk=target.pk).amount == 12
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        target_set(by=manager_a, user_id=agent_b.pk, period="month", jalali_year=1404, period_number=2, amount=9)
    assert "user_id" in refused.value.message_dict


def test_agent_cannot_set_targets_by_the_api(api_client, agent_a):
    response = post(
        api_client(agent_a),
        "/api/v1/targets",
        {"user_id": agent_a.pk, "period": "month", "jalali_year": 1404, "period_number": 1, "amount": 1000},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Target.objects.exists()


def test_bad_target_input_is_refused_per_field(api_client, manager_a, agent_a):
    response = post(
        api_client(manager_a),
        "/api/v1/targets",
        {"user_id": agent_a.pk, "period": "quarter", "jalali_year": 1404, "period_number": 7, "amount": 0},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"period_number", "amount"}
    response = post(
        api_client(manager_a),
        "/api/v1/targets",
        {"user_id": agent_a.pk, "team_id": agent_a.team_id, "period": "year", "jalali_year": 1404, "amount": 5},
    )
    assert "user_id" in response.json()["error"]["fields"]


def test_api_sets_lists_with_progress_and_deletes(api_client, manager_a, agent_a, team_a):
    client = api_client(manager_a)
    order(owner=agent_a, team=team_a, net=250, at=FIRST_OF_1404)
    body = {"user_id": agent_a.pk, "period": "month", "jalali_year": 1404, "period_number": 1, "amount": 1000}
    response = post(client, "/api/v1/targets", body)
    assert response.status_code == 200, response.content
    created = response.json()
    assert (created["achieved"], created["percent"], created["expected_by_now"]) == (250, 25, 1000)
    changed = client.put("/api/v1/targets", {**body, "amount": 500}, content_type="application/json").json()
    assert (changed["id"], changed["amount"], changed["percent"]) == (created["id"], 500, 50)
    listed = client.get("/api/v1/targets?period=month&jalali_year=1404&period_number=1").json()
    assert [row["id"] for row in listed] == [created["id"]]
    assert client.get("/api/v1/targets?period=month&jalali_year=1404&period_number=2").json() == []
    assert client.delete(f"/api/v1/targets/{created['id']}").status_code == 204
    assert not Target.objects.exists()


def test_agents_read_their_own_and_their_teams_targets_only(api_client, admin, agent_a, team_a, agent_b):
    mate = UserFactory(role=Role.AGENT, team=team_a)
    own = target_set(by=admin, user_id=agent_a.pk, period="year", jalali_year=1404, amount=10)
    team = target_set(by=admin, team_id=team_a.pk, period="year", jalali_year=1404, amount=10)
    mates = target_set(by=admin, user_id=mate.pk, period="year", jalali_year=1404, amount=10)
    others = target_set(by=admin, user_id=agent_b.pk, period="year", jalali_year=1404, amount=10)
    client = api_client(agent_a)
    listed = {row["id"] for row in client.get("/api/v1/targets?period=year&jalali_year=1404").json()}
    assert listed == {own.pk, team.pk}
    assert client.get(f"/api/v1/targets/{mates.pk}").status_code == 404
    assert client.get(f"/api/v1/targets/{others.pk}").status_code == 404
    assert client.delete(f"/api/v1/targets/{own.pk}").status_code == 403
    assert api_client(agent_b).delete(f"/api/v1/targets/{own.pk}").status_code == 404


def test_a_manager_cannot_delete_another_teams_target(api_client, admin, manager_a, agent_b):
    others = target_set(by=admin, user_id=agent_b.pk, period="year", jalali_year=1404, amount=10)
    assert api_client(manager_a).delete(f"/api/v1/targets/{others.pk}").status_code == 404
    assert Target.objects.filter(pk=others.pk).exists()


# --- the page ---------------------------------------------------------------------------------------------


def test_targets_page_shows_people_and_teams_with_progress(manager_a, agent_a, team_a):
    order(owner=agent_a, team=team_a, net=5_000_000, at=FIRST_OF_1404)
    target_set(by=manager_a, user_id=agent_a.pk, period="month", jalali_year=1404, period_number=1, amount=20_000_000)
    response = client_for(manager_a).get(reverse("sales:targets") + "?period=month&year=1404&number=1")
    assert response.status_code == 200
    html = response.content.decode()
    rows = {(row.kind, (row.team or row.user).pk): row for row in response.context["rows"]}
    assert rows[("user", agent_a.pk)].progress.percent == 25
    assert rows[("team", team_a.pk)].target is None
    assert rows[("team", team_a.pk)].progress.achieved == 5_000_000
    assert 'style="width: 25%"' in html
    assert 'action="/sales/targets/edit/"' in html


def test_targets_page_in_persian_shows_persian_digits(agent_a):
    response = client_for(agent_a, "fa").get(reverse("sales:targets") + "?period=year&year=1404")
    assert response.status_code == 200
    assert "۱۴۰۴" in response.content.decode()
    # An agent reads their own row and their team's, and sets nothing.
    assert {row.kind for row in response.context["rows"]} == {"user", "team"}
    assert 'action="/sales/targets/edit/"' not in response.content.decode()


def test_manager_sets_a_target_inline_and_an_agent_is_refused(manager_a, agent_a):
    data = {
        "subject": f"user:{agent_a.pk}",
        "metric": "revenue",
        "period": "quarter",
        "jalali_year": "1404",
        "period_number": "2",
        "amount": "۱۲٬۰۰۰",
    }
    response = client_for(manager_a).post(reverse("sales:target_edit"), data)
    assert response.status_code == 302
    assert "period=quarter" in response["Location"]
    target = Target.objects.get(user=agent_a)
    assert (target.period, target.period_number, target.jalali_year) == ("quarter", 2, 1404)
    assert target.amount > 0
    assert client_for(agent_a).post(reverse("sales:target_edit"), data).status_code == 403
    assert client_for(agent_a).get(reverse("sales:target_edit")).status_code == 403


def test_target_form_shows_per_field_errors(manager_a, agent_b):
    data = {"subject": f"user:{agent_b.pk}", "metric": "revenue", "period": "month", "jalali_year": "1404"}
    response = client_for(manager_a).post(reverse("sales:target_edit"), {**data, "amount": "x"})
    assert response.status_code == 422
    form = response.context["form"]
    assert "subject" in form.errors  # another team's agent is not a choice
    assert "amount" in form.errors


def test_targets_page_needs_a_login(client):
    response = client.get(reverse("sales:targets"))
    assert response.status_code == 302
