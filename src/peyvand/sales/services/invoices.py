"""Writes to invoices and their payments: bill an order (or lines of their own), record money received (cash,
card, transfer, cheque), follow cheques until they clear or bounce, cancel an unpaid invoice.

An invoice's `paid_total` is the sum of its payments that count (a bounced cheque does not). Every change to it
locks the invoice's row and is written only if the row is still at the version read, so two payments entered
at the same moment cannot both be taken against the same balance (on SQLite too, where the row lock is a no-op).

Selling "on credit" (نسیه) is not a payment: it is an invoice left open, its balance owed until its due date.
Recording it as a payment would zero the balance and hide the debt from the overdue list, so the method is
refused with that explanation; each payment is recorded when the money (or the cheque) arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.jalali import format_date
from peyvand.core.money import format_money
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.models import (
    ChequeStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
)
from peyvand.sales.selectors import owned_visible_to, within_reach
from peyvand.sales.services._common import (
    ConflictError,
    Errors,
    check_money,
    clean_date,
    clean_line,
    clean_moment,
    clean_people,
    unknown_fields,
)
from peyvand.sales.services.numbering import next_number
from peyvand.sales.services.orders import (
    FUTURE_TOLERANCE,
    copy_lines,
    day_in_range,
    require_order_visible,
    write_timeline,
)
from peyvand.sales.services.pricing import clean_lines, default_vat_rate_bp, totals_of

# Days a customer has to pay when no due date is given: the common "30 days net" of Iranian B2B trade.
DEFAULT_PAYMENT_DAYS = 30
CREATE_FIELDS = {"customer_id", "order_id", "lines", "issue_date", "due_date", "notes", "owner_id", "team_id"}
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def require_invoice_visible(invoice: Invoice, by: User) -> None:
    if not owned_visible_to(Invoice.objects.all(), by).filter(pk=invoice.pk).exists():
        raise Invoice.DoesNotExist


def _dates(issue_value: Any, due_value: Any, errors: Errors) -> tuple[date, date]:
    issue = clean_date(issue_value, errors, "issue_date") or timezone.localdate()
    if not day_in_range(issue, errors, "issue_date"):
        issue = timezone.localdate()
    due = clean_date(due_value, errors, "due_date") or issue + timedelta(days=DEFAULT_PAYMENT_DAYS)
    if not day_in_range(due, errors, "due_date"):
        due = issue
    if due < issue:
        errors.add("due_date", _("The due date cannot be before the invoice's date."))
    return issue, due


def _invoiced_total(order: Order) -> int:
    """What the order's invoices that stand (not cancelled) ask for, VAT included."""
    total = Invoice.objects.filter(order=order).exclude(status=InvoiceStatus.CANCELLED).aggregate(s=Sum("total"))["s"]
    return int(total or 0)


def _lock_order(order: Order) -> Order:
    # Two invoices of one order made at once must not both pass the "not yet invoiced" check.
    return Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)


def _issued(invoice: Invoice, *, by: User) -> None:
    write_timeline(
        invoice.customer,
        by=by,
        related=invoice,
        subject=_("Invoice issued: %(number)s") % {"number": invoice.number},
        body=_("Amount: %(amount)s, due %(due)s.")
        % {"amount": format_money(invoice.total), "due": format_date(invoice.due_date)},
    )


@transaction.atomic
def invoice_create_from_order(
    *, order: Order, by: User, due_date: date | str | None = None, issue_date: date | str | None = None
) -> Invoice:
    """Bill a whole order: its lines and totals copied as stored. Refused for a cancelled order and for one
    already invoiced (cancel that invoice first, or bill the rest with invoice_create and the order's id)."""
    require_order_visible(order, by)
    order = _lock_order(order)
    errors = Errors()
    issue, due = _dates(issue_date, due_date, errors)
    if order.status == OrderStatus.CANCELLED:
        errors.add("order_id", _("This order is cancelled."))
    elif _invoiced_total(order) > 0:
        errors.add("order_id", _("This order has been invoiced already."))
    errors.raise_if_any()
    invoice = Invoice.objects.create(
        number=next_number("invoice", on=issue),
        customer=order.customer,
        order=order,
        issue_date=issue,
        due_date=due,
        owner_id=order.owner_id,
        team_id=order.team_id,
        created_by=by,
        currency=order.currency,
        vat_rate_bp=order.vat_rate_bp,
        gross_total=order.gross_total,
        discount_total=order.discount_total,
        net_total=order.net_total,
        vat_total=order.vat_total,
        total=order.total,
        cost_total=order.cost_total,
    )
    copy_lines(order, line_model=InvoiceLine, parent="invoice", document=invoice)
    _issued(invoice, by=by)
    return invoice


@transaction.atomic
def invoice_create(*, by: User, data: Mapping[str, Any]) -> Invoice:
    """An invoice with lines of its own (a service call, an instalment of an order), for a customer the caller
    can see. With `order_id` it bills part of that order: all its invoices together may not ask for more than
    the order's total."""
    errors = Errors()
    unknown_fields(data, CREATE_FIELDS, errors)
    customer_id = data.get("customer_id")
    customer = (
        customers_visible_to(by).filter(pk=customer_id).first()
        if isinstance(customer_id, int) and not isinstance(customer_id, bool)
        else None
    )
    if customer is None:
        errors.add("customer_id", _("No such customer."))
    order: Order | None = None
    order_id = data.get("order_id")
    if order_id is not None:
        order = (
            owned_visible_to(Order.objects.all(), by).filter(pk=order_id).first() if isinstance(order_id, int) else None
        )
        if order is None:
            errors.add("order_id", _("No such order."))
        else:
            order = _lock_order(order)
            if customer is not None and order.customer_id != customer.pk:
                errors.add("order_id", _("This order is another customer's."))
            elif order.status == OrderStatus.CANCELLED:
                errors.add("order_id", _("This order is cancelled."))
    issue, due = _dates(data.get("issue_date"), data.get("due_date"), errors)
    vat_rate_bp = order.vat_rate_bp if order is not None else default_vat_rate_bp()
    priced = clean_lines(data.get("lines"), vat_rate_bp=vat_rate_bp, errors=errors)
    notes = (str(data.get("notes") or "")).strip()
    people: dict[str, Any] = {}
    given = {
        "owner_id": by.pk if data.get("owner_id") is None else data["owner_id"],
        "team_id": data.get("team_id") if data.get("team_id") is not None else by.team_id,
    }
    clean_people(given, by, errors, people)
    if not errors and not within_reach(by, owner_id=people["owner_id"], team_id=people["team_id"]):
        errors.add("owner_id", _("This would put the invoice out of your reach: keep yourself or your team on it."))
    totals = totals_of(priced)
    if not errors and order is not None and _invoiced_total(order) + totals.total > order.total:
        errors.add(
            "lines",
            _("With this invoice the order would be billed for more than its total (%(total)s); %(left)s is left.")
            % {"total": format_money(order.total), "left": format_money(max(order.total - _invoiced_total(order), 0))},
        )
    errors.raise_if_any()
    assert customer is not None
    invoice = Invoice.objects.create(
        number=next_number("invoice", on=issue),
        customer=customer,
        order=order,
        issue_date=issue,
        due_date=due,
        notes=notes,
        vat_rate_bp=vat_rate_bp,
        created_by=by,
        **people,
        **totals.model_values(),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, position=index, **line.model_values()) for index, line in enumerate(priced)
    )
    _issued(invoice, by=by)
    return invoice


def _locked(invoice: Invoice) -> Invoice:
    """The invoice's row, locked for the rest of the transaction (PostgreSQL), read afresh."""
    return Invoice.objects.select_for_update(of=("self",)).select_related("customer").get(pk=invoice.pk)


def _save_paid(invoice: Invoice, *, version: int, paid_total: int) -> None:
    """Write the new paid total (and the status it implies) only if the row is still at `version`: what keeps
    two payments read against the same balance from both being taken, also where the lock does nothing."""
    if invoice.status == InvoiceStatus.CANCELLED:
        status = InvoiceStatus.CANCELLED
    elif paid_total >= invoice.total:
        status = InvoiceStatus.PAID
    elif paid_total > 0:
        status = InvoiceStatus.PARTIALLY_PAID
    else:
        status = InvoiceStatus.ISSUED
    now = timezone.now()
    written = Invoice.objects.filter(pk=invoice.pk, version=version).update(
        paid_total=paid_total, status=status, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        current = Invoice.objects.filter(pk=invoice.pk).values_list("version", flat=True).first() or version
        raise ConflictError(
            _(
                "Another payment of %(number)s was recorded at the same moment, so this one was not. Look at the "
                "invoice's balance again before recording it."
            )
            % {"number": invoice.number},
            current_version=current,
        )
    invoice.paid_total = paid_total
    invoice.status = status
    invoice.version = version + 1
    invoice.updated_at = now


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, by: User, reason: str = "") -> Invoice:
    """Cancel an invoice issued in error. Refused while payments that count stand against it: refund them (or
    let the cheque bounce) first, so that no money received is left without its bill."""
    require_invoice_visible(invoice, by)
    invoice = _locked(invoice)
    if invoice.status == InvoiceStatus.CANCELLED:
        raise ValidationError({"status": [_("This invoice is cancelled already.")]})
    if invoice.paid_total > 0:
        raise ValidationError(
            {
                "status": [
                    _("This invoice has payments (%(paid)s): it cannot be cancelled.")
                    % {"paid": format_money(invoice.paid_total)}
                ]
            }
        )
    version = invoice.version
    invoice.status = InvoiceStatus.CANCELLED
    _save_paid(invoice, version=version, paid_total=0)
    text = (reason or "").strip()
    invoice.cancelled_reason = text
    invoice.save(update_fields=["cancelled_reason"])
    write_timeline(
        invoice.customer,
        by=by,
        related=invoice,
        subject=_("Invoice cancelled: %(number)s") % {"number": invoice.number},
        body=_("Reason: %(reason)s") % {"reason": text} if text else "",
    )
    return invoice


def _clean_payment(
    *,
    invoice: Invoice,
    amount: Any,
    method: str,
    received_at: datetime | None,
    reference: str,
    cheque_number: str,
    cheque_bank: str,
    cheque_due_date: Any,
    notes: str,
    errors: Errors,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values["amount"] = check_money(amount, field="amount", errors=errors)
    if "amount" not in errors.fields and values["amount"] == 0:
        errors.add("amount", _("A payment is more than zero."))
    if method == PaymentMethod.CREDIT:
        errors.add(
            "method",
            _(
                "Selling on credit is not a payment: the invoice stays open and its balance is what the customer "
                "owes by the due date. Record each payment when it arrives."
            ),
        )
    elif method not in PaymentMethod.values:
        errors.add("method", _("Unknown payment method."))
    moment = timezone.now() if received_at is None else clean_moment(received_at, errors, "received_at")
    if moment is not None and not day_in_range(moment.date(), errors, "received_at"):
        moment = None
    elif moment is not None and moment > timezone.now() + FUTURE_TOLERANCE:
        errors.add("received_at", _("A payment cannot be received in the future."))
    values["received_at"] = moment
    values["reference"] = clean_line(reference, model=Payment, field="reference", errors=errors)
    values["cheque_number"] = clean_line(cheque_number, model=Payment, field="cheque_number", errors=errors)
    values["cheque_bank"] = clean_line(cheque_bank, model=Payment, field="cheque_bank", errors=errors)
    values["cheque_due_date"] = clean_date(cheque_due_date, errors, "cheque_due_date")
    if not day_in_range(values["cheque_due_date"], errors, "cheque_due_date"):
        values["cheque_due_date"] = None
    values["notes"] = clean_line(notes, model=Payment, field="notes", errors=errors)
    if method == PaymentMethod.CHEQUE:
        if not values["cheque_number"]:
            errors.add("cheque_number", _("A cheque needs its number."))
        if values["cheque_due_date"] is None and "cheque_due_date" not in errors.fields:
            errors.add("cheque_due_date", _("A cheque needs its due date."))
        values["cheque_status"] = ChequeStatus.PENDING
        if values["cheque_number"] and _same_cheque(values["cheque_number"], values["cheque_bank"]).exists():
            errors.add("cheque_number", _("This cheque has been recorded already."))
    else:
        for field in ("cheque_number", "cheque_bank", "cheque_due_date"):
            if values[field]:
                errors.add(field, _("Only a cheque has a cheque number, bank and due date."))
        values["cheque_status"] = ""
    reference_taken = Payment.objects.filter(method=method, reference=values["reference"])
    if values["reference"] and method in PaymentMethod.values and reference_taken.exists():
        errors.add("reference", _("A payment with this reference has been recorded already."))
    return values


def _same_cheque(number: str, bank: str) -> Any:
    # A cheque that bounced may be presented again (a new payment); one that stands may not be entered twice.
    return Payment.objects.filter(method=PaymentMethod.CHEQUE, cheque_number=number, cheque_bank=bank).exclude(
        cheque_status=ChequeStatus.BOUNCED
    )


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    by: User,
    amount: int,
    method: str,
    received_at: datetime | None = None,
    reference: str = "",
    cheque_number: str = "",
    cheque_bank: str = "",
    cheque_due_date: date | str | None = None,
    notes: str = "",
) -> Payment:
    """Money received against an invoice the caller can see. Never more than its balance (a second payment of
    a paid bill is refused, not absorbed); a reference (bank tracking number) only once per method; a cheque
    with its number and due date, counted until it bounces."""
    require_invoice_visible(invoice, by)
    invoice = _locked(invoice)
    errors = Errors()
    values = _clean_payment(
        invoice=invoice,
        amount=amount,
        method=method,
        received_at=received_at,
        reference=reference,
        cheque_number=cheque_number,
        cheque_bank=cheque_bank,
        cheque_due_date=cheque_due_date,
        notes=notes,
        errors=errors,
    )
    if invoice.status == InvoiceStatus.CANCELLED:
        errors.add("amount", _("This invoice is cancelled: nothing is owed on it."))
    elif "amount" not in errors.fields and values["amount"] > invoice.balance:
        errors.add(
            "amount",
            _("This would pay more than the balance of %(number)s (%(balance)s is left to pay): is it already paid?")
            % {"number": invoice.number, "balance": format_money(invoice.balance)},
        )
    errors.raise_if_any()
    version = invoice.version
    _save_paid(invoice, version=version, paid_total=invoice.paid_total + values["amount"])
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                invoice=invoice, customer_id=invoice.customer_id, method=method, created_by=by, **values
            )
    except IntegrityError:
        # The same reference entered by someone else at this very moment: the database's constraint decides.
        raise ValidationError({"reference": [_("A payment with this reference has been recorded already.")]}) from None
    write_timeline(
        invoice.customer,
        by=by,
        related=invoice,
        subject=_("Payment received: %(amount)s for %(number)s")
        % {"amount": format_money(payment.amount), "number": invoice.number},
        body=_describe(payment) + "\n" + _("Balance left: %(balance)s.") % {"balance": format_money(invoice.balance)},
    )
    return payment


def _describe(payment: Payment) -> str:
    text = _("Method: %(method)s.") % {"method": payment.get_method_display()}
    if payment.method == PaymentMethod.CHEQUE:
        text += " " + _("Cheque %(number)s, %(bank)s, due %(due)s.") % {
            "number": payment.cheque_number,
            "bank": payment.cheque_bank or "—",
            "due": format_date(payment.cheque_due_date),
        }
    if payment.reference:
        text += " " + _("Reference: %(reference)s.") % {"reference": payment.reference}
    return text


@transaction.atomic
def cheque_set_status(*, payment: Payment, by: User, status: str) -> Payment:
    """A cheque cleared or bounced. A bounced cheque stops counting: the invoice's paid total goes down by its
    amount and the invoice is open again. Once cleared or bounced a cheque's status is final (a bounced
    cheque presented again is a new payment)."""
    require_invoice_visible(payment.invoice, by)
    invoice = _locked(payment.invoice)
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if payment.method != PaymentMethod.CHEQUE:
        raise ValidationError({"status": [_("Only a cheque clears or bounces.")]})
    if status not in (ChequeStatus.CLEARED, ChequeStatus.BOUNCED):
        raise ValidationError({"status": [_("A cheque is marked cleared or bounced.")]})
    if payment.cheque_status == status:
        return payment
    if payment.cheque_status != ChequeStatus.PENDING:
        raise ValidationError(
            {"status": [_("This cheque is %(status)s already.") % {"status": payment.get_cheque_status_display()}]}
        )
    written = Payment.objects.filter(pk=payment.pk, cheque_status=ChequeStatus.PENDING).update(
        cheque_status=status, updated_at=timezone.now()
    )
    if written != 1:
        raise ValidationError({"status": [_("Someone else changed this cheque at the same moment; look again.")]})
    payment.cheque_status = status
    if status == ChequeStatus.BOUNCED:
        _save_paid(invoice, version=invoice.version, paid_total=invoice.paid_total - payment.amount)
        write_timeline(
            invoice.customer,
            by=by,
            related=invoice,
            subject=_("Cheque bounced: %(amount)s for %(number)s")
            % {"amount": format_money(payment.amount), "number": invoice.number},
            body=_describe(payment)
            + "\n"
            + _("The invoice is open again; balance: %(balance)s.") % {"balance": format_money(invoice.balance)},
        )
    payment.invoice = invoice
    return payment
