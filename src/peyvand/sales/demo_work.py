"""Persian demo data for the day-to-day side of sales: leads from every source (some converted), activities on
the agenda and the team calendar (done, due today, overdue and planned), contracts (some ending soon, some
expired, a few with a renewal) and sales targets for this Jalali month, quarter and year.

Runs after `sales.demo` (it reads the demo customers and deals that made) in one transaction; deterministic for a
given seed; does nothing when leads or activities exist already.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import jdatetime
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.customers.demo import DemoStaff
from peyvand.customers.models import Customer
from peyvand.sales.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Contract,
    ContractStatus,
    Deal,
    DocumentSequence,
    Lead,
    LeadSource,
    LeadStatus,
    Order,
    Target,
    TargetMetric,
    TargetPeriod,
)
from peyvand.sales.models.billing import PURCHASE
from peyvand.sales.services.numbering import PREFIXES

FIRST_NAMES = ["رضا", "مریم", "حسین", "زهرا", "امیر", "فاطمه", "مهدی", "نگار", "کاوه", "الهام", "بهرام", "شیرین"]
LAST_NAMES = ["کاظمی", "موسوی", "جعفری", "نوری", "صادقی", "رحمانی", "یزدانی", "فرهادی", "کریمی", "طاهری"]
COMPANIES = [
    "بازرگانی آرمان",
    "صنایع غذایی مهرگان",
    "داروسازی البرز نوین",
    "مهندسی سازه پارس",
    "فروشگاه‌های زنجیره‌ای آفتاب",
    "حمل‌ونقل سپهر",
    "",
    "",
]
CITIES = ["تهران", "اصفهان", "شیراز", "مشهد", "تبریز", "کرج", "رشت"]
INTERESTS = ["تجهیز دفتر مرکزی", "نرم‌افزار حسابداری", "قرارداد پشتیبانی سالانه", "شبکه و سرور", "آموزش کارکنان"]
SOURCE_DETAILS = {
    LeadSource.WEB_FORM: "فرم تماس وب‌سایت",
    LeadSource.EXHIBITION: "نمایشگاه الکامپ",
    LeadSource.CAMPAIGN: "کمپین پیامکی نوروز",
    LeadSource.REFERRAL: "معرفی مشتری",
    LeadSource.SOCIAL: "اینستاگرام",
    LeadSource.PHONE: "تماس ورودی",
}
CALLS = ["پیگیری پیش‌فاکتور", "تماس معرفی", "هماهنگی تحویل", "پیگیری پرداخت", "پرسش از رضایت"]
MEETINGS = ["جلسهٔ معرفی محصول", "دموی نرم‌افزار", "مذاکرهٔ قیمت", "بازدید از محل نصب"]
TASKS = ["ارسال کاتالوگ", "تهیهٔ پیشنهاد فنی", "بررسی قرارداد", "ارسال پیش‌فاکتور اصلاحی"]
CONTRACTS = ["قرارداد پشتیبانی سالانه", "قرارداد تأمین تجهیزات", "قرارداد نگهداری شبکه", "قرارداد خدمات آموزشی"]


@dataclass
class WorkDemoSummary:
    leads: int
    activities: int
    contracts: int
    targets: int


def seed_sales_work(
    *, seed: int | None, staff: DemoStaff, if_empty: bool = True, note: Callable[[str], None] | None = None
) -> WorkDemoSummary | None:
    if if_empty and (Lead.objects.exists() or Activity.objects.exists() or Contract.objects.exists()):
        return None
    rng = random.Random(seed)
    people = [staff.users[name] for name in ("agent", "agent2", "manager") if name in staff.users]
    if not people:
        return None
    with transaction.atomic():
        summary = WorkDemoSummary(
            leads=_leads(rng, people, staff),
            activities=_activities(rng, people),
            contracts=_contracts(rng),
            targets=_targets(staff),
        )
    if note:
        note(
            f"sales work: {summary.leads} leads, {summary.activities} activities, {summary.contracts} contracts, "
            f"{summary.targets} targets"
        )
    return summary


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _leads(rng: random.Random, people: list[User], staff: DemoStaff) -> int:
    creator = staff.users.get("admin")
    # Converted leads point at demo customers and deals: the report per source then shows what they became.
    converted = list(Deal.objects.select_related("customer").order_by("-id")[:12])
    today = timezone.localdate()
    leads = []
    for index in range(60):
        owner = rng.choice(people)
        source = rng.choice([*SOURCE_DETAILS, LeadSource.MANUAL, LeadSource.IMPORT])
        status = rng.choices(
            [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED],
            weights=[4, 3, 2, 1],
        )[0]
        lead = Lead(
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            company_name=rng.choice(COMPANIES),
            phone=f"+98912{rng.randrange(1_000_000, 9_999_999)}",
            email=f"lead{index + 1}@example.ir" if rng.random() < 0.6 else "",
            city=rng.choice(CITIES),
            source=source,
            source_detail=SOURCE_DETAILS.get(source, ""),
            status=status,
            disqualified_reason="بودجه ندارد" if status == LeadStatus.DISQUALIFIED else "",
            estimated_amount=rng.randrange(5, 400) * 10_000_000,
            interest=rng.choice(INTERESTS),
            owner=owner,
            team=owner.team,
            created_by=creator,
        )
        if index < len(converted):
            deal = converted[index]
            lead.status = LeadStatus.CONVERTED
            lead.converted_customer = deal.customer
            lead.converted_deal = deal
            lead.converted_at = _at(today - timedelta(days=rng.randrange(5, 90)), 11)
            lead.company_name = ""
        leads.append(lead)
    Lead.objects.bulk_create(leads)
    # Spread the creation dates over the last months, as a real list would have them.
    for lead in Lead.objects.order_by("id"):
        Lead.objects.filter(pk=lead.pk).update(created_at=_at(today - timedelta(days=rng.randrange(0, 150)), 10))
    return len(leads)


def _activities(rng: random.Random, people: list[User]) -> int:
    today = timezone.localdate()
    activities = []
    for person in people:
        customers = list(
            Customer.objects.filter(deleted_at__isnull=True, team=person.team).values_list("id", flat=True)[:300]
        ) or list(Customer.objects.filter(deleted_at__isnull=True).values_list("id", flat=True)[:300])
        deals = {
            customer_id: deal_id
            for deal_id, customer_id in Deal.objects.filter(closed_at__isnull=True, team=person.team).values_list(
                "id", "customer_id"
            )[:300]
        }
        for offset in range(-10, 22):
            day = today + timedelta(days=offset)
            if jdatetime.date.fromgregorian(date=day).weekday() == 6:  # Friday: the office is closed
                continue
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                kind = rng.choices([ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TASK], weights=[5, 2, 3])[0]
                subject = rng.choice({"call": CALLS, "meeting": MEETINGS, "task": TASKS}[kind])
                customer_id = rng.choice(customers) if customers else None
                due = _at(day, rng.choice([9, 10, 11, 13, 14, 15, 16]), rng.choice([0, 30]))
                done = offset < 0 and rng.random() < 0.8
                minutes = {"call": 15, "meeting": 60, "task": None}[kind]
                activities.append(
                    Activity(
                        kind=kind,
                        subject=subject,
                        due_at=due,
                        duration_minutes=minutes,
                        location="دفتر مشتری" if kind == ActivityKind.MEETING else "",
                        status=ActivityStatus.DONE if done else ActivityStatus.PLANNED,
                        completed_at=due + timedelta(minutes=minutes or 20) if done else None,
                        outcome="انجام شد؛ پیگیری در هفتهٔ بعد." if done else "",
                        customer_id=customer_id,
                        deal_id=deals.get(customer_id) if customer_id else None,
                        assigned_to=person,
                        team=person.team,
                        remind_minutes_before=15,
                        remind_at=due - timedelta(minutes=15),
                        # The demo's past reminders count as sent: no flood of notices on the first worker run.
                        reminded_at=due - timedelta(minutes=15) if offset <= 0 else None,
                        created_by=person,
                    )
                )
    Activity.objects.bulk_create(activities)
    return len(activities)


def _contracts(rng: random.Random) -> int:
    today = timezone.localdate()
    year = jdatetime.date.fromgregorian(date=today).year
    buyers = list(
        Order.objects.filter(PURCHASE)
        .values("customer_id", "customer__owner_id", "customer__team_id")
        .annotate(revenue=Sum("net_total"))
        .order_by("-revenue")[:30]
    )
    contracts = []
    for index, row in enumerate(buyers):
        # Ends from three months ago to ten months ahead: some expired, some ending within their notice period.
        end = today + timedelta(days=rng.randrange(-90, 300))
        start = end - timedelta(days=364)
        status = ContractStatus.EXPIRED if end < today else ContractStatus.ACTIVE
        contracts.append(
            Contract(
                number=f"{PREFIXES['contract']}-{year}-{index + 1:05d}",
                title=rng.choice(CONTRACTS),
                customer_id=row["customer_id"],
                status=status,
                start_date=start,
                end_date=end,
                value=(row["revenue"] // 4 // 10_000_000 + 1) * 10_000_000,
                auto_renew=rng.random() < 0.2,
                renewal_notice_days=30,
                signed_at=start - timedelta(days=7),
                terms="پرداخت سه‌ماهه؛ پاسخ‌گویی در ساعات اداری.",
                owner_id=row["customer__owner_id"],
                team_id=row["customer__team_id"],
            )
        )
    Contract.objects.bulk_create(contracts)
    if contracts:
        DocumentSequence.objects.update_or_create(kind="contract", year=year, defaults={"last": len(contracts)})
    return len(contracts)


def _targets(staff: DemoStaff) -> int:
    """This month's, quarter's and year's targets for each salesperson and the sales team, set a little above
    what the last year's same period brought, as a manager would."""
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    quarter = (today.month - 1) // 3 + 1
    creator = staff.users.get("manager") or staff.users.get("admin")
    year_sales = Order.objects.filter(PURCHASE, ordered_at__gte=timezone.now() - timedelta(days=365))
    targets = []
    for name in ("agent", "agent2", "manager"):
        user = staff.users.get(name)
        if user is None:
            continue
        yearly = year_sales.filter(owner=user).aggregate(total=Sum("net_total"))["total"] or 12_000_000_000
        yearly = (yearly * 11 // 10 // 100_000_000 + 1) * 100_000_000
        for period, number, share in (
            (TargetPeriod.MONTH, today.month, 12),
            (TargetPeriod.QUARTER, quarter, 4),
            (TargetPeriod.YEAR, 0, 1),
        ):
            targets.append(
                Target(
                    user=user,
                    metric=TargetMetric.REVENUE,
                    period=period,
                    jalali_year=today.year,
                    period_number=number,
                    # Round to ten million Rials (a million Tomans), as targets are set.
                    amount=max(1, yearly // share // 10_000_000) * 10_000_000,
                    created_by=creator,
                )
            )
    team = staff.teams.get("sales")
    if team is not None:
        total = sum(target.amount for target in targets if target.period == TargetPeriod.MONTH)
        targets.append(
            Target(
                team=team,
                metric=TargetMetric.REVENUE,
                period=TargetPeriod.MONTH,
                jalali_year=today.year,
                period_number=today.month,
                amount=total,
                created_by=creator,
            )
        )
        targets.append(
            Target(
                team=team,
                metric=TargetMetric.WON_DEALS,
                period=TargetPeriod.QUARTER,
                jalali_year=today.year,
                period_number=quarter,
                amount=total,
                created_by=creator,
            )
        )
    Target.objects.bulk_create(targets)
    return len(targets)
