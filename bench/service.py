"""The service desk at scale: routing throughput through the rules engine, on SQLite and PostgreSQL.

    .venv/bin/python bench/service.py [--database sqlite|postgres|both] [--reuse] [--parts routing]
    .venv/bin/python bench/service.py --rules 200 --tickets 20000          # the routing figures alone
    .venv/bin/python bench/service.py --parts tickets,queue,dashboard --load 1000000   # 1M tickets: the pages

Prints its figures beside their floors and PASS/MISS against the targets; see bench/README.md ("Service desk").
Each part is one method of Worker, named in PARTS; a new part is a new method and a new PARTS entry.
"""

from __future__ import annotations

import argparse
import json
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

# Higher is better for every figure here: a target is a floor the figure must reach.
TARGETS = {"routing_tickets_per_s": 2000.0}
# Lower is better for these: a page's p95 must stay under its target.
LATENCY_TARGETS = {"queue_p95_ms": 200.0, "dashboard_p95_ms": 500.0}
# The parts, in the order they run; `--parts` picks some.
PARTS = ("routing", "tickets", "queue", "dashboard")

KEYWORDS = [
    "قطعی",
    "خرابی",
    "کندی اینترنت",
    "مودم",
    "فاکتور",
    "بازپرداخت",
    "استرداد وجه",
    "نصب",
    "رمز عبور",
    "پیامک",
    "قرارداد",
    "تمدید",
    "لغو اشتراک",
    "شکایت",
    "تاخیر ارسال",
    "گارانتی",
    "تعمیر",
    "باتری",
    "صفحه نمایش",
    "کیف پول",
    "درگاه پرداخت",
    "کد تخفیف",
    "آدرس اشتباه",
    "مرجوعی",
    "هک شدن",
    "فیبر نوری",
    "سیم کارت",
    "شارژ",
    "بسته اینترنت",
    "ورود به حساب",
]
SUBJECTS = [
    "قطعی اینترنت از دیروز",
    "درخواست صدور فاکتور رسمی",
    "مشکل در ورود به حساب کاربری",
    "تاخیر ارسال سفارش",
    "پرسش درباره تمدید قرارداد",
    "خرابی مودم پس از نصب",
    "کسر وجه بدون دریافت خدمات",
    "پیشنهاد برای بهبود اپلیکیشن",
    "درخواست مرجوعی کالا",
    "شارژ کیف پول انجام نشد",
    "سوال درباره ساعات کاری",
    "درخواست تماس با کارشناس",
    "تغییر شماره تماس",
    "پیگیری درخواست قبلی",
]
FILLER = (
    "سلام وقت بخیر. از هفته گذشته چند بار با پشتیبانی تماس گرفتم ولی هنوز مشکل حل نشده است. "
    "لطفا هر چه زودتر پیگیری کنید. شماره اشتراک من ۴۵۸۲۱۹ است و از سه سال پیش مشتری شما هستم. "
    "اگر لازم است کارشناس به محل بیاید با شماره ۰۹۱۲۳۴۵۶۷۸۹ هماهنگ کنید. با تشکر."
)


# --- orchestration (parent process) ---------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres", "postgresql", "both"], default="sqlite")
    p.add_argument("--reuse", action="store_true", help="keep and reuse an already loaded database")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    p.add_argument("--rules", type=int, default=200, help="routing rules")
    p.add_argument("--tickets", type=int, default=20_000, help="tickets routed through the engine")
    p.add_argument("--load", type=int, default=1_000_000, help="tickets loaded for the queue and the dashboard")
    p.add_argument("--customers", type=int, default=50_000, help="customers the loaded tickets belong to")
    p.add_argument("--runs", type=int, default=30, help="page loads per user for the queue and the dashboard")
    p.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return p


def main() -> None:
    args = parser().parse_args()
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))}")
    if args.worker:
        Worker(args).run()
        return
    print(
        f"{machine_line()}: parts {args.parts}",
        flush=True,
    )
    # The loaded tickets make a database of their own (per size), which the routing part alone does not need.
    loaded = bool({"tickets", "queue", "dashboard"} & set(args.parts.split(",")))
    path = VAR / (f"service-{args.load}.sqlite3" if loaded else "service.sqlite3")
    run_databases(__file__, args, sqlite_path=path, fresh=not args.reuse)


# --- measuring (worker process, one database) -----------------------------------------------------------


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds (the others were slowed by something else on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


class Worker(BenchWorker):
    def verdict(self, name: str, value: float, target: str) -> str:
        ok = value >= TARGETS[target]
        self.results.setdefault("verdicts", {})[name] = ok
        return f"{'PASS' if ok else 'MISS'} (target ≥ {TARGETS[target]:,.0f})"

    def run(self) -> None:
        self.database_ready()
        from django.db import connection

        self.say(f"database: {connection.vendor}")
        for part in self.args.parts.split(","):
            getattr(self, part)()
        print("RESULT " + json.dumps(self.results, ensure_ascii=False), flush=True)

    # --- routing ----------------------------------------------------------------------------------------

    def _routing_setup(self) -> tuple[list[Any], list[Any], list[Any]]:
        """Teams, a category tree and `--rules` rules in the database (made again each run); customers in
        memory only (routing reads a customer's tier and stage from the instance it is given)."""
        from peyvand.accounts.models import Role, Team, User
        from peyvand.customers.models import Customer, LifecycleStage, Tier
        from peyvand.service.conditions import conditions_clean
        from peyvand.service.models import AssignmentPolicy, RoutingRule, TicketCategory, TicketChannel, TicketKind

        rng = self.rng
        RoutingRule.objects.all().delete()
        teams = list(Team.objects.filter(name__startswith="bench "))
        if not teams:
            for n in range(20):
                team = Team.objects.create(name=f"bench {n}")
                team.path = f"/{team.pk}/"
                team.save(update_fields=["path"])
                teams.append(team)
                User.objects.bulk_create(User(username=f"bench-{n}-{m}", role=Role.AGENT, team=team) for m in range(5))
        categories = list(TicketCategory.objects.filter(name__startswith="bench "))
        if not categories:
            for n in range(10):
                root = TicketCategory.objects.create(name=f"bench {n}")
                root.path = f"/{root.pk}/"
                root.save(update_fields=["path"])
                categories.append(root)
                for m in range(5):
                    child = TicketCategory.objects.create(name=f"bench {n}.{m}", parent=root)
                    child.path = f"{root.path}{child.pk}/"
                    child.save(update_fields=["path"])
                    categories.append(child)
        kinds, channels = TicketKind.values, TicketChannel.values
        stages, tiers = LifecycleStage.values, Tier.values
        policies = [AssignmentPolicy.QUEUE, AssignmentPolicy.ROUND_ROBIN, AssignmentPolicy.LEAST_LOADED]

        def conditions(i: int) -> dict[str, Any]:
            shape = i % 5
            if shape == 0:  # key accounts of a product line
                return {"customer_tier": ["gold"], "category": [rng.choice(categories).pk]}
            if shape == 1:  # a category, sometimes only its complaints
                extra = {"kind": ["complaint"]} if rng.random() < 0.5 else {}
                return {"category": [rng.choice(categories).pk], **extra}
            if shape == 2:  # words that name a problem, from some channels
                words = rng.sample(KEYWORDS, rng.randint(2, 6))
                extra = {"channel": rng.sample(channels, 3)} if rng.random() < 0.5 else {}
                return {"keywords": words, **extra}
            if shape == 3:
                return {"kind": rng.sample(kinds, 2), "channel": rng.sample(channels, 2), "priority": ["urgent"]}
            return {"customer_stage": [rng.choice(stages)], "customer_tier": ["gold"], "kind": [rng.choice(kinds)]}

        RoutingRule.objects.bulk_create(
            RoutingRule(
                name=f"bench rule {i}",
                position=i,
                conditions=conditions_clean(conditions(i)),
                team=rng.choice(teams),
                policy=rng.choice(policies),
                set_priority=rng.choice(["", "", "high"]),
            )
            for i in range(self.args.rules)
        )
        customers = [
            Customer(
                pk=10_000_000 + n,
                display_name=f"مشتری {n}",
                tier=rng.choice([*tiers, "", ""]),
                lifecycle_stage=rng.choice(stages),
            )
            for n in range(2000)
        ]
        return teams, categories, customers

    def _tickets(self, categories: list[Any], customers: list[Any]) -> list[Any]:
        from peyvand.service.models import Ticket, TicketChannel, TicketKind, TicketPriority

        rng = self.rng
        tickets = []
        for n in range(self.args.tickets):
            subject = rng.choice(SUBJECTS)
            # 200 to 500 characters: what people write in a ticket's first message
            description = FILLER[: rng.randint(150, len(FILLER))]
            tickets.append(
                Ticket(
                    number=f"B-{n}",
                    subject=subject,
                    description=description,
                    kind=rng.choice(TicketKind.values),
                    channel=rng.choice(TicketChannel.values),
                    priority=rng.choice(TicketPriority.values),
                    category=rng.choice(categories) if rng.random() < 0.7 else None,
                    customer=rng.choice(customers) if rng.random() < 0.9 else None,
                    contact_name="",
                )
            )
        return tickets

    def routing(self) -> None:
        """route_ticket's engine (the compiled RoutingTable: a ticket's facts read and normalised, then the
        rules tried in order) against the floor: the same matching, by hand-written predicates over facts
        read beforehand. Then route_ticket itself, with the database work of the assignment policies."""
        from django.db import transaction

        from peyvand.service.conditions import TicketFacts
        from peyvand.service.routing import route_ticket, routing_table

        _teams, categories, customers = self._routing_setup()
        tickets = self._tickets(categories, customers)
        table = routing_table()
        assert len(table) == self.args.rules

        def engine() -> None:
            first_match = table.first_match
            for ticket in tickets:
                first_match(TicketFacts.of(ticket))

        facts = [TicketFacts.of(ticket) for ticket in tickets]
        predicates = [_bare_predicate(rule.conditions) for rule in _rules_in_order()]

        def floor() -> None:
            for one in facts:
                for predicate in predicates:
                    if predicate(one):
                        break

        matched = sum(1 for one in facts if table.first_match(one) is not None)
        # The engine and the floor must agree on every ticket, or the floor measures something else.
        for one in facts[:2000]:
            engine_rule = table.first_match(one)
            floor_index = next((i for i, p in enumerate(predicates) if p(one)), None)
            assert (engine_rule.id if engine_rule else None) == (
                table.rules[floor_index].id if floor_index is not None else None
            )
        depth = sum(
            next((i + 1 for i, rule in enumerate(table.rules) if rule.match(one)), len(table)) for one in facts
        ) / len(facts)

        engine_rate = rate(len(tickets), best_of(engine, 3))
        floor_rate = rate(len(tickets), best_of(floor, 3))
        matching_rate = rate(len(facts), best_of(lambda: [table.first_match(one) for one in facts], 3))

        # route_ticket in full: the table's freshness check, the rule's row, the policy's queries and the
        # round-robin cursor's update; rolled back, as each ticket's own transaction would be.
        sample = tickets[: max(1, min(len(tickets), 2000))]

        def full() -> None:
            with transaction.atomic():
                for ticket in sample:
                    route_ticket(ticket)
                transaction.set_rollback(True)

        full_rate = rate(len(sample), best_of(full, 2))
        self.results["routing"] = {
            "rules": len(table),
            "tickets": len(tickets),
            "matched": matched,
            "rules_tried_per_ticket": depth,
            "engine_per_s": engine_rate,
            "matching_only_per_s": matching_rate,
            "floor_per_s": floor_rate,
            "route_ticket_per_s": full_rate,
        }
        self.say(
            f"routing {len(tickets):,} tickets through {len(table)} rules ({matched:,} matched a rule, "
            f"{depth:.0f} rules tried per ticket on average): {engine_rate:,.0f} tickets/s  "
            f"{self.verdict('routing', engine_rate, 'routing_tickets_per_s')}"
        )
        self.say(f"  of which matching the compiled rules (facts read beforehand): {matching_rate:,.0f} tickets/s")
        self.say(f"  floor (hand-written predicates over facts read beforehand, a bare loop): {floor_rate:,.0f}/s")
        self.say(f"  route_ticket in full, with the policies' queries ({len(sample):,} tickets): {full_rate:,.0f}/s")

    # --- tickets at scale, the queue and the dashboard ------------------------------------------------------

    def _desk_staff(self) -> dict[str, Any]:
        """Twenty teams «desk N» (five under each of four parent teams), each with a manager and eight agents;
        30 ticket categories; `--customers` customers spread over the teams. Made once, kept with --reuse."""
        from peyvand.accounts.models import Role, Team, User
        from peyvand.customers.models import Customer
        from peyvand.service.models import TicketCategory

        teams = list(Team.objects.filter(name__startswith="desk ").order_by("pk"))
        if not teams:
            parents = []
            for n in range(4):
                parent = Team.objects.create(name=f"desk region {n}")
                parent.path = f"/{parent.pk}/"
                parent.save(update_fields=["path"])
                parents.append(parent)
            for n in range(20):
                parent = parents[n % 4]
                team = Team.objects.create(name=f"desk {n}", parent=parent)
                team.path = f"{parent.path}{team.pk}/"
                team.save(update_fields=["path"])
                User.objects.create(username=f"desk-manager-{n}", role=Role.MANAGER, team=team)
                User.objects.bulk_create(User(username=f"desk-{n}-{m}", role=Role.AGENT, team=team) for m in range(8))
            teams = list(Team.objects.filter(name__startswith="desk ").order_by("pk"))
        categories = list(TicketCategory.objects.filter(name__startswith="desk ").values_list("pk", flat=True))
        if not categories:
            for n in range(6):
                root = TicketCategory.objects.create(name=f"desk {n}")
                root.path = f"/{root.pk}/"
                root.save(update_fields=["path"])
                for m in range(4):
                    child = TicketCategory.objects.create(name=f"desk {n}.{m}", parent=root)
                    child.path = f"{root.path}{child.pk}/"
                    child.save(update_fields=["path"])
            categories = list(TicketCategory.objects.filter(name__startswith="desk ").values_list("pk", flat=True))
        leaf_teams = [t for t in teams if t.parent_id is not None]
        agents: dict[int, list[int]] = {}
        for pk, team_id in User.objects.filter(username__startswith="desk-", role=Role.AGENT).values_list(
            "pk", "team_id"
        ):
            agents.setdefault(team_id, []).append(pk)
        have = Customer.objects.filter(first_name="desk").count()
        if have < self.args.customers:
            rng = self.rng
            batch = []
            for n in range(have, self.args.customers):
                team = leaf_teams[n % len(leaf_teams)]
                batch.append(
                    Customer(
                        first_name="desk",
                        last_name=f"مشتری {n}",
                        display_name=f"desk مشتری {n}",
                        team_id=team.pk,
                        owner_id=rng.choice(agents[team.pk]),
                    )
                )
            Customer.objects.bulk_create(batch, batch_size=5000)
        customers = list(
            Customer.objects.filter(first_name="desk").order_by("pk").values_list("pk", "team_id", "owner_id")
        )
        return {
            "teams": leaf_teams,
            "agents": agents,
            "categories": categories,
            "customers": customers,
            "admin": User.objects.filter(is_superuser=True).first()
            or User.objects.create_superuser("desk-admin", "desk-admin@example.ir", "x", role=Role.ADMIN),
            "manager": User.objects.get(username="desk-manager-0"),
            "agent": User.objects.get(pk=agents[leaf_teams[0].pk][0]),
        }

    def tickets(self) -> None:
        """`--load` tickets over the last three years (fewer on Fridays, busier in some months), about 2 % still
        open, the closed ones with their SLA figures; a satisfaction answer for a fifth of the resolved ones;
        every 200th customer deleted, as a live database has some."""
        from datetime import UTC, datetime, timedelta

        from django.db import connection
        from django.db.models import Max

        from peyvand.customers.models import Customer
        from peyvand.service.models import Ticket, TicketSatisfaction

        staff = self._desk_staff()
        self.desk = staff
        have = Ticket.objects.filter(number__startswith="D-").count()
        if have >= self.args.load:
            self.say(f"{have:,} bench tickets already there")
            return
        if have:
            raise SystemExit(f"{have:,} of {self.args.load:,} bench tickets: an interrupted load; start afresh")
        rng = self.rng
        customers, categories = staff["customers"], staff["categories"]
        agents = staff["agents"]
        now = datetime.now(UTC)
        first_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        pg = connection.vendor == "postgresql"

        def stamp(moment: datetime | None) -> str | None:
            if moment is None:
                return None
            return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + ("+00" if pg else "")

        values: dict[str, Any] = {}
        fields = [f for f in Ticket._meta.concrete_fields]
        columns = [f.column for f in fields]
        statuses_open = ["new", "assigned", "in_progress", "waiting", "reopened"]
        kinds = ["request", "complaint", "question", "suggestion"]
        priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
        answers: list[tuple[int, datetime, int, int | None, int, int | None]] = []
        span = 3 * 365 * 86400

        def arrival() -> datetime:
            while True:
                created = now - timedelta(seconds=rng.random() * span)
                # Fewer tickets on Fridays (weekday 4) and outside the working day, as a desk sees.
                local_hour = (created.hour + 3.5) % 24
                weight = (0.35 if created.weekday() == 4 else 1.0) * (1.0 if 8 <= local_hour < 17 else 0.3)
                if rng.random() < weight:
                    return created

        # In arrival order, as a live desk numbers them: a period's tickets lie together in the table.
        arrivals = sorted(arrival() for _ in range(self.args.load))

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            done = 0
            while done < self.args.load:
                size = min(100_000, self.args.load - done)
                rows = []
                for i in range(size):
                    pk = first_id + done + i
                    created = arrivals[done + i]
                    c_pk, team_id, _owner = customers[rng.randrange(len(customers))]
                    with_customer = rng.random() < 0.9
                    assignee = rng.choice(agents[team_id]) if rng.random() < 0.85 else None
                    age_days = (now - created).days
                    is_open = rng.random() < (0.5 if age_days < 3 else 0.2 if age_days < 30 else 0.003)
                    status = rng.choice(statuses_open) if is_open else rng.choice(["resolved", "closed", "closed"])
                    response_minutes = int(rng.lognormvariate(4.0, 1.0))
                    responded = created + timedelta(minutes=response_minutes * 2)
                    resolution_minutes = response_minutes + int(rng.lognormvariate(6.0, 1.2))
                    resolved = None if is_open else created + timedelta(minutes=resolution_minutes * 2)
                    if resolved is not None and resolved > now:
                        resolved = now
                    has_sla = rng.random() < 0.8
                    answered = not is_open or rng.random() < 0.5
                    reopen = 1 if rng.random() < 0.05 else 0
                    values.update(
                        id=pk,
                        created_at=stamp(created),
                        updated_at=stamp(resolved or created),
                        number=f"D-{pk:09d}",
                        kind=rng.choice(kinds),
                        category_id=rng.choice(categories) if rng.random() < 0.9 else None,
                        subject="قطعی اینترنت",
                        description="",
                        fields="{}",
                        priority=rng.choice(priorities),
                        status=status,
                        channel="email",
                        customer_id=c_pk if with_customer else None,
                        contact_name="" if with_customer else "مراجعه‌کننده",
                        contact_email="",
                        contact_phone="",
                        order_id=None,
                        contract_id=None,
                        team_id=team_id,
                        assignee_id=assignee,
                        routed_by_id=None,
                        sla_policy_id=None,
                        first_response_due_at=stamp(created + timedelta(hours=4)) if has_sla else None,
                        resolution_due_at=stamp(created + timedelta(days=2)) if has_sla else None,
                        first_responded_at=stamp(responded) if answered else None,
                        resolved_at=stamp(resolved),
                        closed_at=stamp(resolved) if status == "closed" else None,
                        first_response_minutes=response_minutes if answered else None,
                        resolution_minutes=resolution_minutes if resolved else None,
                        first_response_breached=has_sla and response_minutes > 240,
                        resolution_breached=has_sla and resolution_minutes > 16 * 60,
                        sla_warned_at=None,
                        escalated_at=None,
                        paused_at=None,
                        paused_minutes=0,
                        reopen_count=reopen,
                        last_customer_message_at=None,
                        last_staff_reply_at=stamp(responded) if answered else None,
                        version=1,
                        created_by_id=None,
                    )
                    rows.append(tuple(values[f.attname] for f in fields))
                    if resolved is not None and rng.random() < 0.2:
                        answers.append((pk, resolved, rng.choice([1, 2, 3, 4, 4, 5, 5, 5]), assignee, team_id,
                                        values["category_id"]))  # fmt: skip
                done += size
                yield rows
                if done % 500_000 == 0 or done == self.args.load:
                    self.say(f"  {done:,} tickets generated and written")

        seconds = rows_insert(Ticket, columns, batches())
        self.results["load_tickets_seconds"] = seconds
        self.say(f"loaded {self.args.load:,} tickets in {seconds:.0f} s (indexes built once at the end)")
        answer_columns = [f.column for f in TicketSatisfaction._meta.concrete_fields]
        first_answer = (TicketSatisfaction.objects.aggregate(m=Max("id"))["m"] or 0) + 1

        def answer_rows() -> Iterator[list[tuple[Any, ...]]]:
            rows = []
            for n, (ticket_id, resolved, score, agent, team, category) in enumerate(answers):
                at = resolved + timedelta(hours=rng.randint(1, 72))
                row = {
                    "id": first_answer + n,
                    "created_at": stamp(resolved),
                    "updated_at": stamp(at),
                    "ticket_id": ticket_id,
                    "token": f"desk-{ticket_id}",
                    "score": score,
                    "comment": "",
                    "answered_at": stamp(at),
                    "agent_id": agent,
                    "team_id": team,
                    "category_id": category,
                    "follow_up_id": None,
                }
                rows.append(tuple(row[f.attname] for f in TicketSatisfaction._meta.concrete_fields))
                if len(rows) == 100_000:
                    yield rows
                    rows = []
            if rows:
                yield rows

        seconds = rows_insert(TicketSatisfaction, answer_columns, answer_rows())
        self.say(f"loaded {len(answers):,} satisfaction answers in {seconds:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Customer._meta.db_table} SET deleted_at = %s WHERE first_name = 'desk' AND id %% 200 = 7",
                [stamp(now)],
            )
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE")

    def _desk_users(self) -> list[tuple[str, Any]]:
        from peyvand.service.models import Ticket

        staff = getattr(self, "desk", None) or self._desk_staff()
        if not getattr(self, "desk", None):
            # Pages measured over an empty or half-loaded table would print fast, meaningless figures.
            have = Ticket.objects.filter(number__startswith="D-").count()
            if have < self.args.load:
                raise SystemExit(f"{have:,} of {self.args.load:,} bench tickets loaded: add the part 'tickets'")
            self.say(f"measuring over {have:,} bench tickets")
        self.desk = staff
        return [("admin", staff["admin"]), ("manager", staff["manager"]), ("agent", staff["agent"])]

    def _desk_pages(self, name: str, url: str, floor_sql: str, floor_params: list[Any], target: str) -> None:
        """GET `url` through django.test.Client (full middleware and templates) as an admin, a manager and an
        agent, `--runs` times each after one warm-up; p50/p95 beside the floor: `floor_sql` run the same way."""
        from django.db import connection
        from django.test import Client

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute(floor_sql, floor_params)
                cursor.fetchall()

        floor_ms = sorted(timed(floor, self.args.runs))
        self.results.setdefault(name, {})["floor_p95_ms"] = percentile(floor_ms, 95)
        for role, user in self._desk_users():
            client = Client()
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times = timed(lambda c=client: c.get(url), self.args.runs)
            p50, p95 = percentile(times, 50), percentile(times, 95)
            self.results[name][f"{role}_p50_ms"] = p50
            self.results[name][f"{role}_p95_ms"] = p95
            verdict = self.at_most(f"{name} {role}", p95, target)
            self.say(f"{name} page as {role}: p50 {p50:.0f} ms, p95 {p95:.0f} ms  {verdict}")
        self.say(f"  floor (one raw SQL statement): p95 {percentile(floor_ms, 95):.1f} ms")

    def at_most(self, name: str, value: float, target: str) -> str:
        ok = value <= LATENCY_TARGETS[target]
        self.results.setdefault("verdicts", {})[name] = ok
        return f"{'PASS' if ok else 'MISS'} (target ≤ {LATENCY_TARGETS[target]:g} ms)"

    def queue(self) -> None:
        """The ticket queue page (`service:queue`, open tickets, most urgent first, 50 a page), beside the floor:
        the first page of open tickets by resolution due time as one statement."""
        from django.urls import reverse

        from peyvand.service.models import OPEN_STATUSES, Ticket

        table = Ticket._meta.db_table
        marks = ", ".join(["%s"] * len(OPEN_STATUSES))
        floor_sql = (
            f"SELECT id, number, subject, status, priority, resolution_due_at FROM {table} "
            f"WHERE status IN ({marks}) ORDER BY resolution_due_at, id LIMIT 50"
        )
        self._desk_pages("queue", reverse("service:queue"), floor_sql, [str(s) for s in OPEN_STATUSES], "queue_p95_ms")

    def dashboard(self) -> None:
        """The service dashboard (`service:dashboard`: KPIs and the table per team, open tickets by status, the
        twelve-month trend) for this Jalali month (the page's default, partly over) and for the last complete
        one, beside the floor: that month's arrivals counted and averaged per team as one statement. The trend's
        past months are cached for an hour, so the first load of the hour is shown apart."""
        from django.core.cache import cache
        from django.test import Client
        from django.urls import reverse

        from peyvand.core.jalali import current_month
        from peyvand.service.measures import period_of_months, ticket_measures
        from peyvand.service.models import Ticket

        table = Ticket._meta.db_table
        floor_sql = (
            f"SELECT team_id, COUNT(*), AVG(first_response_minutes) FROM {table} "
            "WHERE created_at >= %s AND created_at < %s GROUP BY team_id"
        )
        url = reverse("service:dashboard")
        for label, month in (("this month", current_month()), ("last month", current_month().shifted(-1))):
            name = "dashboard" if label == "this month" else "dashboard_last_month"
            bounds = [month.starts_at(), month.ends_at()]
            cache.clear()
            admin = self._desk_users()[0][1]
            client = Client()
            client.force_login(admin)
            started = time.perf_counter()
            client.get(f"{url}?period={month.key}")
            cold = (time.perf_counter() - started) * 1000
            self.say(
                f"{name} ({label}, {month.key}), first load of the hour as admin (trend not cached): {cold:.0f} ms"
            )
            self._desk_pages(name, f"{url}?period={month.key}", floor_sql, bounds, "dashboard_p95_ms")
            self.results[name]["admin_cold_ms"] = cold
            for role, user in self._desk_users():
                times = timed(
                    lambda u=user, m=month: ticket_measures(user=u, period=period_of_months(m), group="team"),
                    self.args.runs,
                )
                self.results[name][f"{role}_measures_p95_ms"] = percentile(times, 95)
                self.say(f"  ticket_measures(group=team) as {role}: p95 {percentile(times, 95):.0f} ms")


def _rules_in_order() -> list[Any]:
    from peyvand.service.models import RoutingRule

    return list(RoutingRule.objects.filter(is_active=True).order_by("position", "id"))


def _bare_predicate(conditions: dict[str, list[Any]]) -> Callable[[Any], bool]:
    """The same test as compile_conditions, written out by hand as nested closures: what matching costs
    in plain Python with no framework around it."""
    checks: list[Callable[[Any], bool]] = []
    for key in ("kind", "channel", "priority", "customer_stage", "customer_tier"):
        if key in conditions:
            wanted = frozenset(conditions[key])
            checks.append(lambda f, k=key, w=wanted: getattr(f, k) in w)
    if "category" in conditions:
        markers = tuple(f"/{pk}/" for pk in conditions["category"])
        checks.append(lambda f, m=markers: any(x in f.category_path for x in m))
    if "keywords" in conditions:
        words = tuple(conditions["keywords"])
        checks.append(lambda f, w=words: any(x in f.text for x in w))
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda f: first(f) and second(f)
    return lambda f: all(check(f) for check in checks)


if __name__ == "__main__":
    main()
