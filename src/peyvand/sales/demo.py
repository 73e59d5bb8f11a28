"""Persian demo sales data: a catalogue, deals in every stage, three years of orders with the seasons of an
Iranian market, their invoices and payments (cheques among them, some invoices overdue), and a few quotes.

Written with bulk_create for speed; every line and total is worked out by `services.pricing` (price_line,
totals_of), as the services would, so the documents add up. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import jdatetime
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from peyvand.core.jalali import JalaliMonth, months_between
from peyvand.core.text import clean_text
from peyvand.customers.demo import DemoStaff
from peyvand.customers.models import Customer
from peyvand.sales.models import (
    ChequeStatus,
    Competitor,
    Deal,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    Pipeline,
    Product,
    ProductKind,
    Quote,
    QuoteLine,
    QuoteStatus,
    Stage,
    StageOutcome,
)
from peyvand.sales.services.numbering import PREFIXES
from peyvand.sales.services.pricing import PricedLine, Totals, default_vat_rate_bp, price_line, totals_of

# How many customers take part: enough for a lively demo, and the same whatever the size of the customer base
# (seed_demo --customers 1000000 must not spend minutes here).
MAX_CUSTOMERS = 2000
HISTORY_MONTHS = 36

# (name, SKU, kind, unit, price in Rials, cost in Rials, VAT applies)
PRODUCTS: list[tuple[str, str, str, str, int, int, bool]] = [
    ("لپ‌تاپ اداری ۱۵ اینچ", "LT-15", ProductKind.PRODUCT, "دستگاه", 420_000_000, 355_000_000, True),
    ("رایانه رومیزی", "PC-01", ProductKind.PRODUCT, "دستگاه", 310_000_000, 262_000_000, True),
    ("مانیتور ۲۷ اینچ", "MN-27", ProductKind.PRODUCT, "عدد", 118_000_000, 96_000_000, True),
    ("چاپگر لیزری چندکاره", "PR-LZ", ProductKind.PRODUCT, "دستگاه", 165_000_000, 139_000_000, True),
    ("سرور رکمونت", "SV-R2", ProductKind.PRODUCT, "دستگاه", 2_650_000_000, 2_240_000_000, True),
    ("سوئیچ شبکه ۲۴ پورت", "SW-24", ProductKind.PRODUCT, "عدد", 142_000_000, 118_000_000, True),
    ("یو‌پی‌اس ۳ کیلوولت‌آمپر", "UPS-3", ProductKind.PRODUCT, "دستگاه", 205_000_000, 171_000_000, True),
    ("کارتریج تونر", "TN-01", ProductKind.PRODUCT, "عدد", 6_500_000, 4_900_000, True),
    ("کاغذ A4 (کارتن ۵ بسته)", "PA-A4", ProductKind.PRODUCT, "کارتن", 9_800_000, 8_100_000, False),
    ("مجوز نرم‌افزار حسابداری (سالانه)", "SF-ACC", ProductKind.SERVICE, "مجوز", 95_000_000, 20_000_000, True),
    ("مجوز نرم‌افزار CRM (هر کاربر، سالانه)", "SF-CRM", ProductKind.SERVICE, "کاربر", 38_000_000, 6_000_000, True),
    ("نصب و راه‌اندازی شبکه", "SR-NET", ProductKind.SERVICE, "ساعت", 4_500_000, 2_200_000, True),
    ("پشتیبانی سالانه", "SR-SUP", ProductKind.SERVICE, "قرارداد", 180_000_000, 70_000_000, True),
    ("آموزش کاربران", "SR-TRN", ProductKind.SERVICE, "ساعت", 3_200_000, 1_500_000, True),
    ("بسته تجهیزات نوروزی کارکنان", "GF-NWZ", ProductKind.PRODUCT, "بسته", 12_000_000, 8_700_000, True),
]
# Orders per month, relative: Bahman and Esfand are the year-end and pre-Nowruz rush (budgets spent, gifts
# bought), Farvardin is the Nowruz holiday, Mehr the return after summer, Dey the Gregorian year-end of
# foreign suppliers.
SEASON = {1: 0.55, 2: 0.9, 3: 1.0, 4: 0.95, 5: 0.85, 6: 0.9, 7: 1.1, 8: 1.0, 9: 1.0, 10: 1.15, 11: 1.35, 12: 1.9}
DEAL_TITLES = [
    "تجهیز اتاق سرور",
    "نوسازی رایانه‌های اداری",
    "قرارداد پشتیبانی سالانه",
    "راه‌اندازی شبکه شعبه جدید",
    "خرید مجوزهای نرم‌افزار",
    "تأمین چاپگرهای واحد مالی",
    "بسته هدایای نوروزی کارکنان",
    "طرح آموزش کاربران",
    "ارتقای یو‌پی‌اس مرکز داده",
    "تمدید مجوزهای CRM",
]
NEXT_STEPS = ["ارسال پیش‌فاکتور", "جلسه با مدیر فنی", "پیگیری تلفنی", "ارسال نمونه قرارداد", "دمو محصول"]
LOST_REASONS = ["قیمت رقیب کمتر بود", "بودجه مصوب نشد", "زمان تحویل طولانی بود", "تصمیم به تعویق افتاد"]
COMPETITORS = ["شرکت داده‌پردازان", "گروه فناوری آوا", "بازرگانی پیشرو"]
# (id, owner id, team id) of a customer taking part.
CustomerRow = tuple[int, int | None, int | None]
BANKS = ["ملت", "ملی", "صادرات", "تجارت", "پاسارگاد", "سامان", "پارسیان"]


@dataclass
class SalesDemoSummary:
    products: int
    deals: int
    orders: int
    invoices: int
    payments: int
    quotes: int
    seconds: float


class _Numbers:
    """Document numbers as `services.numbering` gives them (SO-1405-00042), counted here for a whole batch and
    stored in DocumentSequence at the end, so numbers given later carry on after the demo's."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {
            (kind, year): last for kind, year, last in DocumentSequence.objects.values_list("kind", "year", "last")
        }

    def next(self, kind: str, day: date) -> str:
        year = jdatetime.date.fromgregorian(date=day).year
        value = self.last.get((kind, year), 0) + 1
        self.last[(kind, year)] = value
        return f"{PREFIXES[kind]}-{year}-{value:05d}"

    def save(self) -> None:
        for (kind, year), last in self.last.items():
            DocumentSequence.objects.update_or_create(kind=kind, year=year, defaults={"last": last})


def _products() -> list[Product]:
    products = []
    for name, sku, kind, unit, price, cost, vat in PRODUCTS:
        product, _created = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": clean_text(name),
                "kind": kind,
                "unit": clean_text(unit),
                "unit_price": price,
                "unit_cost": cost,
                "vat_applies": vat,
            },
        )
        products.append(product)
    return products


def _lines(rng: random.Random, products: list[Product], vat_bp: int, *, big: bool = False) -> list[PricedLine]:
    """One to three lines of catalogue items, a discount now and then, priced by services.pricing."""
    chosen = rng.sample(products, rng.choice((1, 1, 2, 2, 3)))
    lines = []
    for product in chosen:
        expensive = product.unit_price >= 100_000_000
        quantity = Decimal(rng.randint(1, 3 if expensive else 20) * (3 if big else 1))
        if product.unit == "ساعت":
            quantity = Decimal(rng.choice((4, 8, 12, 16, 24, 40)))
        discount = Decimal(rng.choice((0, 0, 0, 0, 5, 10, Decimal("12.5"))))
        lines.append(
            price_line(
                quantity=quantity,
                unit_price=product.unit_price,
                discount_percent=discount,
                vat_applies=product.vat_applies,
                vat_rate_bp=vat_bp,
                product_id=product.pk,
                description=product.name,
                unit=product.unit,
                unit_cost=product.unit_cost,
            )
        )
    return lines


def _moment(day: date, rng: random.Random) -> datetime:
    """A working-hours moment of `day` in Tehran, as an aware datetime."""
    local = datetime.combine(day, time(rng.randint(9, 17), rng.randrange(60)))
    return timezone.make_aware(local, timezone.get_default_timezone())


def _line_rows(model: type[Any], lines: list[PricedLine], **parent: Any) -> list[Any]:
    return [model(position=i, **line.model_values(), **parent) for i, line in enumerate(lines, start=1)]


def _document_values(totals: Totals, vat_bp: int) -> dict[str, Any]:
    return {**totals.model_values(), "vat_rate_bp": vat_bp}


def seed_sales(
    *,
    seed: int | None,
    staff: DemoStaff,
    if_empty: bool = False,
    max_customers: int = MAX_CUSTOMERS,
    months: int = HISTORY_MONTHS,
    note: Callable[[str], None] | None = None,
) -> SalesDemoSummary | None:
    """Demo sales for the newest `max_customers` customers (the demo customers seed_demo has just made), in one
    transaction. With `if_empty`, nothing is done when there are orders or deals already, so a second run adds
    no second round of sales."""
    if if_empty and (Order.objects.exists() or Deal.objects.exists()):
        return None
    started = clock.monotonic()
    rng = random.Random(seed)
    customers: list[CustomerRow] = [
        (pk, owner_id, team_id)
        # The newest customers: those seed_demo has just made, never older (possibly real) ones before them.
        for pk, owner_id, team_id in Customer.objects.filter(deleted_at__isnull=True)
        .order_by("-id")
        .values_list("id", "owner_id", "team_id")[:max_customers]
    ]
    if not customers:
        return None
    with transaction.atomic():
        summary = _seed(rng, staff, customers, months)
    summary.seconds = clock.monotonic() - started
    if note:
        note(
            f"sales: {summary.products} products, {summary.deals} deals, {summary.orders} orders, "
            f"{summary.invoices} invoices, {summary.payments} payments, {summary.quotes} quotes "
            f"in {summary.seconds:.1f} s"
        )
    _rank_customers()
    return summary


def _rank_customers() -> None:
    # The customers' value ranking reads the orders just written; without it the 360° pages show no rank.
    try:
        from peyvand.sales.services.customer_value import ranking_recompute
    except ImportError:  # pragma: no cover - only while that part is missing
        return
    ranking_recompute()


def _seed(rng: random.Random, staff: DemoStaff, customers: list[CustomerRow], months: int) -> SalesDemoSummary:
    products = _products()
    vat_bp = default_vat_rate_bp()
    numbers = _Numbers()
    today = timezone.localdate()
    creator = staff.users.get("admin")
    deals = _deals(rng, customers, products, today, creator)
    orders, invoices, payments = _orders(rng, customers, products, vat_bp, numbers, today, months, creator)
    quotes = _quotes(rng, deals, products, vat_bp, numbers, today, creator)
    numbers.save()
    return SalesDemoSummary(len(products), len(deals), orders, invoices, payments, quotes, 0.0)


def _deals(
    rng: random.Random,
    customers: list[CustomerRow],
    products: list[Product],
    today: date,
    creator: Any,
) -> list[Deal]:
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        return []
    stages = list(pipeline.stages.order_by("position", "id"))
    open_stages = [s for s in stages if s.outcome == StageOutcome.OPEN]
    won = next((s for s in stages if s.outcome == StageOutcome.WON), None)
    lost = next((s for s in stages if s.outcome == StageOutcome.LOST), None)
    competitors = [
        Competitor.objects.get_or_create(key=clean_text(name).replace(" ", ""), defaults={"name": name})[0]
        for name in COMPETITORS
    ]
    now = timezone.now()
    # Early stages hold more deals than late ones, as a funnel does.
    weights = [max(1, 10 - 2 * i) for i in range(len(open_stages))]
    rows = []
    for customer_id, owner_id, team_id in rng.sample(customers, max(1, len(customers) // 6)):
        roll = rng.random()
        stage: Stage = (
            rng.choices(open_stages, weights)[0] if roll < 0.7 or not (won and lost) else (won if roll < 0.86 else lost)
        )
        product = rng.choice(products)
        amount = product.unit_price * rng.randint(1, 12)
        closed = stage.outcome != StageOutcome.OPEN
        expected = today + timedelta(days=rng.randint(-45, 200)) if rng.random() < 0.85 else None
        due = now + timedelta(days=rng.randint(-10, 20), hours=rng.randint(0, 8))
        rows.append(
            Deal(
                title=rng.choice(DEAL_TITLES),
                customer_id=customer_id,
                pipeline=pipeline,
                stage=stage,
                amount=amount,
                expected_close_date=expected,
                owner_id=owner_id,
                team_id=team_id,
                next_step="" if closed else rng.choice(NEXT_STEPS),
                next_step_due_at=None if closed else due,
                lost_reason=rng.choice(LOST_REASONS) if stage is lost else "",
                lost_to=rng.choice(competitors) if stage is lost and rng.random() < 0.6 else None,
                closed_at=now - timedelta(days=rng.randint(1, 120)) if closed else None,
                created_by=creator,
            )
        )
    return Deal.objects.bulk_create(rows, batch_size=500)


def _orders(
    rng: random.Random,
    customers: list[CustomerRow],
    products: list[Product],
    vat_bp: int,
    numbers: _Numbers,
    today: date,
    months: int,
    creator: Any,
) -> tuple[int, int, int]:
    """`months` months of orders up to today, with a growing trend and the seasons; an invoice for each order
    that stands, and payments for most of them."""
    this_month = JalaliMonth.of(today)
    first = this_month.shifted(-months)
    # Roughly one order a month for every 25 customers at the end of the history, fewer at its start.
    per_month = max(4, len(customers) // 25)
    order_rows: list[Order] = []
    order_lines: list[list[PricedLine]] = []
    for index, month in enumerate(months_between(first, this_month)):
        growth = 0.7 + 0.3 * index / max(months, 1)
        count = int(per_month * growth * SEASON[month.month] * rng.uniform(0.92, 1.08))
        days = [d for d in month.days() if d <= today]
        for _ in range(count if days else 0):
            day = rng.choice(days)
            customer_id, owner_id, team_id = rng.choice(customers)
            lines = _lines(rng, products, vat_bp)
            totals = totals_of(lines)
            cancelled = rng.random() < 0.03
            recent = (today - day).days < 20
            status = (
                OrderStatus.CANCELLED
                if cancelled
                else OrderStatus.CONFIRMED
                if recent and rng.random() < 0.6
                else OrderStatus.FULFILLED
            )
            order_rows.append(
                Order(
                    customer_id=customer_id,
                    status=status,
                    ordered_at=_moment(day, rng),
                    cancelled_reason="انصراف مشتری" if cancelled else "",
                    owner_id=owner_id,
                    team_id=team_id,
                    created_by=creator,
                    **_document_values(totals, vat_bp),
                )
            )
            order_lines.append(lines)
    # Numbers follow the dates within each Jalali year, as they would have been given.
    pairs = sorted(zip(order_rows, order_lines, strict=True), key=lambda pair: pair[0].ordered_at)
    for order, _lines_of_order in pairs:
        order.number = numbers.next("order", timezone.localdate(order.ordered_at))
    saved = Order.objects.bulk_create([order for order, _lines_of_order in pairs], batch_size=1000)
    by_number = {order.number: priced for order, priced in pairs}
    OrderLine.objects.bulk_create(
        [row for order in saved for row in _line_rows(OrderLine, by_number[order.number], order=order)],
        batch_size=2000,
    )
    return (
        len(saved),
        *_invoices(
            rng, [o for o in saved if o.status != OrderStatus.CANCELLED], by_number, vat_bp, numbers, today, creator
        ),
    )


def _invoices(
    rng: random.Random,
    orders: list[Order],
    lines_of: dict[str, list[PricedLine]],
    vat_bp: int,
    numbers: _Numbers,
    today: date,
    creator: Any,
) -> tuple[int, int]:
    """An invoice for each order, and its payments: most old invoices settled, a few unpaid or half paid (so
    the overdue list has something), by transfer, card, cheque (some not yet due, a few bounced) or cash."""
    invoices: list[Invoice] = []
    payments_of: list[list[Payment]] = []
    now = timezone.now()
    # Past every reference already given, so that a second run does not repeat one.
    references = Payment.objects.aggregate(last=Max("id"))["last"] or 0
    for order in orders:
        issued = timezone.localdate(order.ordered_at)
        due = issued + timedelta(days=rng.choice((0, 7, 15, 30, 30, 45, 60)))
        roll = rng.random()
        if (today - issued).days > 60:
            share = 1.0 if roll < 0.9 else (0.5 if roll < 0.96 else 0.0)
        else:
            share = 1.0 if roll < 0.55 else (0.5 if roll < 0.75 else 0.0)
        payments: list[Payment] = []
        remaining = int(order.total * share)
        parts = 1 if share < 1 or rng.random() < 0.7 else 2
        for part in range(parts if remaining else 0):
            amount = remaining if part == parts - 1 else remaining // 2
            remaining -= amount
            method = rng.choices(
                [PaymentMethod.TRANSFER, PaymentMethod.CARD, PaymentMethod.CHEQUE, PaymentMethod.CASH], [40, 25, 25, 10]
            )[0]
            received = min(order.ordered_at + timedelta(days=rng.randint(0, max(1, (due - issued).days))), now)
            references += 1
            cheque: dict[str, Any] = {}
            if method == PaymentMethod.CHEQUE:
                cheque_due = timezone.localdate(received) + timedelta(days=rng.choice((0, 15, 30, 60, 90)))
                bounced = cheque_due <= today and rng.random() < 0.06
                cheque = {
                    "cheque_number": f"{rng.randrange(10**9, 10**10)}",
                    "cheque_bank": rng.choice(BANKS),
                    "cheque_due_date": cheque_due,
                    "cheque_status": (
                        ChequeStatus.PENDING
                        if cheque_due > today
                        else ChequeStatus.BOUNCED
                        if bounced
                        else ChequeStatus.CLEARED
                    ),
                }
            if amount > 0:
                payments.append(
                    Payment(
                        customer_id=order.customer_id,
                        amount=amount,
                        method=method,
                        received_at=received,
                        created_by=creator,
                        # Card and transfer receipts carry the bank's tracking number, unique per method.
                        reference="" if method in (PaymentMethod.CASH, PaymentMethod.CHEQUE) else f"DM{references:09d}",
                        **cheque,
                    )
                )
        # What counts towards the invoice: every payment but a bounced cheque.
        paid = sum(payment.amount for payment in payments if payment.counts)
        status = (
            InvoiceStatus.PAID
            if paid >= order.total
            else InvoiceStatus.PARTIALLY_PAID
            if paid
            else InvoiceStatus.ISSUED
        )
        invoices.append(
            Invoice(
                number=numbers.next("invoice", issued),
                customer_id=order.customer_id,
                order=order,
                status=status,
                issue_date=issued,
                due_date=due,
                paid_total=paid,
                owner_id=order.owner_id,
                team_id=order.team_id,
                created_by=creator,
                **_document_values(
                    Totals(
                        order.gross_total,
                        order.discount_total,
                        order.net_total,
                        order.vat_total,
                        order.total,
                        order.cost_total,
                    ),
                    vat_bp,
                ),
            )
        )
        payments_of.append(payments)
    saved = Invoice.objects.bulk_create(invoices, batch_size=1000)
    InvoiceLine.objects.bulk_create(
        [
            row
            for invoice, order in zip(saved, orders, strict=True)
            for row in _line_rows(InvoiceLine, lines_of[order.number], invoice=invoice)
        ],
        batch_size=2000,
    )
    every_payment = []
    for invoice, payments in zip(saved, payments_of, strict=True):
        for payment in payments:
            payment.invoice = invoice
            every_payment.append(payment)
    Payment.objects.bulk_create(every_payment, batch_size=2000)
    return len(saved), len(every_payment)


def _quotes(
    rng: random.Random,
    deals: list[Deal],
    products: list[Product],
    vat_bp: int,
    numbers: _Numbers,
    today: date,
    creator: Any,
) -> int:
    """A quote for some of the open deals past the first stage: drafts, sent and accepted ones."""
    candidates = [d for d in deals if d.closed_at is None and d.stage.position > 1]
    chosen = rng.sample(candidates, min(len(candidates), 40))
    quotes: list[Quote] = []
    lines: list[list[PricedLine]] = []
    for deal in chosen:
        issued = today - timedelta(days=rng.randint(0, 40))
        priced = _lines(rng, products, vat_bp, big=True)
        status = rng.choice((QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.SENT, QuoteStatus.ACCEPTED))
        sent = _moment(issued, rng) if status != QuoteStatus.DRAFT else None
        quotes.append(
            Quote(
                number=numbers.next("quote", issued),
                customer_id=deal.customer_id,
                deal=deal,
                title=deal.title,
                status=status,
                issue_date=issued,
                valid_until=issued + timedelta(days=15),
                notes="قیمت‌ها با احتساب نصب و راه‌اندازی است.",
                terms="۵۰٪ پیش‌پرداخت، مانده هنگام تحویل.",
                sent_at=sent,
                decided_at=sent + timedelta(days=3) if sent and status == QuoteStatus.ACCEPTED else None,
                owner_id=deal.owner_id,
                team_id=deal.team_id,
                created_by=creator,
                **_document_values(totals_of(priced), vat_bp),
            )
        )
        lines.append(priced)
    saved = Quote.objects.bulk_create(quotes, batch_size=500)
    QuoteLine.objects.bulk_create(
        [row for quote, priced in zip(saved, lines, strict=True) for row in _line_rows(QuoteLine, priced, quote=quote)],
        batch_size=2000,
    )
    return len(saved)
