"""Quotes, orders, invoices and payments: what was offered, what was bought, what was billed, what was paid.

Orders are the one record of "what did this customer buy, when, for how much"; invoices and their payments say
how they paid. Customer value, RFM and loyalty read these tables and nothing else.

Every document keeps its lines and its totals in whole Rials. Line figures are worked out once, by the
services (`services.pricing`), and stored: a document printed next year shows what was agreed, whatever the
catalogue or the VAT rate has become since.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.sales.models._fields import created_by_field, owner_field, team_field

__all__ = [
    "PURCHASE",
    "ChequeStatus",
    "DocumentSequence",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payment",
    "PaymentMethod",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
]


class DocumentSequence(models.Model):
    """The last number given to a kind of document in a Jalali year (PF-1405-00042): numbers have no gaps
    from deleted drafts of other kinds, and two people saving at once never get the same number."""

    kind = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_once")]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last}"


class DocumentTotals(TimeStampedModel):
    """Totals every sales document carries, in Rials, stored as the services computed them."""

    currency = models.CharField(_("currency"), max_length=3, default="IRR")
    # VAT rate in hundredths of a percent (1000 = 10%): the rate in force when the document was made.
    vat_rate_bp = models.PositiveIntegerField(_("VAT rate (basis points)"), default=1000)
    # Sum of the lines before their discounts.
    gross_total = models.BigIntegerField(_("total before discounts (Rial)"), default=0)
    discount_total = models.BigIntegerField(_("discounts (Rial)"), default=0)
    # Sum of the lines after their discounts, before VAT: the revenue the sale brings.
    net_total = models.BigIntegerField(_("total before VAT (Rial)"), default=0)
    vat_total = models.BigIntegerField(_("VAT (Rial)"), default=0)
    total = models.BigIntegerField(_("total payable (Rial)"), default=0)
    # What the lines cost the company (quantity × the product's unit cost at the time): gross margin's base.
    cost_total = models.BigIntegerField(_("cost (Rial)"), default=0)

    class Meta:
        abstract = True


class LineItem(TimeStampedModel):
    """One line of a document: a catalogue item (or free text), how many, at what price and discount."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=255)
    # Decimal, never float: 1.5 hours of service, 2.250 kg.
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = models.BigIntegerField(_("unit price (Rial)"))
    unit_cost = models.BigIntegerField(_("unit cost (Rial)"), default=0)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    vat_applies = models.BooleanField(_("VAT applies"), default=True)
    # Worked out by the services and stored: quantity × unit price, less the discount, rounded to a Rial.
    gross_amount = models.BigIntegerField(_("amount before discount (Rial)"), default=0)
    discount_amount = models.BigIntegerField(_("discount (Rial)"), default=0)
    net_amount = models.BigIntegerField(_("amount (Rial)"), default=0)
    vat_amount = models.BigIntegerField(_("VAT (Rial)"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


def _line_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity_positive"),
        models.CheckConstraint(condition=Q(unit_price__gte=0), name=f"{prefix}_price_not_negative"),
        models.CheckConstraint(
            condition=Q(discount_percent__gte=0, discount_percent__lte=100), name=f"{prefix}_discount_percent"
        ),
    ]


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    # A later revision replaced it (the revised proposal); it stays readable as the record of what was offered.
    SUPERSEDED = "superseded", _("Superseded by a revision")


class Quote(DocumentTotals):
    """A quotation or pro-forma invoice (پیش‌فاکتور). Revising one makes a new row with the same number and the
    next revision; the earlier one is superseded, so every version offered stays on record."""

    number = models.CharField(_("number"), max_length=32)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    previous = models.OneToOneField(
        "self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT, related_name="next"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes"
    )
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    issue_date = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # The proposal's technical and practical reasons, and the terms: printed under the lines.
    notes = models.TextField(_("notes and technical reasons"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected at"), null=True, blank=True)
    rejected_reason = models.TextField(_("reason rejected"), blank=True, editable=False)
    owner = owner_field("owned_quotes")
    team = team_field("quotes")
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="quote_customer"),
            models.Index(fields=["owner", "-id"], name="quote_owner"),
            models.Index(fields=["team", "-id"], name="quote_team"),
            models.Index(fields=["status", "-id"], name="quote_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_once"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return self.number if self.revision == 1 else f"{self.number}/{self.revision}"


class QuoteLine(LineItem):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = _line_constraints("quoteline")


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    FULFILLED = "fulfilled", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# Orders that count as a purchase: customer value, RFM, loyalty and the forecast read only these.
PURCHASE = ~Q(status=OrderStatus.CANCELLED)


class Order(DocumentTotals):
    """A confirmed purchase: what the customer bought, when, and for how much."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    quote = models.OneToOneField(
        Quote, verbose_name=_("quote"), null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED)
    ordered_at = models.DateTimeField(_("ordered at"))
    notes = models.TextField(_("notes"), blank=True)
    cancelled_reason = models.TextField(_("reason cancelled"), blank=True)
    owner = owner_field("owned_orders")
    team = team_field("orders")
    created_by = created_by_field()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        indexes = [
            # One customer's value (revenue, margin, count, first/last purchase) read from the index alone.
            models.Index(
                fields=["customer", "status", "ordered_at", "net_total", "cost_total"], name="order_customer_value"
            ),
            models.Index(fields=["-ordered_at", "-id"], name="order_recent"),
            models.Index(fields=["owner", "ordered_at"], name="order_owner"),
            models.Index(fields=["team", "ordered_at"], name="order_team"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(net_total__gte=0), name="order_net_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(LineItem):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = _line_constraints("orderline")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Invoice(DocumentTotals):
    """A bill for an order (or for lines of its own); payments against it bring its balance to zero."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    # Sum of the payments that count (a bounced cheque does not): kept with the invoice so that balances and
    # the overdue list are read without adding payments up.
    paid_total = models.BigIntegerField(_("paid (Rial)"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    cancelled_reason = models.TextField(_("reason cancelled"), blank=True, editable=False)
    owner = owner_field("owned_invoices")
    team = team_field("invoices")
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="invoice_customer"),
            models.Index(fields=["status", "due_date"], name="invoice_status_due"),
            models.Index(fields=["owner", "-id"], name="invoice_owner"),
            models.Index(fields=["team", "-id"], name="invoice_team"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid_total__gte=0), name="invoice_paid_not_negative"),
            # Never paid more than it asks: a second payment of the same bill is refused, not absorbed.
            models.CheckConstraint(condition=Q(paid_total__lte=models.F("total")), name="invoice_not_overpaid"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> int:
        return 0 if self.status == InvoiceStatus.CANCELLED else self.total - self.paid_total


class InvoiceLine(LineItem):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")

    class Meta(LineItem.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = _line_constraints("invoiceline")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card (POS)")
    CHEQUE = "cheque", _("Cheque")
    TRANSFER = "transfer", _("Bank transfer")
    CREDIT = "credit", _("On credit")


class ChequeStatus(models.TextChoices):
    PENDING = "pending", _("Not yet due")
    CLEARED = "cleared", _("Cleared")
    BOUNCED = "bounced", _("Bounced")


class Payment(TimeStampedModel):
    """Money received against an invoice, and how. A cheque counts towards the invoice until it bounces."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments")
    # The invoice's customer, kept here so "how does this customer pay" reads one table.
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount (Rial)"))
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)
    received_at = models.DateTimeField(_("received at"))
    # Bank tracking number, card terminal reference, transfer number: unique per method when given, so the same
    # receipt entered twice is refused.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    cheque_number = models.CharField(_("cheque number"), max_length=32, blank=True)
    cheque_bank = models.CharField(_("bank"), max_length=100, blank=True)
    cheque_due_date = models.DateField(_("cheque due date"), null=True, blank=True)
    cheque_status = models.CharField(_("cheque status"), max_length=10, choices=ChequeStatus.choices, blank=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    created_by = created_by_field()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-received_at"], name="payment_customer"),
            models.Index(fields=["method", "cheque_status", "cheque_due_date"], name="payment_cheques"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["method", "reference"], condition=~Q(reference=""), name="payment_reference_once"
            ),
            models.CheckConstraint(
                condition=~Q(method=PaymentMethod.CHEQUE) | Q(cheque_due_date__isnull=False),
                name="payment_cheque_has_due_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.amount}"

    @property
    def counts(self) -> bool:
        return self.cheque_status != ChequeStatus.BOUNCED
