"""The service measures: counts, averages and medians of business minutes, SLA compliance, reopen rate and CSAT,
per team, agent, category and Jalali month, for the tickets the reader may see, through the selector and the API."""

import datetime as dt
import secrets

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from peyvand.core.jalali import JalaliMonth
from peyvand.service.measures import monthly_trend, parse_period, period_of_months, ticket_measures
from peyvand.service.models import TicketSatisfaction, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # The trend of past months is cached; each test starts without it.
    cache.clear()


AZAR = JalaliMonth(1405, 9)  # 1405-09-01 is 2026-11-22; Tehran's midnight is 20:30 UTC the day before
IN_AZAR = AZAR.starts_at() + dt.timedelta(days=3)


@pytest.fixture
def ticket(make_ticket, customer_a):
    """ticket(**fields): a ticket of team_a that arrived in Azar 1405 unless told otherwise."""

    def make(**fields):
        fields.setdefault("created_at", IN_AZAR)
        fields.setdefault("customer", customer_a)
        return make_ticket(**fields)

    return make


def resolved(minutes, *, at=IN_AZAR + dt.timedelta(days=1), **extra):
    return {"status": TicketStatus.RESOLVED, "resolved_at": at, "resolution_minutes": minutes, **extra}


def answer(ticket, score, *, at=IN_AZAR + dt.timedelta(days=2), **extra):
    return TicketSatisfaction.objects.create(
        ticket=ticket,
        token=secrets.token_hex(8),
        score=score,
        answered_at=at,
        team=extra.pop("team", ticket.team),
        agent=extra.pop("agent", ticket.assignee),
        category=extra.pop("category", ticket.category),
        **extra,
    )


def test_it_gives_the_median_of_an_odd_and_of_an_even_count(admin, ticket):
    for minutes in (40, 10, 20):
        ticket(first_response_minutes=minutes, first_responded_at=IN_AZAR)
    for minutes in (100, 10, 30, 20):
        ticket(**resolved(minutes))
    total = ticket_measures(user=admin, period=period_of_months(AZAR)).total
    assert total.created == 7
    assert total.responded == 3
    assert total.first_response_median == 20.0
    assert total.first_response_avg == pytest.approx(23.3)
    assert total.resolved == 4
    assert total.resolution_median == 25.0  # (20 + 30) / 2
    assert total.resolution_avg == 40.0


def test_medians_and_counts_are_per_team(admin, ticket, customer_b):
    for minutes in (5, 7, 9):
        ticket(first_response_minutes=minutes)
    for minutes in (60, 80):
        ticket(customer=customer_b, first_response_minutes=minutes)
    result = ticket_measures(user=admin, period=period_of_months(AZAR), group="team")
    by_team = {line.label: line for line in result.groups}
    assert by_team["فروش تهران"].created == 3
    assert by_team["فروش تهران"].first_response_median == 7.0
    assert by_team["پشتیبانی اصفهان"].created == 2
    assert by_team["پشتیبانی اصفهان"].first_response_median == 70.0
    assert result.total.created == 5
    assert result.total.first_response_median == 9.0


def test_a_period_is_bounded_by_tehran_midnight_at_the_jalali_month_edges(admin, ticket):
    starts = AZAR.starts_at()
    assert starts == dt.datetime(2026, 11, 21, 20, 30, tzinfo=dt.UTC)
    ticket(created_at=starts - dt.timedelta(seconds=1))  # 23:59:59 on 30 Aban in Tehran
    first = ticket(created_at=starts)  # 00:00 on 1 Azar, still 21 November in UTC
    last = ticket(created_at=AZAR.ends_at() - dt.timedelta(seconds=1))
    ticket(created_at=AZAR.ends_at())  # 1 Dey
    assert ticket_measures(user=admin, period=period_of_months(AZAR)).total.created == 2
    months = ticket_measures(user=admin, period=period_of_months(AZAR.shifted(-1), AZAR.shifted(1)), group="month")
    assert [(line.key, line.created) for line in months.groups] == [("1405-08", 1), ("1405-09", 2), ("1405-10", 1)]
    assert months.total.created == 4
    assert first.created_at < last.created_at


def test_every_month_of_the_period_has_its_line_even_without_tickets(admin, ticket):
    ticket(**resolved(30, at=AZAR.starts_at() + dt.timedelta(hours=1)))
    result = ticket_measures(user=admin, period=period_of_months(AZAR.shifted(-2), AZAR), group="month")
    assert [line.key for line in result.groups] == ["1405-07", "1405-08", "1405-09"]
    assert [line.resolved for line in result.groups] == [0, 0, 1]
    assert result.groups[-1].resolution_median == 30.0
    assert result.groups[0].resolution_median is None


def test_the_trend_gives_each_month_and_keeps_past_months_for_a_while(admin, agent_b, ticket):
    ticket(created_at=AZAR.starts_at() - dt.timedelta(days=3), **resolved(30, at=AZAR.starts_at()))
    ticket(created_at=IN_AZAR)
    trend = monthly_trend(user=admin, last=AZAR, months=3)
    assert [(line.key, line.created, line.resolved) for line in trend] == [
        ("1405-07", 0, 0),
        ("1405-08", 1, 0),
        ("1405-09", 1, 1),
    ]
    # Another reader's scope is cached apart: agent_b sees none of team_a's tickets.
    assert [line.created for line in monthly_trend(user=agent_b, last=AZAR, months=3)] == [0, 0, 0]
    # A past month (Aban 1405) is read from the cache until it expires.
    ticket(created_at=AZAR.starts_at() - dt.timedelta(days=2))
    assert monthly_trend(user=admin, last=AZAR, months=3)[1].created == 1
    cache.clear()
    assert monthly_trend(user=admin, last=AZAR, months=3)[1].created == 2


def test_sla_compliance_counts_only_decided_targets(admin, ticket):
    due = IN_AZAR + dt.timedelta(hours=4)
    ticket(first_response_due_at=due, first_responded_at=IN_AZAR)  # met
    ticket(first_response_due_at=due, first_responded_at=due, first_response_breached=True)  # late
    ticket(first_response_due_at=due, first_response_breached=True)  # missed, still unanswered
    ticket(first_response_due_at=due)  # not yet due: not counted
    ticket(first_responded_at=IN_AZAR)  # no SLA: not counted
    ticket(**resolved(10, resolution_due_at=due))
    ticket(**resolved(10, resolution_due_at=due))
    ticket(**resolved(10, resolution_due_at=due))
    ticket(**resolved(99, resolution_due_at=due, resolution_breached=True))
    ticket(**resolved(10))  # no SLA
    total = ticket_measures(user=admin, period=period_of_months(AZAR)).total
    assert (total.response_sla_met, total.response_sla_total) == (1, 3)
    assert total.response_sla_percent == 33.3
    assert (total.resolution_sla_met, total.resolution_sla_total) == (3, 4)
    assert total.resolution_sla_percent == 75.0
    assert total.sla_percent == pytest.approx(57.1)


def test_the_reopen_rate_is_the_share_of_resolved_tickets_reopened_before(admin, ticket):
    ticket(**resolved(10, reopen_count=2))
    ticket(**resolved(10))
    ticket(**resolved(10))
    ticket(**resolved(10))
    ticket(reopen_count=1, status=TicketStatus.REOPENED)  # not resolved in the period: not counted
    total = ticket_measures(user=admin, period=period_of_months(AZAR)).total
    assert (total.reopened, total.resolved, total.reopen_percent) == (1, 4, 25.0)


def test_open_tickets_are_counted_now_by_status_whatever_the_period(admin, ticket):
    ticket(status=TicketStatus.NEW, created_at=AZAR.starts_at() - dt.timedelta(days=90))
    ticket(status=TicketStatus.NEW)
    ticket(status=TicketStatus.WAITING)
    ticket(**resolved(5))
    ticket(status=TicketStatus.CLOSED)
    total = ticket_measures(user=admin, period=period_of_months(AZAR)).total
    assert total.open == 3
    assert total.open_by_status == {"new": 2, "waiting": 1}


def test_csat_is_the_answers_given_in_the_period_under_the_team_at_resolution(admin, ticket, team_b, agent_a):
    first = ticket(assignee=agent_a)
    second = ticket(assignee=agent_a)
    third = ticket()
    late = ticket()
    answer(first, 5)
    answer(second, 2)
    answer(third, 4, team=team_b)
    answer(late, 1, at=AZAR.ends_at())
    TicketSatisfaction.objects.create(ticket=ticket(), token="asked-no-answer")
    result = ticket_measures(user=admin, period=period_of_months(AZAR), group="team")
    assert (result.total.csat_count, result.total.csat_avg) == (3, pytest.approx(3.7))
    by_team = {line.label: line for line in result.groups}
    assert (by_team["فروش تهران"].csat_count, by_team["فروش تهران"].csat_avg) == (2, 3.5)
    assert (by_team["پشتیبانی اصفهان"].csat_count, by_team["پشتیبانی اصفهان"].csat_avg) == (1, 4.0)
    agents = ticket_measures(user=admin, period=period_of_months(AZAR), group="agent").groups
    assert [(line.label, line.csat_count) for line in agents if line.key == agent_a.pk] == [(str(agent_a), 2)]


def test_groups_by_agent_and_category_name_the_missing_ones(admin, ticket, agent_a, technical, installation):
    ticket(assignee=agent_a, category=technical)
    ticket(assignee=agent_a, category=installation)
    ticket()
    agents = ticket_measures(user=admin, period=period_of_months(AZAR), group="agent").groups
    assert [(line.key, line.created) for line in agents] == [(agent_a.pk, 2), (None, 1)]
    categories = ticket_measures(user=admin, period=period_of_months(AZAR), group="category").groups
    assert {line.key: line.created for line in categories} == {technical.pk: 1, installation.pk: 1, None: 1}
    # A category filter takes its sub-categories.
    narrowed = ticket_measures(user=admin, period=period_of_months(AZAR), category_id=technical.pk).total
    assert narrowed.created == 2


def test_an_agent_sees_only_their_teams_figures(agent_a, agent_b, manager_a, ticket, customer_b, team_a_sub):
    ticket(first_response_minutes=10)
    ticket(team=team_a_sub, first_response_minutes=30)
    theirs = ticket(customer=customer_b, first_response_minutes=500, **resolved(900))
    answer(theirs, 1)
    mine = ticket_measures(user=agent_a, period=period_of_months(AZAR)).total
    assert (mine.created, mine.first_response_median, mine.resolved, mine.csat_count) == (1, 10.0, 0, 0)
    manager = ticket_measures(user=manager_a, period=period_of_months(AZAR)).total
    assert (manager.created, manager.first_response_median) == (2, 20.0)
    other = ticket_measures(user=agent_b, period=period_of_months(AZAR), group="team")
    assert other.total.created == 1
    assert [line.label for line in other.groups] == ["پشتیبانی اصفهان"]
    assert other.total.csat_count == 1


def test_a_deleted_customers_tickets_are_left_out(admin, ticket, customer_a):
    gone = ticket()
    answer(gone, 5)
    customer_a.deleted_at = timezone.now()
    customer_a.save(update_fields=["deleted_at"])
    total = ticket_measures(user=admin, period=period_of_months(AZAR)).total
    assert (total.created, total.csat_count) == (0, 0)


def test_the_team_filter_takes_its_sub_teams(admin, ticket, team_a, team_a_sub, customer_b):
    ticket()
    ticket(team=team_a_sub)
    ticket(customer=customer_b)
    assert ticket_measures(user=admin, period=period_of_months(AZAR), team_id=team_a.pk).total.created == 2
    assert ticket_measures(user=admin, period=period_of_months(AZAR), team_id=team_a_sub.pk).total.created == 1


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("1405-09", dt.date(2026, 11, 22), dt.date(2026, 12, 21)),
        ("۱۴۰۵-۰۹", dt.date(2026, 11, 22), dt.date(2026, 12, 21)),
        ("1405-01..1405-12", dt.date(2026, 3, 21), dt.date(2027, 3, 20)),
        ("1405/09/01..1405/09/10", dt.date(2026, 11, 22), dt.date(2026, 12, 1)),
    ],
)
def test_a_period_is_read_from_what_people_type(text, first, last):
    period = parse_period(text)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    "text", ["1405-13", "Azar", "1405-09..1405-01", "1400-01..1405-01", "1405-01..1405-02..1405-03"]
)
def test_a_bad_period_is_refused_on_its_field(text):
    with pytest.raises(ValidationError) as error:
        parse_period(text)
    assert "period" in error.value.error_dict


# --- the API --------------------------------------------------------------------------------------------


def test_the_api_gives_the_measures_per_team(api_client, admin, ticket, customer_b):
    ticket(first_response_minutes=10, **resolved(40, resolution_due_at=IN_AZAR))
    ticket(customer=customer_b, first_response_minutes=30)
    response = api_client(admin).get(
        "/api/v1/service/measures", {"period": "1405-09", "group": "team"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"key": "1405-09", "label": "Azar 1405", "first": "2026-11-22", "last": "2026-12-21"}
    assert body["group"] == "team"
    assert body["total"]["created"] == 2
    assert body["total"]["first_response_median"] == 20.0
    assert body["total"]["resolution_sla_percent"] == 100.0
    assert {line["label"]: line["created"] for line in body["groups"]} == {"فروش تهران": 1, "پشتیبانی اصفهان": 1}


def test_the_api_for_an_agent_of_another_team_shows_none_of_their_tickets(api_client, agent_b, ticket):
    ticket(first_response_minutes=10)
    body = api_client(agent_b).get("/api/v1/service/measures", {"period": "1405-09", "group": "agent"}).json()
    assert body["total"]["created"] == 0
    assert body["groups"] == []


def test_the_api_refuses_a_bad_period_or_group_with_its_field(api_client, admin):
    client = api_client(admin)
    response = client.get("/api/v1/service/measures", {"period": "1405-13"})
    assert response.status_code == 422
    assert "period" in response.json()["error"]["fields"]
    response = client.get("/api/v1/service/measures", {"group": "planet"})
    assert response.status_code == 422
    assert "group" in response.json()["error"]["fields"]


def test_the_api_answers_404_for_a_team_that_does_not_exist(api_client, admin):
    response = api_client(admin).get("/api/v1/service/measures", {"team_id": 999999})
    assert response.status_code == 404


def test_the_api_asks_for_a_login(api_client):
    assert api_client(None).get("/api/v1/service/measures").status_code == 401
