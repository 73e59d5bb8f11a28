"""Contracts with customers: their term, value, files and renewal; and the sales targets people and teams aim at."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.sales.models._fields import created_by_field, owner_field, team_field

__all__ = ["Contract", "ContractFile", "ContractStatus", "Target", "TargetMetric", "TargetPeriod"]


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")
    RENEWED = "renewed", _("Renewed")


class Contract(TimeStampedModel):
    """An agreement with a customer for a term: what it is worth, when it ends, and when to talk renewal."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    value = models.BigIntegerField(_("value (Rial)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="IRR")
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    # How long before the end the owner is reminded to talk renewal.
    renewal_notice_days = models.PositiveSmallIntegerField(_("renewal reminder (days before end)"), default=30)
    renewal_reminded_at = models.DateTimeField(_("renewal reminder sent at"), null=True, blank=True, editable=False)
    renewed_from = models.OneToOneField(
        "self", verbose_name=_("renews"), null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal"
    )
    terms = models.TextField(_("terms"), blank=True)
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True, editable=False)
    termination_reason = models.TextField(_("reason terminated"), blank=True, editable=False)
    signed_at = models.DateField(_("signed on"), null=True, blank=True)
    owner = owner_field("owned_contracts")
    team = team_field("contracts")
    created_by = created_by_field()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="contract_customer"),
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
            models.Index(fields=["owner", "-id"], name="contract_owner"),
            models.Index(fields=["team", "-id"], name="contract_team"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"


def contract_file_path(instance: ContractFile, filename: str) -> str:
    return f"contracts/{instance.contract_id}/{filename}"


class ContractFile(TimeStampedModel):
    """A document attached to a contract: the signed scan, annexes, guarantees."""

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=contract_file_path, max_length=255)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("contract file")
        verbose_name_plural = _("contract files")
        ordering = ["contract", "id"]

    def __str__(self) -> str:
        return self.name


class TargetPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class TargetMetric(models.TextChoices):
    # Net order totals (before VAT) of orders placed in the period.
    REVENUE = "revenue", _("Sales (orders, before VAT)")
    # Amounts of deals won in the period.
    WON_DEALS = "won_deals", _("Deals won (amount)")


class Target(TimeStampedModel):
    """A sales target for one person or one team, for a Jalali month, quarter or year."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    metric = models.CharField(_("measure"), max_length=12, choices=TargetMetric.choices, default=TargetMetric.REVENUE)
    period = models.CharField(_("period"), max_length=8, choices=TargetPeriod.choices)
    jalali_year = models.PositiveSmallIntegerField(_("year (Jalali)"))
    # Month 1–12 or quarter 1–4; 0 for a whole year.
    period_number = models.PositiveSmallIntegerField(_("month or quarter"), default=0)
    amount = models.BigIntegerField(_("target (Rial)"))
    created_by = created_by_field()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-jalali_year", "period", "period_number", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="target_user_or_team",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_positive"),
            models.CheckConstraint(
                condition=Q(period="year", period_number=0)
                | Q(period="quarter", period_number__gte=1, period_number__lte=4)
                | Q(period="month", period_number__gte=1, period_number__lte=12),
                name="target_period_number",
            ),
            models.UniqueConstraint(
                fields=["user", "metric", "period", "jalali_year", "period_number"],
                condition=Q(user__isnull=False),
                name="target_user_period_once",
            ),
            models.UniqueConstraint(
                fields=["team", "metric", "period", "jalali_year", "period_number"],
                condition=Q(team__isnull=False),
                name="target_team_period_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.jalali_year}/{self.period_number}"
