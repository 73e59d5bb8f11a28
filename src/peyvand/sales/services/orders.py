"""Writes to orders: place one (from lines, or from an accepted quote as it stands), deliver it, cancel it; each
event written to the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.money import format_money
from peyvand.customers.models import Customer, Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import interaction_create
from peyvand.sales.models import (
    Deal,
    Invoice,
    InvoiceStatus,
    Order,
    OrderLine,
    OrderStatus,
    Quote,
)
from peyvand.sales.selectors import deals_visible_to, owned_visible_to, within_reach
from peyvand.sales.services._common import Errors, clean_moment, clean_people
from peyvand.sales.services.numbering import next_number
from peyvand.sales.services.pricing import clean_lines, default_vat_rate_bp, totals_of

# A clock a few minutes ahead (a phone, a till) is not a future order; anything later is a typo that would make
# "days since the last purchase" negative.
FUTURE_TOLERANCE = timedelta(minutes=10)
# Documents are dated within the Jalali years 1300–1599: anything outside is a typo (and would not number).
EARLIEST_DAY = date(1921, 3, 21)
LATEST_DAY = date(2220, 3, 20)
# Fields copied from a quote's lines to the order's, as they were agreed (no re-pricing).
LINE_COPY_FIELDS = (
    "product_id",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "unit_cost",
    "discount_percent",
    "vat_applies",
    "gross_amount",
    "discount_amount",
    "net_amount",
    "vat_amount",
)
TOTAL_COPY_FIELDS = (
    "currency",
    "vat_rate_bp",
    "gross_total",
    "discount_total",
    "net_total",
    "vat_total",
    "total",
    "cost_total",
)


def write_timeline(customer: Customer, *, by: User | None, related: models.Model, subject: str, body: str = "") -> None:
    """Sales documents' events go on the customer's one timeline, linked to the document. The caller's right to
    the document was checked already; the customer may since have left their sight, which must not stop the
    event from being recorded."""
    interaction_create(
        customer=customer,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=subject,
        body=body,
        related=related,
        check_visible=False,
    )


def copy_lines(source: Any, *, line_model: Any, parent: str, document: models.Model) -> None:
    """The stored lines of one document copied onto another (a quote's to an order, an order's to an invoice)."""
    line_model.objects.bulk_create(
        line_model(
            **{parent: document},
            position=line.position,
            **{field: getattr(line, field) for field in LINE_COPY_FIELDS},
        )
        for line in source.lines.order_by("position", "id")
    )


def require_order_visible(order: Order, by: User) -> None:
    if not owned_visible_to(Order.objects.all(), by).filter(pk=order.pk).exists():
        raise Order.DoesNotExist


def day_in_range(day: date | None, errors: Errors, field: str) -> bool:
    """Whether `day` (if any) is a plausible document date; a field error if not."""
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        errors.add(field, _("This date is out of range."))
        return False
    return True


def _clean_ordered_at(value: datetime | None, errors: Errors) -> datetime:
    if value is None:
        return timezone.now()
    moment = clean_moment(value, errors, "ordered_at")
    if moment is None or not day_in_range(moment.date(), errors, "ordered_at"):
        return timezone.now()
    if moment > timezone.now() + FUTURE_TOLERANCE:
        errors.add("ordered_at", _("An order cannot be placed in the future."))
    return moment


@transaction.atomic
def order_create(
    *,
    by: User,
    customer_id: int,
    lines: Sequence[Mapping[str, Any]] | None = None,
    quote: Quote | None = None,
    deal_id: int | None = None,
    ordered_at: datetime | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    notes: str = "",
) -> Order:
    """A confirmed order for a customer the caller can see.

    From `lines` (priced by services.pricing at today's VAT rate), owned by the caller and their team unless they
    assign it within their reach. From a `quote`: its stored lines, VAT rate, totals, customer, deal, owner and
    team exactly as they were accepted; the caller (quote acceptance) has checked its right to the quote.
    """
    errors = Errors()
    moment = _clean_ordered_at(ordered_at, errors)
    text = (notes or "").strip()
    if quote is not None:
        return _order_from_quote(quote=quote, by=by, customer_id=customer_id, moment=moment, notes=text, errors=errors)

    customer = customers_visible_to(by).filter(pk=customer_id).first()
    if customer is None:
        # The same answer for a customer that does not exist and one the caller may not see.
        errors.add("customer_id", _("No such customer."))
    deal: Deal | None = None
    if deal_id is not None:
        deal = deals_visible_to(by).filter(pk=deal_id).first()
        if deal is None:
            errors.add("deal_id", _("No such deal."))
        elif customer is not None and deal.customer_id != customer.pk:
            errors.add("deal_id", _("This deal is with another customer."))
    vat_rate_bp = default_vat_rate_bp()
    priced = clean_lines(lines if lines is not None else [], vat_rate_bp=vat_rate_bp, errors=errors)
    people: dict[str, Any] = {}
    given = {"owner_id": by.pk if owner_id is None else owner_id, "team_id": by.team_id if team_id is None else team_id}
    clean_people(given, by, errors, people)
    if not errors and not within_reach(by, owner_id=people["owner_id"], team_id=people["team_id"]):
        errors.add("owner_id", _("This would put the order out of your reach: keep yourself or your team on it."))
    errors.raise_if_any()
    assert customer is not None
    totals = totals_of(priced)
    order = Order.objects.create(
        number=next_number("order", on=timezone.localdate(moment)),
        customer=customer,
        deal=deal,
        ordered_at=moment,
        notes=text,
        vat_rate_bp=vat_rate_bp,
        created_by=by,
        **people,
        **totals.model_values(),
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, position=index, **line.model_values()) for index, line in enumerate(priced)
    )
    _order_placed(order, by=by)
    return order


def _order_from_quote(
    *, quote: Quote, by: User, customer_id: int, moment: datetime, notes: str, errors: Errors
) -> Order:
    if customer_id != quote.customer_id:
        errors.add("customer_id", _("The quote is for another customer."))
    if Order.objects.filter(quote_id=quote.pk).exists():
        errors.add("quote", _("This quote has been ordered already."))
    if not quote.lines.exists():
        errors.add("quote", _("This quote has no lines to order."))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=next_number("order", on=timezone.localdate(moment)),
                customer_id=quote.customer_id,
                deal_id=quote.deal_id,
                quote=quote,
                ordered_at=moment,
                notes=notes,
                owner_id=quote.owner_id,
                team_id=quote.team_id,
                created_by=by,
                **{field: getattr(quote, field) for field in TOTAL_COPY_FIELDS},
            )
    except IntegrityError:
        # Accepted twice at the same moment: the one-to-one link lets only the first order stand.
        raise ValidationError({"quote": [_("This quote has been ordered already.")]}) from None
    copy_lines(quote, line_model=OrderLine, parent="order", document=order)
    _order_placed(order, by=by)
    return order


def _order_placed(order: Order, *, by: User) -> None:
    body = _("Amount: %(amount)s (before VAT: %(net)s).") % {
        "amount": format_money(order.total),
        "net": format_money(order.net_total),
    }
    if order.quote_id is not None:
        body += "\n" + _("From the quote %(quote)s.") % {"quote": order.quote}
    write_timeline(
        order.customer,
        by=by,
        related=order,
        subject=_("Order placed: %(number)s") % {"number": order.number},
        body=body,
    )


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)


def _set_status(order: Order, *, before: str, fields: dict[str, Any]) -> None:
    """Write the new status only if the row still has the one read: of two people cancelling (or delivering)
    at once on SQLite, where select_for_update does nothing, only one wins."""
    now = timezone.now()
    written = Order.objects.filter(pk=order.pk, status=before).update(**fields, updated_at=now)
    if written != 1:
        raise ValidationError({"status": [_("Someone else changed this order at the same moment; open it again.")]})
    for field, value in fields.items():
        setattr(order, field, value)
    order.updated_at = now


@transaction.atomic
def order_cancel(*, order: Order, by: User, reason: str) -> Order:
    """Cancel an order: it no longer counts as a purchase (customer value, RFM, loyalty). Refused while an
    invoice of it has payments that count (refund or let the cheque bounce first); its unpaid invoices are
    cancelled with it, so that nothing is left asking the customer to pay for it."""
    require_order_visible(order, by)
    order = _locked(order)
    errors = Errors()
    text = (reason or "").strip()
    if not text:
        errors.add("reason", _("Say why the order is cancelled."))
    if order.status == OrderStatus.CANCELLED:
        errors.add("status", _("This order is cancelled already."))
    paid = Invoice.objects.filter(order=order, paid_total__gt=0).exclude(status=InvoiceStatus.CANCELLED)
    if paid.exists():
        errors.add(
            "status",
            _("An invoice of this order has payments (%(numbers)s): cancel or bounce them before the order.")
            % {"numbers": ", ".join(paid.values_list("number", flat=True))},
        )
    errors.raise_if_any()
    before = order.status
    _set_status(order, before=before, fields={"status": OrderStatus.CANCELLED, "cancelled_reason": text})
    open_invoices = list(
        Invoice.objects.select_for_update()
        .filter(order=order, paid_total=0)
        .exclude(status=InvoiceStatus.CANCELLED)
        .values_list("pk", "number")
    )
    # Still no payment on them (the rows are locked, and the condition holds on SQLite): cancel them too.
    Invoice.objects.filter(pk__in=[pk for pk, _number in open_invoices], paid_total=0).update(
        status=InvoiceStatus.CANCELLED, version=models.F("version") + 1, updated_at=timezone.now()
    )
    body = _("Reason: %(reason)s") % {"reason": text}
    if open_invoices:
        body += "\n" + _("Invoices cancelled with it: %(numbers)s") % {
            "numbers": ", ".join(number for _pk, number in open_invoices)
        }
    write_timeline(
        order.customer,
        by=by,
        related=order,
        subject=_("Order cancelled: %(number)s") % {"number": order.number},
        body=body,
    )
    return order


@transaction.atomic
def order_mark_fulfilled(*, order: Order, by: User) -> Order:
    """The order was delivered (goods handed over, the service done). Delivering it again changes nothing."""
    require_order_visible(order, by)
    order = _locked(order)
    if order.status == OrderStatus.FULFILLED:
        return order
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError({"status": [_("A cancelled order cannot be delivered.")]})
    _set_status(order, before=order.status, fields={"status": OrderStatus.FULFILLED})
    write_timeline(
        order.customer,
        by=by,
        related=order,
        subject=_("Order delivered: %(number)s") % {"number": order.number},
    )
    return order
