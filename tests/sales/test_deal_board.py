"""The pipeline board: per stage the number of visible deals, their sum and weighted sum, and the first deals
of each column in the column's order, read with a number of queries that does not grow with the deals."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.sales.models import Deal

pytestmark = pytest.mark.django_db


def _columns(response):
    assert response.status_code == 200, response.content
    return {column["stage"]["code"]: column for column in response.json()["columns"]}


def test_the_board_counts_sums_and_weighs_each_stage(api_client, agent_a, customer_a, customer_b, make_deal, stages):
    make_deal(customer=customer_a, stage="introduction", amount=1_000_000)
    make_deal(customer=customer_a, stage="introduction", amount=2_000_001)
    make_deal(customer=customer_a, stage="approval", amount=4_000_000)
    make_deal(customer=customer_a, stage="won", amount=7_000_000, closed_at=timezone.now())
    make_deal(customer=customer_a, stage="lost", amount=9_000_000, closed_at=timezone.now(), lost_reason="قیمت")
    make_deal(customer=customer_b, stage="introduction", amount=50_000_000)  # another team's: not counted

    response = api_client(agent_a).get("/api/v1/deals/board")
    columns = _columns(response)
    assert list(columns) == ["introduction", "needs_proposal", "negotiation", "approval", "contract", "won", "lost"]
    assert response.json()["pipeline_id"] == stages["introduction"].pipeline_id
    summary = {code: (c["count"], c["total"], c["weighted"]) for code, c in columns.items()}
    assert summary == {
        "introduction": (2, 3_000_001, 300_000),  # 10% of 3,000,001, rounded down to a Rial
        "needs_proposal": (0, 0, 0),
        "negotiation": (0, 0, 0),
        "approval": (1, 4_000_000, 3_000_000),
        "contract": (0, 0, 0),
        "won": (1, 7_000_000, 7_000_000),
        "lost": (1, 9_000_000, 0),
    }
    assert all(isinstance(c["total"], int) and isinstance(c["weighted"], int) for c in columns.values())
    assert columns["approval"]["stage"]["probability"] == 75


def test_a_deleted_customers_deals_leave_the_counts_and_the_columns(
    api_client, admin, manager_a, agent_a, customer_a, make_deal
):
    from peyvand.customers.services import customer_create, customer_delete

    gone = customer_create(data={"kind": "person", "first_name": "رفته", "last_name": "از دست"}, by=agent_a)
    kept = make_deal(customer=customer_a, amount=1_000_000)
    make_deal(customer=gone, amount=30_000_000)
    make_deal(customer=gone, stage="won", amount=5_000_000, closed_at=timezone.now())
    customer_delete(customer=gone, by=manager_a)

    for user in (agent_a, manager_a, admin):
        columns = _columns(api_client(user).get("/api/v1/deals/board"))
        assert (columns["introduction"]["count"], columns["introduction"]["total"]) == (1, 1_000_000), user
        assert [d["id"] for d in columns["introduction"]["deals"]] == [kept.pk]
        assert (columns["won"]["count"], columns["won"]["total"], columns["won"]["deals"]) == (0, 0, [])


def test_a_column_lists_the_soonest_to_close_first_and_the_latest_won_first(api_client, agent_a, customer_a, make_deal):
    undated = make_deal(customer=customer_a)
    later = make_deal(customer=customer_a, expected_close_date=dt.date(2027, 2, 1))
    sooner = make_deal(customer=customer_a, expected_close_date=dt.date(2026, 12, 1))
    now = timezone.now()
    won_earlier = make_deal(customer=customer_a, stage="won", closed_at=now - dt.timedelta(days=3))
    won_lately = make_deal(customer=customer_a, stage="won", closed_at=now)
    columns = _columns(api_client(agent_a).get("/api/v1/deals/board"))
    assert [d["id"] for d in columns["introduction"]["deals"]] == [sooner.pk, later.pk, undated.pk]
    assert [d["id"] for d in columns["won"]["deals"]] == [won_lately.pk, won_earlier.pk]
    assert columns["introduction"]["deals"][0]["customer_name"] == customer_a.display_name


def test_a_column_shows_the_first_deals_but_counts_them_all(api_client, agent_a, customer_a, make_deal):
    for amount in range(5):
        make_deal(customer=customer_a, amount=amount)
    columns = _columns(api_client(agent_a).get("/api/v1/deals/board", {"limit": 2}))
    assert (columns["introduction"]["count"], columns["introduction"]["total"]) == (5, 10)
    assert len(columns["introduction"]["deals"]) == 2


def test_the_board_reads_the_same_number_of_queries_for_few_or_many_deals(api_client, agent_a, customer_a, stages):
    client = api_client(agent_a)
    client.get("/api/v1/deals/board")  # the token's first use writes its last-used time

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/deals/board").status_code == 200
        return len(captured.captured_queries)

    def add(count):
        Deal.objects.bulk_create(
            Deal(
                title=f"فروش {i}",
                customer=customer_a,
                pipeline=stage.pipeline,
                stage=stage,
                amount=i,
                owner=agent_a,
                team=customer_a.team,
            )
            for i in range(count)
            for stage in (stages["introduction"], stages["contract"])
        )

    add(2)
    few = queries()
    add(200)
    assert queries() == few


def test_the_board_of_another_pipeline_and_of_none(api_client, agent_a, other_pipeline):
    client = api_client(agent_a)
    columns = _columns(client.get("/api/v1/deals/board", {"pipeline": other_pipeline.pk}))
    assert list(columns) == ["start", "done"]
    response = client.get("/api/v1/deals/board", {"pipeline": 987654})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
