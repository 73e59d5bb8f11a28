"""Sales: the product catalogue, pipelines and their stages, deals with their decision-makers, competitors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel, in_active_language


class Currency(models.TextChoices):
    # Amounts are whole Rials; the column is there so that a second currency is a data change, not a migration.
    IRR = "IRR", _("Iranian Rial")


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class Product(TimeStampedModel):
    """One line of the catalogue: a product or a service, with its list price and cost."""

    name = models.CharField(_("name"), max_length=200)
    # Stored upper-cased without surrounding spaces; empty when the company does not use codes.
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices, default=ProductKind.PRODUCT)
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("e.g. piece, hour, licence"))
    unit_price = models.BigIntegerField(_("unit price (Rial)"), default=0)
    unit_cost = models.BigIntegerField(_("unit cost (Rial)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.IRR)
    vat_applies = models.BooleanField(_("VAT applies"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product or service")
        verbose_name_plural = _("products and services")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sku"], condition=~Q(sku=""), name="product_sku_unique"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Pipeline(TimeStampedModel):
    """A sales process: the ordered stages a deal goes through. Exactly one is the default for new deals."""

    name = models.CharField(_("name (Persian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["-is_default", "name", "id"]
        # At most one default in the database; services keep it at exactly one.
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_active_language(self.name, self.name_en)


class StageOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(TimeStampedModel):
    """One column of a pipeline. Built-in stages carry a `code` (stable for programs and reports); every stage
    has a Persian name and may have an English one, both editable."""

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("name (Persian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, help_text=_("The chance that a deal in this stage is won, 0 to 100.")
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=StageOutcome.choices, default=StageOutcome.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], condition=~Q(code=""), name="stage_code_once"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_percent"),
            # A won deal is certain and a lost one is not coming: the forecast weighs them as such.
            models.CheckConstraint(
                condition=Q(outcome=StageOutcome.OPEN)
                | Q(outcome=StageOutcome.WON, probability=100)
                | Q(outcome=StageOutcome.LOST, probability=0),
                name="stage_outcome_probability",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_active_language(self.name, self.name_en)

    @property
    def is_closed(self) -> bool:
        return self.outcome != StageOutcome.OPEN


class Competitor(TimeStampedModel):
    """Another company a deal can be lost to."""

    name = models.CharField(_("name"), max_length=200)
    # core.text.search_key of the name: «شرکت الف», «شركت  الف» and «شرکت‌الف» are one competitor.
    key = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


OPEN_DEAL = Q(closed_at__isnull=True)


class Deal(TimeStampedModel):
    """A possible sale to a customer, moving through the stages of one pipeline."""

    title = models.CharField(_("title"), max_length=200)
    # The foreign keys below lead the indexes in Meta, which serve them as well as their own would.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    amount = models.BigIntegerField(_("amount (Rial)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.IRR)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_deals",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    # When the owner was last reminded that the next step is overdue; cleared when the due time changes.
    next_step_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    lost_reason = models.TextField(_("reason lost"), blank=True)
    lost_to = models.ForeignKey(
        Competitor,
        verbose_name=_("lost to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals_won_from_us",
    )
    # When the deal reached a won or lost stage; empty while it is open (the stage says which outcome).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Optimistic locking: every write says which version it read and bumps it; a stale write is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-id"]
        indexes = [
            # The board: each column's first deals in column order.
            models.Index(fields=["pipeline", "stage", "expected_close_date", "id"], name="deal_board"),
            # The board's counts and sums read from this index alone: the scope's owner and team, and the
            # customer to leave out a deleted one's deals, beside the amount.
            models.Index(fields=["pipeline", "stage", "owner", "team", "customer", "amount"], name="deal_board_sums"),
            models.Index(fields=["stage", "-closed_at", "-id"], name="deal_stage_closed"),
            # The scope's parts (own deals, each team) and the customer's deals, newest first.
            models.Index(fields=["owner", "-id"], name="deal_owner"),
            models.Index(fields=["team", "-id"], name="deal_team"),
            models.Index(fields=["customer", "-id"], name="deal_customer"),
            models.Index(fields=["expected_close_date"], name="deal_expected_close"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class DealContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
    USER = "user", _("User")
    FINANCIAL_APPROVER = "financial_approver", _("Financial approver")


class DealContact(TimeStampedModel):
    """A person on the customer's side who has a say in the deal, and what say they have."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="contacts")
    contact = models.ForeignKey(
        "customers.Customer", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="deal_roles"
    )
    role = models.CharField(_("role"), max_length=24, choices=DealContactRole.choices)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        ordering = ["deal", "id"]
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_once")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


# The other sales records live in their own modules; importing them here registers them.
from peyvand.sales.models.activities import *  # noqa: E402, F403
from peyvand.sales.models.billing import *  # noqa: E402, F403
from peyvand.sales.models.contracts import *  # noqa: E402, F403
from peyvand.sales.models.leads import *  # noqa: E402, F403
