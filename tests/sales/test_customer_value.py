"""Customer value: revenue, cost, margin, orders, average order value and purchase dates on known data, read
live in one query; the ranking rebuilt by set-based SQL (ties share a rank) equal to the floor query; the API's
scope and permissions; the management command; the worker's nightly rebuild."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from factories import CustomerFactory
from peyvand.core.management.commands import worker as worker_command
from peyvand.core.periodic import schedule_lock
from peyvand.sales.models import CustomerValue, Order
from peyvand.sales.services.customer_value import (
    CustomerValueFigures,
    customer_value,
    ranking_floor_sql,
    ranking_recompute,
)
from peyvand.sales.tasks import rank_customers_task, ranking_schedule, reminders_schedule, send_reminders_task

pytestmark = pytest.mark.django_db

NUMBER = iter(range(1, 10**6))


def make_order(customer, *, net, cost=0, days_ago=0, status="confirmed"):
    """An order stored directly with known totals (the figures read nothing else)."""
    return Order.objects.create(
        number=f"SO-T-{next(NUMBER)}",
        customer=customer,
        status=status,
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
        net_total=net,
        total=net,
        cost_total=cost,
        owner=customer.owner,
        team=customer.team,
    )


def test_figures_on_known_data(customer_a):
    make_order(customer_a, net=1_000_000, cost=600_000, days_ago=30)
    make_order(customer_a, net=500_001, cost=100_000, days_ago=3, status="fulfilled")
    make_order(customer_a, net=9_999_999, cost=1, days_ago=1, status="cancelled")
    figures = customer_value(customer_id=customer_a.pk)
    assert figures.revenue == 1_500_001
    assert figures.cost == 700_000
    assert figures.margin == 800_001
    assert figures.order_count == 2
    # 1,500,001 ÷ 2 = 750,000.5: half up.
    assert figures.average_order_value == 750_001
    assert figures.days_since_last_purchase == 3
    assert figures.first_purchase_at < figures.last_purchase_at
    assert figures.margin_percent == Decimal("53.3")


def test_a_customer_without_purchases(customer_a):
    make_order(customer_a, net=10, status="cancelled")
    assert customer_value(customer_id=customer_a.pk) == CustomerValueFigures(
        revenue=0,
        cost=0,
        margin=0,
        order_count=0,
        average_order_value=0,
        first_purchase_at=None,
        last_purchase_at=None,
        days_since_last_purchase=None,
    )


def test_one_customers_value_is_one_query(customer_a):
    make_order(customer_a, net=10)
    with CaptureQueriesContext(connection) as queries:
        customer_value(customer_id=customer_a.pk)
    assert len(queries) == 1


def test_the_query_is_served_by_the_value_index(customer_a):
    make_order(customer_a, net=10)
    with CaptureQueriesContext(connection) as queries:
        customer_value(customer_id=customer_a.pk)
    [query] = queries.captured_queries
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test's table holds a row or two, which PostgreSQL reads faster whole: ask whether the index can
            # answer the query, as it does at scale.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(explain + query["sql"])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "order_customer_value" in plan
    if connection.vendor == "sqlite":
        # Answered from the index alone, without reading the orders' rows.
        assert "COVERING INDEX" in plan


def test_ranking_ties_share_a_rank_and_cancelled_orders_do_not_count(team_a, agent_a):
    big, tie_1, tie_2, small, cancelled_only = (CustomerFactory(team=team_a, owner=agent_a) for _ in range(5))
    make_order(big, net=900)
    make_order(tie_1, net=300)
    make_order(tie_1, net=200, cost=50)
    make_order(tie_2, net=500)
    make_order(small, net=100)
    make_order(small, net=10_000, status="cancelled")
    make_order(cancelled_only, net=10_000, status="cancelled")
    assert ranking_recompute() == 4
    ranks = dict(CustomerValue.objects.values_list("customer_id", "rank"))
    assert ranks == {big.pk: 1, tie_1.pk: 2, tie_2.pk: 2, small.pk: 4}
    row = CustomerValue.objects.get(customer=tie_1)
    assert (row.revenue, row.cost, row.order_count, row.margin) == (500, 50, 2, 450)
    # Again after a change: the table is rebuilt, not added to.
    make_order(small, net=1_000)
    assert ranking_recompute() == 4
    assert CustomerValue.objects.get(customer=small).rank == 1
    assert CustomerValue.objects.count() == 4


def test_deleted_customers_are_not_ranked(team_a, agent_a):
    gone = CustomerFactory(team=team_a, owner=agent_a)
    make_order(gone, net=100)
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    assert ranking_recompute() == 0


def test_the_recomputed_ranking_equals_the_floor_query(team_a, agent_a):
    customers = [CustomerFactory(team=team_a, owner=agent_a) for _ in range(6)]
    for index, customer in enumerate(customers):
        for step in range(index + 1):
            make_order(customer, net=100 * ((index * 7 + step) % 5), cost=step, days_ago=step)
    ranking_recompute()
    with connection.cursor() as cursor:
        cursor.execute(ranking_floor_sql())
        floor = sorted((int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[6])) for r in cursor.fetchall())
    stored = sorted(
        CustomerValue.objects.values_list("customer_id", "revenue", "cost", "order_count", "rank").order_by()
    )
    assert stored == floor
    # And each row agrees with the live reading.
    for row in CustomerValue.objects.all():
        live = customer_value(customer_id=row.customer_id)
        assert (live.revenue, live.cost, live.order_count) == (row.revenue, row.cost, row.order_count)
        assert live.last_purchase_at == row.last_purchase_at


def test_recomputing_twice_keeps_the_rank_index_and_a_failure_keeps_the_old_ranking(team_a, agent_a, monkeypatch):
    from peyvand.sales.services import customer_value as module

    customer = CustomerFactory(team=team_a, owner=agent_a)
    make_order(customer, net=500, cost=100, days_ago=1)
    assert ranking_recompute() == ranking_recompute() == 1
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, CustomerValue._meta.db_table)
    assert constraints[module.RANK_INDEX]["columns"] == ["rank"]
    make_order(customer, net=700, cost=100, days_ago=0)
    monkeypatch.setattr(module, "_aggregate_sql", lambda **_: "SELECT no_such_column FROM sales_order")
    with pytest.raises(DatabaseError):
        ranking_recompute()
    assert list(CustomerValue.objects.values_list("revenue", "rank")) == [(500, 1)]


def test_the_value_api_is_scoped_like_customers(api_client, agent_a, agent_b, customer_a):
    make_order(customer_a, net=1_000, cost=400, days_ago=2)
    ranking_recompute()
    response = api_client(agent_a).get(f"/api/v1/customer-values/{customer_a.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["revenue"], body["margin"], body["order_count"], body["rank"]) == (1_000, 600, 1, 1)
    assert body["days_since_last_purchase"] == 2
    assert api_client(agent_b).get(f"/api/v1/customer-values/{customer_a.pk}").status_code == 404
    assert api_client(agent_b).get("/api/v1/customer-values").json()["items"] == []
    items = api_client(agent_a).get("/api/v1/customer-values").json()["items"]
    assert [(row["customer_id"], row["rank"], row["average_order_value"]) for row in items] == [
        (customer_a.pk, 1, 1_000)
    ]


def test_the_ranking_pages(api_client, team_a, agent_a):
    for net in (500, 400, 300):
        make_order(CustomerFactory(team=team_a, owner=agent_a), net=net)
    ranking_recompute()
    client = api_client(agent_a)
    first = client.get("/api/v1/customer-values?limit=2").json()
    assert [row["rank"] for row in first["items"]] == [1, 2]
    second = client.get(f"/api/v1/customer-values?limit=2&cursor={first['next_cursor']}").json()
    assert [row["rank"] for row in second["items"]] == [3]
    assert second["next_cursor"] is None


def test_only_managers_and_admins_recompute(api_client, agent_a, manager_a, admin, customer_a):
    make_order(customer_a, net=10)
    response = api_client(agent_a).post("/api/v1/customer-values/recompute")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not CustomerValue.objects.exists()
    assert api_client(manager_a).post("/api/v1/customer-values/recompute").json() == {"ranked": 1}
    assert api_client(admin).post("/api/v1/customer-values/recompute").status_code == 200


def test_the_rank_customers_command(customer_a):
    make_order(customer_a, net=10)
    out = StringIO()
    call_command("rank_customers", stdout=out)
    assert "1" in out.getvalue()
    assert CustomerValue.objects.get(customer=customer_a).rank == 1


# --- the nightly rebuild (`peyvand worker`, core.periodic) ---

RANK = rank_customers_task.module_path


def runs():
    return DBTaskResult.objects.filter(task_path=RANK)


def test_the_ranking_is_queued_once_a_day():
    first = ranking_schedule()
    assert first is not None and runs().count() == 1
    assert ranking_schedule() is None  # waiting in the queue
    runs().update(status=TaskResultStatus.SUCCESSFUL, started_at=timezone.now(), finished_at=timezone.now())
    assert ranking_schedule(now=timezone.now() + timedelta(hours=23)) is None
    assert ranking_schedule(now=timezone.now() + timedelta(hours=25)) is not None
    assert runs().count() == 2


def test_a_run_left_running_by_a_dead_worker_does_not_stop_the_schedule():
    ranking_schedule()
    started = timezone.now()
    runs().update(status=TaskResultStatus.RUNNING, started_at=started)
    assert ranking_schedule(now=started + timedelta(hours=1)) is None
    assert ranking_schedule(now=started + timedelta(hours=25)) is not None


def test_zero_hours_turns_the_schedule_off(settings):
    settings.PEYVAND_RANKING_HOURS = 0
    assert ranking_schedule() is None
    assert not runs().exists()


def test_each_periodic_task_has_its_own_lock():
    locks = {schedule_lock(path) for path in (RANK, send_reminders_task.module_path, "x.y")}
    assert len(locks) == 3
    assert all(-(2**63) <= lock < 2**63 for lock in locks)


def test_a_batch_worker_queues_and_runs_the_ranking(team_a, agent_a, monkeypatch):
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    # Between tasks the worker closes connections not in autocommit; the test's connection is inside the
    # test's transaction, so on PostgreSQL it would be closed under the test (a real worker is in autocommit).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    big, small = CustomerFactory(team=team_a, owner=agent_a), CustomerFactory(team=team_a, owner=agent_a)
    make_order(big, net=900)
    make_order(small, net=100)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    row = runs().get()
    assert (row.status, row.return_value) == (TaskResultStatus.SUCCESSFUL, 2)
    assert dict(CustomerValue.objects.values_list("customer_id", "rank")) == {big.pk: 1, small.pk: 2}


def test_a_failing_ranking_check_does_not_stop_the_other_checks(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(worker_command, "ranking_schedule", broken)
    assert worker_command.Schedule(backend_name="default").tick() is True
    assert DBTaskResult.objects.filter(task_path=send_reminders_task.module_path).count() == 1
    assert reminders_schedule() is None
