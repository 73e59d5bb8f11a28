"""Sales at scale: the deal board, one customer's value figures and the customer ranking, on SQLite and PostgreSQL.

    .venv/bin/python bench/sales.py --customers 1000000 --orders 5000000 --deals 200000 \
        [--database sqlite|postgres|both] [--reuse]
    .venv/bin/python bench/sales.py --customers 20000 --orders 100000 --deals 4000       # a quick check

Prints its figures beside their floors and PASS/MISS against the targets; see bench/README.md ("Sales").
"""


# input, and its SQL names come from the models

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    VAR,
    BenchWorker,
    machine_line,
    percentile,
    rows_insert,
    run_databases,
    timed,
)

# The customers' bench leaves its 1M database here; copying it saves seeding a million customers again.
CUSTOMERS_1M = VAR / "customers-1000000.sqlite3"
TARGETS = {"board_p95_ms": 300.0, "customer_value_p95_ms": 20.0, "ranking_vs_floor": 2.0}
YEARS = 5
BATCH = 100_000
TITLES = ["تجهیز اتاق سرور", "نوسازی رایانه‌ها", "قرارداد پشتیبانی", "شبکه شعبه جدید", "مجوز نرم‌افزار"]


# --- orchestration (parent process) ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--deals", type=int, default=200_000, help="open deals")
    parser.add_argument("--database", choices=["sqlite", "postgres", "postgresql", "both"], default="sqlite")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse an already loaded database")
    parser.add_argument("--runs", type=int, default=30, help="board loads per user")
    parser.add_argument("--samples", type=int, default=1000, help="customers whose value is read")
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        Worker(args).run()
        return
    print(
        f"{machine_line()}: {args.customers:,} customers, {args.orders:,} orders, {args.deals:,} open deals",
        flush=True,
    )
    path = VAR / f"sales-{args.customers}-{args.orders}-{args.deals}.sqlite3"

    def from_customers_1m(path: Path) -> None:
        if args.customers == 1_000_000 and CUSTOMERS_1M.exists():
            print(f"[sqlite] copying {CUSTOMERS_1M.name} (made by bench/customers.py)", flush=True)
            shutil.copyfile(CUSTOMERS_1M, path)

    run_databases(__file__, args, sqlite_path=path, fresh=not args.reuse or not path.exists(), fill=from_customers_1m)


# --- loading and measuring (worker process, one database) ------------------------------------------------


class Worker(BenchWorker):
    targets = TARGETS

    def run(self) -> None:
        self.database_ready()
        from django.core.management import call_command
        from django.db import connection

        from peyvand.customers.models import Customer
        from peyvand.sales.models import Deal, Order

        have = Customer.objects.count()
        if have < self.args.customers:
            if have:
                raise SystemExit(f"{have:,} customers already there; use an empty database or --reuse a full one")
            started = time.perf_counter()
            # seed_demo also makes the demo's own sales (a catalogue, ~2,600 orders, ~330 deals for 2,000
            # customers); the bench's orders and deals come on top of them below.
            call_command("seed_demo", customers=self.args.customers, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
            self.say(f"seed_demo --customers {self.args.customers:,}: {time.perf_counter() - started:.0f} s")
        else:
            self.say(f"{have:,} customers already there")
        self.load_orders()
        self.load_deals()
        self.delete_some_customers()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE")
        self.say(
            f"database: {connection.vendor}, {Customer.objects.count():,} customers, {Order.objects.count():,} "
            f"orders, {Deal.objects.filter(closed_at__isnull=True).count():,} open deals, "
            f"{Customer.objects.filter(deleted_at__isnull=False).count():,} deleted customers"
        )
        self.board()
        self.customer_values()
        self.ranking()
        self.forecast()
        print("RESULT " + json.dumps(self.results, ensure_ascii=False), flush=True)

    # --- loading --------------------------------------------------------------------------------------

    def _customers(self) -> tuple[list[int], list[int | None], list[int | None]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT id, owner_id, team_id FROM customers_customer WHERE deleted_at IS NULL ORDER BY id")
            rows = cursor.fetchall()
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    def _stamp(self) -> Callable[[int], str]:
        """Epoch seconds → the text the database stores a UTC datetime as (naive text on SQLite)."""
        from datetime import UTC, datetime

        from django.db import connection

        suffix = "+00" if connection.vendor == "postgresql" else ""
        return lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S") + suffix

    def load_orders(self) -> None:
        from django.db.models import Max

        from peyvand.sales.models import Order

        have = Order.objects.filter(number__startswith="B-").count()
        if have >= self.args.orders:
            self.say(f"{have:,} bench orders already there")
            return
        if have:
            raise SystemExit(f"{have:,} of {self.args.orders:,} bench orders: an interrupted load; start afresh")
        ids, owners, teams = self._customers()
        first_id = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        now = int(time.time())
        stamp = self._stamp()
        rng = self.rng
        n_customers = len(ids)
        columns = [
            "id",
            "created_at",
            "updated_at",
            "currency",
            "vat_rate_bp",
            "gross_total",
            "discount_total",
            "net_total",
            "vat_total",
            "total",
            "cost_total",
            "number",
            "customer_id",
            "deal_id",
            "quote_id",
            "status",
            "ordered_at",
            "notes",
            "cancelled_reason",
            "owner_id",
            "team_id",
            "created_by_id",
        ]
        # Seasons of an Iranian market by Gregorian month (roughly: March is the pre-Nowruz peak).
        season = [1.15, 1.35, 1.6, 0.6, 0.9, 1.0, 0.95, 0.85, 0.9, 1.1, 1.0, 1.0]

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            done = 0
            while done < self.args.orders:
                size = min(BATCH, self.args.orders - done)
                rows = []
                for i in range(size):
                    # A few customers buy much more than most (a long tail), as in any customer base.
                    c = min(int(n_customers * rng.random() ** 2.5), n_customers - 1)
                    while True:
                        t = now - int(rng.random() * YEARS * 365 * 86400)
                        month = time.gmtime(t).tm_mon
                        if rng.random() * 1.6 < season[month - 1]:
                            break
                    net = int(10 ** rng.uniform(6.5, 9.5)) // 1000 * 1000
                    cost = net * rng.randint(60, 90) // 100
                    vat = net // 10
                    at = stamp(t)
                    pk = first_id + done + i
                    status = "cancelled" if rng.random() < 0.03 else "fulfilled"
                    rows.append(
                        (pk, at, at, "IRR", 1000, net, 0, net, vat, net + vat, cost, f"B-{pk:09d}", ids[c],
                         None, None, status, at, "", "", owners[c], teams[c], None)
                    )  # fmt: skip
                done += size
                yield rows
                if done % 1_000_000 == 0 or done == self.args.orders:
                    self.say(f"  {done:,} orders generated and written")

        seconds = rows_insert(Order, columns, batches())
        self.results["load_orders_seconds"] = seconds
        self.say(f"loaded {self.args.orders:,} orders in {seconds:.0f} s (indexes built once at the end)")

    def load_deals(self) -> None:
        from django.db.models import Max

        from peyvand.sales.models import Deal, Pipeline

        have = Deal.objects.filter(title__startswith="بنچ ").count()
        if have >= self.args.deals:
            self.say(f"{have:,} bench deals already there")
            return
        ids, owners, teams = self._customers()
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.filter(outcome="open").order_by("position").values_list("id", flat=True))
        first_id = (Deal.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        now = int(time.time())
        stamp = self._stamp()
        rng = self.rng
        from datetime import timedelta

        from django.utils import timezone

        today = timezone.localdate()
        columns = [
            "id",
            "created_at",
            "updated_at",
            "title",
            "customer_id",
            "pipeline_id",
            "stage_id",
            "amount",
            "currency",
            "expected_close_date",
            "owner_id",
            "team_id",
            "next_step",
            "next_step_due_at",
            "next_step_reminded_at",
            "lost_reason",
            "lost_to_id",
            "closed_at",
            "version",
            "created_by_id",
        ]

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            rows = []
            for i in range(self.args.deals - have):
                c = rng.randrange(len(ids))
                at = stamp(now - rng.randrange(180 * 86400))
                expected = None if rng.random() < 0.1 else (today + timedelta(days=rng.randint(-60, 365))).isoformat()
                stage = stages[min(int(len(stages) * rng.random() ** 1.5), len(stages) - 1)]
                amount = int(10 ** rng.uniform(7, 10.5)) // 1000 * 1000
                rows.append(
                    (first_id + i, at, at, f"بنچ {rng.choice(TITLES)}", ids[c], pipeline.pk, stage, amount, "IRR",
                     expected, owners[c], teams[c], "", None, None, "", None, None, 1, None)
                )  # fmt: skip
                if len(rows) == BATCH:
                    yield rows
                    rows = []
            if rows:
                yield rows

        seconds = rows_insert(Deal, columns, batches())
        self.results["load_deals_seconds"] = seconds
        self.say(f"loaded {self.args.deals - have:,} open deals in {seconds:.1f} s")

    def delete_some_customers(self) -> None:
        """Every 200th customer deleted (0.5 %), as a live database has some: their deals and orders stay in the
        tables and every read must leave them out."""
        from django.db import connection

        from peyvand.customers.models import Customer

        if Customer.objects.filter(deleted_at__isnull=False).exists():
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Customer._meta.db_table} SET deleted_at = %s WHERE id %% 200 = 7",
                [self._stamp()(int(time.time()))],
            )
            self.say(f"deleted {cursor.rowcount:,} customers (every 200th)")

    # --- measuring ------------------------------------------------------------------------------------

    def board(self) -> None:
        from django.db.models import Count

        from peyvand.accounts.models import User
        from peyvand.sales import selectors
        from peyvand.sales.models import Deal

        pipeline = selectors.default_pipeline()
        assert pipeline is not None
        for username in ("admin", "manager", "agent"):
            user = User.objects.get(username=username)
            visible = selectors.deals_visible_to(user).filter(pipeline=pipeline).aggregate(n=Count("id"))["n"]
            selectors.deal_board(user=user, pipeline=pipeline)  # warm
            times = timed(lambda u=user: selectors.deal_board(user=u, pipeline=pipeline), self.args.runs)
            p50, p95 = percentile(times, 50), percentile(times, 95)
            self.results.setdefault("board", {})[username] = {"p50": p50, "p95": p95, "deals": visible}
            self.say(
                f"deal board as {username} ({visible:,} deals in the pipeline visible, {self.args.runs} loads): "
                f"p50 {p50:.1f} ms, p95 {p95:.1f} ms  {self.verdict(f'board_{username}', p95, 'board_p95_ms')}"
            )
        # Floor: the board's GROUP BY alone, raw, no scope (what any board must at least do).
        from django.db import connection

        table = Deal._meta.db_table
        sql = f"SELECT stage_id, COUNT(*), SUM(amount) FROM {table} WHERE pipeline_id = %s GROUP BY stage_id"

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [pipeline.pk])
                cursor.fetchall()

        floor = timed(raw, self.args.runs)
        self.results["board"]["floor_p95"] = percentile(floor, 95)
        self.say(f"  floor (the counts and sums as one raw GROUP BY, no scope): p95 {percentile(floor, 95):.1f} ms")

    def customer_values(self) -> None:
        from django.db import connection

        from peyvand.sales.services.customer_value import customer_value

        with connection.cursor() as cursor:
            cursor.execute("SELECT MAX(id) FROM customers_customer")
            top = cursor.fetchone()[0]
        ids = [self.rng.randint(1, top) for _ in range(self.args.samples)]
        for cid in ids[:20]:
            customer_value(customer_id=cid)
        times = timed(lambda: None, 0)
        for cid in ids:
            started = time.perf_counter()
            customer_value(customer_id=cid)
            times.append((time.perf_counter() - started) * 1000)
        sql = (
            "SELECT SUM(net_total), SUM(cost_total), COUNT(*), MIN(ordered_at), MAX(ordered_at) FROM sales_order "
            "WHERE customer_id = %s AND status <> 'cancelled'"
        )
        floor = []
        with connection.cursor() as cursor:
            for cid in ids:
                started = time.perf_counter()
                cursor.execute(sql, [cid])
                cursor.fetchall()
                floor.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        self.results["customer_value"] = {"p50": p50, "p95": p95, "floor_p95": percentile(floor, 95)}
        self.say(
            f"one customer's value ({len(ids)} random customers): p50 {p50:.2f} ms, p95 {p95:.2f} ms  "
            f"{self.verdict('customer_value', p95, 'customer_value_p95_ms')}"
        )
        self.say(f"  floor (the same aggregate, raw): p95 {percentile(floor, 95):.2f} ms")

    def ranking(self) -> None:
        from django.db import connection

        from peyvand.sales.services.customer_value import ranking_floor_sql, ranking_recompute

        sql = ranking_floor_sql()

        def floor() -> None:
            # The same aggregation as one statement, every row read by the client.
            with connection.cursor() as cursor:
                cursor.execute(sql)
                while cursor.fetchmany(10_000):
                    pass

        ranked = ranking_recompute()  # warm: the first run reads the orders from disk
        recompute = timed(ranking_recompute, 3)
        raw = timed(floor, 3)
        best, best_raw = min(recompute), min(raw)
        ratio = best / best_raw
        self.results["ranking"] = {"ms": recompute, "floor_ms": raw, "ratio": ratio, "customers": ranked}
        self.say(
            f"ranking recompute ({ranked:,} customers ranked, best of 3): {best / 1000:.2f} s; floor (the "
            f"aggregation as one raw SELECT, rows fetched): {best_raw / 1000:.2f} s; ratio {ratio:.2f}×  "
            f"{self.verdict('ranking_vs_floor', ratio, 'ranking_vs_floor')}"
        )

    def forecast(self) -> None:
        """Not a target of the issue: what the forecast page's two reads cost at this scale."""
        from peyvand.accounts.models import User
        from peyvand.sales import forecast

        forecast.forecast_series([1, 2, 3] * 10)  # imports statsmodels (seconds), as a running server has
        # At millions of orders a revenue forecast reads them all (seconds each): fewer runs there.
        runs = 3 if self.args.orders <= 1_000_000 else 1
        for username in ("admin", "manager"):
            user = User.objects.get(username=username)
            forecast.pipeline_forecast(user=user)
            pipe = timed(lambda u=user: forecast.pipeline_forecast(user=u), 5)
            revenue = timed(lambda u=user: forecast.revenue_forecast(user=u), runs)
            self.results.setdefault("forecast", {})[username] = {
                "pipeline_p50": percentile(pipe, 50),
                "revenue_p50": percentile(revenue, 50),
            }
            self.say(
                f"forecast as {username}: weighted pipeline p50 {percentile(pipe, 50):.0f} ms, revenue forecast "
                f"(monthly sums of the orders + Holt-Winters) p50 {percentile(revenue, 50):.0f} ms"
            )


if __name__ == "__main__":
    main()
