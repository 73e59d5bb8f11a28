"""Persian demo data for the service desk: a category tree with field templates, routing rules, SLA policies,
a year of tickets (more on Saturdays than Thursdays, growing slowly) with their conversations, SLA figures,
reopenings and satisfaction answers, and today's open queue.

Runs after the customers and sales demos, in one transaction; deterministic for a given seed; does nothing when
tickets exist already. The tickets are written in bulk with the figures the services would have stored (their
business minutes are counted on the same working calendar), so the dashboard and the forecast have a history.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import jdatetime
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from peyvand.accounts.models import Team, User
from peyvand.customers.demo import DemoStaff
from peyvand.customers.models import Customer, Tier
from peyvand.sales.models import DocumentSequence, Order
from peyvand.sales.models.billing import PURCHASE
from peyvand.sales.services.numbering import PREFIXES
from peyvand.service.calendar import WorkingCalendar, working_calendar
from peyvand.service.conditions import conditions_clean
from peyvand.service.kb_demo import seed_kb_demo
from peyvand.service.models import (
    AssignmentPolicy,
    MessageKind,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketMessage,
    TicketPriority,
    TicketSatisfaction,
    TicketStatus,
)
from peyvand.service.services.settings import service_settings
from peyvand.service.sla_services import holidays_load_year, official_holiday_years

HISTORY_DAYS = 365
MAX_CUSTOMERS = 2000

# (name, English name, children, field template of the children or of the leaf itself)
CATEGORIES: list[tuple[str, str, list[tuple[str, str, list[dict[str, object]]]]]] = [
    (
        "فنی",
        "Technical",
        [
            (
                "نصب و راه‌اندازی",
                "Installation",
                [
                    {"key": "address", "label": "نشانی محل نصب", "label_en": "Installation address",
                     "type": "textarea", "required": True},
                    {"key": "preferred_day", "label": "روز پیشنهادی", "label_en": "Preferred day", "type": "date",
                     "required": False},
                ],
            ),
            (
                "قطعی و خرابی",
                "Outage and faults",
                [
                    {"key": "serial", "label": "شماره سریال دستگاه", "label_en": "Device serial number",
                     "type": "text", "required": False},
                    {"key": "since", "label": "از چه زمانی", "label_en": "Since when", "type": "date",
                     "required": True},
                ],
            ),
            ("نرم‌افزار", "Software", []),
        ],
    ),
    (
        "مالی",
        "Billing",
        [
            (
                "صورتحساب",
                "Invoices",
                [{"key": "invoice_number", "label": "شماره صورتحساب", "label_en": "Invoice number", "type": "text",
                  "required": True}],
            ),
            (
                "بازپرداخت",
                "Refunds",
                [
                    {"key": "invoice_number", "label": "شماره صورتحساب", "label_en": "Invoice number",
                     "type": "text", "required": True},
                    {"key": "reason", "label": "علت", "label_en": "Reason", "type": "choice", "required": True,
                     "choices": ["کالای معیوب", "تأخیر در تحویل", "انصراف از خرید"]},
                ],
            ),
        ],
    ),
    (
        "شکایات",
        "Complaints",
        [("برخورد کارکنان", "Staff conduct", []), ("تأخیر در تحویل", "Late delivery", [])],
    ),
    ("فروش و استعلام", "Sales enquiries", []),
]  # fmt: skip

SUBJECTS: dict[str, list[str]] = {
    "Installation": ["درخواست نصب دستگاه جدید", "راه‌اندازی شبکه شعبه دوم", "جابه‌جایی محل دستگاه"],
    "Outage and faults": ["اینترنت قطع است", "دستگاه روشن نمی‌شود", "خرابی پرینتر حسابداری", "کندی شدید سامانه"],
    "Software": ["خطا در ورود به نرم‌افزار", "گزارش فروش باز نمی‌شود", "به‌روزرسانی نسخه جدید"],
    "Invoices": ["اصلاح نام در صورتحساب", "درخواست صورتحساب رسمی", "مغایرت مبلغ صورتحساب"],
    "Refunds": ["درخواست بازگشت وجه", "استرداد کالای معیوب"],
    "Staff conduct": ["برخورد نامناسب پشتیبان", "پاسخ ندادن به تماس‌ها"],
    "Late delivery": ["سفارش هنوز نرسیده", "تأخیر دو هفته‌ای در ارسال"],
    "Sales enquiries": ["استعلام قیمت قرارداد سالانه", "شرایط خرید اقساطی", "پیشنهاد همکاری"],
}
KINDS = {
    "Staff conduct": TicketKind.COMPLAINT,
    "Late delivery": TicketKind.COMPLAINT,
    "Refunds": TicketKind.COMPLAINT,
    "Sales enquiries": TicketKind.QUESTION,
}
REPLIES = [
    "سلام، درخواست شما بررسی شد و همکاران فنی پیگیری می‌کنند.",
    "با پوزش از تأخیر، مشکل برطرف شد. لطفاً دوباره امتحان کنید.",
    "لطفاً شماره سریال دستگاه را برای ما بفرستید.",
    "صورتحساب اصلاح‌شده پیوست شد.",
]
CUSTOMER_LINES = ["ممنون، مشکل حل شد.", "هنوز همان مشکل را داریم.", "شماره سریال: SN-48213", "لطفاً سریع‌تر پیگیری کنید."]
COMMENTS = ["پاسخ سریع و دقیق بود.", "خیلی طول کشید.", "پشتیبان بسیار مؤدب بود.", "", ""]
# Share of the day's tickets by weekday (Monday 0 … Sunday 6): Saturday busiest, Thursday light, Friday almost none.
WEEKDAY_WEIGHT = {5: 1.35, 6: 1.2, 0: 1.1, 1: 1.0, 2: 0.95, 3: 0.45, 4: 0.08}


@dataclass
class ServiceDemoSummary:
    categories: int = 0
    tickets: int = 0
    open: int = 0
    messages: int = 0
    answers: int = 0
    articles: int = 0


def seed_service(
    *,
    seed: int | None,
    staff: DemoStaff,
    if_empty: bool = True,
    per_day: float = 4.0,
    note: Callable[[str], None] | None = None,
) -> ServiceDemoSummary | None:
    """The desk's configuration and a year of tickets for the newest demo customers (about `per_day` a working
    day), in one transaction; None when there are tickets already (with `if_empty`) or no customers."""
    if if_empty and Ticket.objects.exists():
        return None
    customers = list(
        Customer.objects.filter(deleted_at__isnull=True).order_by("-id").select_related("owner")[:MAX_CUSTOMERS]
    )
    if not customers:
        return None
    rng = random.Random(seed)
    with transaction.atomic():
        summary = _seed(rng, staff, customers, per_day)
    if note:
        note(
            f"service desk: {summary.categories} categories, {summary.tickets} tickets ({summary.open} open), "
            f"{summary.messages} messages, {summary.answers} satisfaction answers, {summary.articles} articles"
        )
    return summary


def _categories() -> dict[str, TicketCategory]:
    made: dict[str, TicketCategory] = {}

    def make(name: str, name_en: str, parent: TicketCategory | None, fields: list[dict[str, object]]) -> None:
        category = TicketCategory.objects.create(
            name=name, name_en=name_en, parent=parent, fields=fields, position=len(made)
        )
        category.path = f"{parent.path if parent else '/'}{category.pk}/"
        category.save(update_fields=["path"])
        made[name_en] = category

    for name, name_en, children in CATEGORIES:
        make(name, name_en, None, [])
        for child, child_en, fields in children:
            make(child, child_en, made[name_en], fields)
    return made


def _configure(staff: DemoStaff, categories: dict[str, TicketCategory]) -> None:
    support, key = staff.teams["support"], staff.teams["key"]
    config = service_settings()
    config.default_team = support
    config.save(update_fields=["default_team", "updated_at"])
    for name in ("Technical", "Billing", "Complaints"):
        categories[name].default_team = support
        categories[name].save(update_fields=["default_team", "updated_at"])
    policy = AssignmentPolicy
    rules: list[tuple[str, dict[str, Any], Team, str, str]] = [
        ("مشتریان کلیدی به تیم اختصاصی", {"customer_stage": ["key_account"]}, key, policy.ACCOUNT_MANAGER, "high"),
        ("شکایات به نوبت", {"kind": ["complaint"]}, support, policy.ROUND_ROBIN, ""),
        ("قطعی‌ها به کم‌کارترین", {"keywords": ["قطع", "خرابی", "روشن نمی"]}, support, policy.LEAST_LOADED, ""),
        ("مالی به صف پشتیبانی", {"category": [categories["Billing"].pk]}, support, policy.QUEUE, ""),
    ]
    for position, (name, conditions, team, assignment, priority) in enumerate(rules):
        RoutingRule.objects.create(
            name=name,
            position=position,
            conditions=conditions_clean(conditions),
            team=team,
            policy=assignment,
            set_priority=priority,
        )
    policies = [
        ("فوری", {"priority": ["urgent"]}, 30, 240),
        ("بالا", {"priority": ["high"]}, 60, 8 * 60),
        ("مشتریان طلایی", {"customer_tier": ["gold"]}, 60, 12 * 60),
        ("عادی", {}, 4 * 60, 4 * 8 * 60),
    ]
    for position, (name, conditions, response, resolution) in enumerate(policies):
        SlaPolicy.objects.create(
            name=name,
            position=position,
            conditions=conditions_clean(conditions),
            first_response_minutes=response,
            resolution_minutes=resolution,
            escalate_to=staff.teams["support"] if name == "فوری" else None,
        )


def _seed(rng: random.Random, staff: DemoStaff, customers: list[Customer], per_day: float) -> ServiceDemoSummary:
    summary = ServiceDemoSummary()
    _tiers(customers)
    categories = _categories()
    summary.categories = len(categories)
    _configure(staff, categories)
    for year in official_holiday_years():  # before the calendar is read: the figures count them
        holidays_load_year(by=None, year=year)
    leaves = [c for c in categories.values() if not any(o.parent_id == c.pk for o in categories.values())]
    policies = {p.name: p for p in SlaPolicy.objects.all()}
    calendar = working_calendar()
    support = staff.teams["support"]
    agents = [staff.users["support"], staff.users["support2"], staff.users["supervisor"]]
    now = timezone.now()
    today = timezone.localdate()
    tickets: list[Ticket] = []
    counters: dict[int, int] = {}
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        growth = 0.7 + 0.3 * (HISTORY_DAYS - days_ago) / HISTORY_DAYS
        expected = per_day * WEEKDAY_WEIGHT[day.weekday()] * growth
        for _ in range(_poisson(rng, expected)):
            arrived = _moment(rng, day)
            if arrived > now:
                continue
            ticket = _ticket(rng, arrived, now, calendar, customers, leaves, policies, support, agents)
            year = jdatetime.date.fromgregorian(date=timezone.localdate(arrived)).year
            counters[year] = counters.get(year, 0) + 1
            ticket.number = f"{PREFIXES['ticket']}-{year}-{counters[year]:05d}"
            tickets.append(ticket)
    # The numbers must stay gap-free and unique for tickets made later through the services.
    for year, last in counters.items():
        DocumentSequence.objects.update_or_create(kind="ticket", year=year, defaults={"last": last})
    tickets.sort(key=lambda t: t.created_at)
    _stored(Ticket, tickets, ("created_at", "updated_at"))
    summary.tickets = len(tickets)
    summary.open = sum(1 for t in tickets if t.is_open)
    messages, events, answers = _conversations(rng, tickets)
    _stored(TicketMessage, messages, ("created_at", "updated_at"))
    _stored(TicketEvent, events, ("at",))
    _stored(TicketSatisfaction, answers, ("created_at", "updated_at"))
    summary.messages, summary.answers = len(messages), sum(1 for a in answers if a.score)
    summary.articles = seed_kb_demo()
    return summary


def _stored(model: type[Any], rows: list[Any], stamps: tuple[str, ...]) -> None:
    """bulk_create `rows`, keeping the times they were given (auto_now and auto_now_add set them to now)."""
    given = [[getattr(row, name) for name in stamps] for row in rows]
    model.objects.bulk_create(rows, batch_size=500)
    for row, values in zip(rows, given, strict=True):
        for name, value in zip(stamps, values, strict=True):
            setattr(row, name, value)
    model.objects.bulk_update(rows, list(stamps), batch_size=500)


def _tiers(customers: list[Customer]) -> None:
    """Gold, silver and bronze by what the demo customers bought: the top tenth, the next quarter, the next 40%."""
    revenue = dict(
        Order.objects.filter(PURCHASE, customer__in=customers)
        .values("customer_id")
        .annotate(total=Sum("net_total"))
        .values_list("customer_id", "total")
    )
    ranked = sorted(customers, key=lambda c: (-(revenue.get(c.pk) or 0), c.pk))
    bounds = [(0.10, Tier.GOLD), (0.35, Tier.SILVER), (0.75, Tier.BRONZE)]
    for index, customer in enumerate(ranked):
        share = index / len(ranked)
        customer.tier = next((tier for bound, tier in bounds if share < bound), "")
    Customer.objects.bulk_update(ranked, ["tier"], batch_size=500)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means of a day's tickets.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _moment(rng: random.Random, day: date) -> datetime:
    """Most tickets arrive in office hours, some in the evening (e-mail, the portal)."""
    hour = rng.choice([8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 15, 17, 20, 22])
    local = datetime.combine(day, time(hour, rng.randrange(60)), timezone.get_default_timezone())
    return local.astimezone(timezone.get_current_timezone())


def _ticket(
    rng: random.Random,
    arrived: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    customers: list[Customer],
    leaves: list[TicketCategory],
    policies: dict[str, SlaPolicy],
    support: Team,
    agents: list[User],
) -> Ticket:
    customer = rng.choice(customers)
    category = rng.choice(leaves)
    kind = KINDS.get(category.name_en, rng.choice([TicketKind.REQUEST, TicketKind.REQUEST, TicketKind.QUESTION]))
    priority = rng.choices(
        [TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT], [2, 10, 3, 1]
    )[0]
    if priority == TicketPriority.URGENT:
        policy = policies["فوری"]
    elif priority == TicketPriority.HIGH:
        policy = policies["بالا"]
    else:
        policy = policies["مشتریان طلایی"] if customer.tier == Tier.GOLD else policies["عادی"]
    assignee = rng.choice(agents)
    ticket = Ticket(
        kind=kind,
        category=category,
        subject=rng.choice(SUBJECTS[category.name_en]),
        description="لطفاً بررسی و پیگیری کنید. از دیروز این مشکل را داریم.",
        priority=priority,
        channel=rng.choice([TicketChannel.PHONE, TicketChannel.EMAIL, TicketChannel.PORTAL, TicketChannel.STAFF]),
        customer=customer,
        team=support,
        assignee=assignee,
        sla_policy=policy,
        first_response_due_at=calendar.add_minutes(arrived, policy.first_response_minutes),
        resolution_due_at=calendar.add_minutes(arrived, policy.resolution_minutes),
        created_at=arrived,
        updated_at=arrived,
        created_by=assignee,
    )
    # Response and resolution in business minutes: mostly within target, a tail beyond it.
    response = int(policy.first_response_minutes * rng.lognormvariate(-0.9, 0.8))
    resolution = max(response + 10, int(policy.resolution_minutes * rng.lognormvariate(-1.0, 0.7)))
    responded = calendar.add_minutes(arrived, response)
    resolved = calendar.add_minutes(arrived, resolution)
    if now - arrived < timedelta(days=7) and rng.random() < 0.6:
        resolved = now + timedelta(days=1)  # this week's queue: most recent tickets are still being worked on
    if responded <= now:
        ticket.first_responded_at = responded
        ticket.first_response_minutes = response
        ticket.first_response_breached = response > policy.first_response_minutes
        ticket.last_staff_reply_at = responded
    if resolved <= now:
        ticket.resolved_at = resolved
        ticket.resolution_minutes = resolution
        ticket.resolution_breached = resolution > policy.resolution_minutes
        ticket.reopen_count = 1 if rng.random() < 0.05 else 0
        closed = resolved + timedelta(days=7)
        ticket.status = TicketStatus.CLOSED if closed <= now else TicketStatus.RESOLVED
        ticket.closed_at = closed if closed <= now else None
        ticket.updated_at = ticket.closed_at or resolved
    else:
        ticket.status = rng.choice([TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.WAITING])
        if ticket.first_responded_at is None:
            ticket.status = rng.choice([TicketStatus.NEW, TicketStatus.ASSIGNED])
            if ticket.status == TicketStatus.NEW:
                ticket.assignee = None
        response_due, resolution_due = ticket.first_response_due_at, ticket.resolution_due_at
        ticket.first_response_breached = ticket.first_responded_at is None and bool(response_due and response_due < now)
        ticket.resolution_breached = bool(resolution_due and resolution_due < now)
    ticket.last_customer_message_at = arrived
    return ticket


def _conversations(
    rng: random.Random, tickets: list[Ticket]
) -> tuple[list[TicketMessage], list[TicketEvent], list[TicketSatisfaction]]:
    messages: list[TicketMessage] = []
    events: list[TicketEvent] = []
    answers: list[TicketSatisfaction] = []

    def message(ticket: Ticket, kind: str, body: str, at: datetime, author: User | None = None) -> None:
        messages.append(TicketMessage(ticket=ticket, kind=kind, body=body, author=author, created_at=at, updated_at=at))

    for ticket in tickets:
        arrived = ticket.created_at
        events.append(TicketEvent(ticket=ticket, kind="created", data={"channel": ticket.channel}, at=arrived))
        if ticket.first_responded_at:
            replied = ticket.first_responded_at
            message(ticket, MessageKind.REPLY, rng.choice(REPLIES), replied, ticket.assignee)
            if rng.random() < 0.5:
                message(ticket, MessageKind.CUSTOMER, rng.choice(CUSTOMER_LINES), replied + timedelta(minutes=40))
            if rng.random() < 0.3:
                message(
                    ticket, MessageKind.NOTE, "با واحد فنی هماهنگ شد.", replied + timedelta(minutes=5), ticket.assignee
                )
        if ticket.resolved_at:
            events.append(
                TicketEvent(
                    ticket=ticket, kind="status", by=ticket.assignee, data={"to": "resolved"}, at=ticket.resolved_at
                )
            )
            if rng.random() < 0.6:
                breached = ticket.resolution_breached or ticket.first_response_breached
                score = rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 30, 53] if not breached else [15, 20, 25, 25, 15])[0]
                answered = ticket.resolved_at + timedelta(hours=rng.randint(1, 30))
                answers.append(
                    TicketSatisfaction(
                        ticket=ticket,
                        token=f"demo{ticket.pk:08d}{rng.getrandbits(64):016x}",
                        score=score,
                        comment=rng.choice(COMMENTS),
                        answered_at=answered,
                        created_at=ticket.resolved_at,
                        updated_at=answered,
                        agent=ticket.assignee,
                        team=ticket.team,
                        category=ticket.category,
                    )
                )
    return messages, events, answers
