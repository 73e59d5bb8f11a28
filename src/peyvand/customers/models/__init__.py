"""The customer database: people and organisations, their contact points, consent, history and timeline."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organisation")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    KEY_ACCOUNT = "key_account", _("Key account")
    INACTIVE = "inactive", _("Inactive")
    LOST = "lost", _("Lost")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class IncomeBracket(models.TextChoices):
    LOW = "low", _("Low")
    LOWER_MIDDLE = "lower_middle", _("Lower middle")
    MIDDLE = "middle", _("Middle")
    UPPER_MIDDLE = "upper_middle", _("Upper middle")
    HIGH = "high", _("High")


class Source(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition")
    CALL = "call", _("Phone call")
    SOCIAL = "social", _("Social network")
    ADVERTISING = "advertising", _("Advertising")
    WALK_IN = "walk_in", _("Walk-in")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class ContactChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    CALL = "call", _("Phone call")
    MESSENGER = "messenger", _("Messenger")
    IN_PERSON = "in_person", _("In person")


CONSENT_CHANNELS = (ContactChannel.SMS, ContactChannel.EMAIL, ContactChannel.CALL)


class SettlementHabit(models.TextChoices):
    CASH = "cash", _("Cash")
    CREDIT = "credit", _("Credit")
    MIXED = "mixed", _("Cash and credit")


class Tier(models.TextChoices):
    # Customers treated differently by what they buy and how they pay (gold, silver, bronze): the service desk
    # routes and sets its SLAs by it; loyalty rules may set it.
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    BRONZE = "bronze", _("Bronze")


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


LIVE = models.Q(deleted_at__isnull=True)


class Customer(TimeStampedModel):
    """A person or an organisation the company deals with (one table, so search and caller-ID see both)."""

    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    name = models.CharField(_("organisation name"), max_length=200, blank=True)
    display_name = models.CharField(_("name"), max_length=255, editable=False)
    # Normalised (see core.text.search_key): what every search compares against.
    search_key = models.CharField(max_length=255, editable=False, default="")
    # The same key with Persian letters in dictionary order (core.text.sort_key): what lists sort by.
    sort_key = models.CharField(max_length=255, editable=False, default="")

    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    income_bracket = models.CharField(_("income bracket"), max_length=16, choices=IncomeBracket.choices, blank=True)
    # کد ملی for people (10 digits), شناسه ملی for organisations (11 digits).
    national_id = models.CharField(_("national code / national ID"), max_length=11, blank=True, db_index=True)

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sub_organizations",
        limit_choices_to={"kind": CustomerKind.ORGANIZATION},
    )
    organization = models.ForeignKey(
        "self",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        limit_choices_to={"kind": CustomerKind.ORGANIZATION},
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)

    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.PROSPECT
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=ContactChannel.choices, blank=True
    )
    settlement_habit = models.CharField(
        _("settlement habit"), max_length=8, choices=SettlementHabit.choices, blank=True
    )
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when this record was merged into another (and deleted): old links lead to the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Lists walk these in name order and stop at the page's end; the scope's parts (an owner, a team)
        # and the common filters each have their own.
        # They hold live records only (every list and count asks for those), so a count by stage is read
        # from its index alone, without visiting the table.
        indexes = [
            models.Index(fields=["sort_key", "id"], name="customer_name", condition=LIVE),
            models.Index(fields=["team", "sort_key", "id"], name="customer_team_name", condition=LIVE),
            models.Index(fields=["owner", "sort_key", "id"], name="customer_owner_name", condition=LIVE),
            models.Index(fields=["lifecycle_stage", "sort_key", "id"], name="customer_stage_name", condition=LIVE),
            models.Index(fields=["last_interaction_at"], name="customer_last_interaction"),
            # The deleted few, for sums over many records of other kinds (a deal board's columns) that leave
            # out a deleted customer's records with one small NOT IN instead of a join per record.
            # (IS NOT NULL, not NOT (IS NULL): SQLite uses a partial index only for a condition written as the
            # query writes it.)
            models.Index(fields=["id"], name="customer_deleted", condition=models.Q(deleted_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_organization(self) -> bool:
        return self.kind == CustomerKind.ORGANIZATION


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    WORK = "work", _("Work")
    HOME = "home", _("Home")
    FAX = "fax", _("Fax")
    OTHER = "other", _("Other")


class CustomerPhone(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=20, db_index=True)  # E.164, the caller-ID key
    kind = models.CharField(_("type"), max_length=8, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="phone_once_per_customer")]

    def __str__(self) -> str:
        return self.number


class EmailKind(models.TextChoices):
    WORK = "work", _("Work")
    PERSONAL = "personal", _("Personal")
    OTHER = "other", _("Other")


class CustomerEmail(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("e-mail"), db_index=True)  # stored lower-cased
    kind = models.CharField(_("type"), max_length=8, choices=EmailKind.choices, default=EmailKind.WORK)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "email"], name="email_once_per_customer")]

    def __str__(self) -> str:
        return self.email


class AddressKind(models.TextChoices):
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")


class CustomerAddress(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("type"), max_length=8, choices=AddressKind.choices, default=AddressKind.WORK)
    province = models.CharField(_("province"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True, db_index=True)
    line = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return " ، ".join(part for part in (self.province, self.city, self.line) if part)


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written form")
    VERBAL = "verbal", _("Verbal, on a call")
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Imported")
    KEYWORD = "keyword", _("Reply keyword")
    OTHER = "other", _("Other")


class Consent(TimeStampedModel):
    """The customer's current yes/no to being contacted on one channel, with when and how it was given."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("when"))
    method = models.CharField(_("how"), max_length=16, choices=ConsentMethod.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="consent_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.granted}"


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Whole number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes / no")


class CustomField(TimeStampedModel):
    """An admin-defined extra field on customers; values live in Customer.custom_fields under `key`."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label_fa = models.CharField(_("label (Persian)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    field_type = models.CharField(_("type"), max_length=8, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    applies_to = models.CharField(
        _("applies to"),
        max_length=16,
        choices=CustomerKind.choices,
        blank=True,
        help_text=_("Leave empty for both people and organisations."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.key


class RevisionAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    RESTORE = "restore", _("Restored")
    DELETE = "delete", _("Deleted")


class CustomerRevision(models.Model):
    """One saved state of a customer: who changed what, when, and the whole record to restore from."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=RevisionAction.choices)
    changes = models.JSONField(default=dict)  # {field: [before, after]}
    snapshot = models.JSONField(default=dict)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="revision_number_once")]

    def __str__(self) -> str:
        return f"{self.customer_id}#{self.number}"


class InteractionChannel(models.TextChoices):
    CALL = "call", _("Phone call")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    MEETING = "meeting", _("Meeting")
    CHAT = "chat", _("Chat")
    MESSENGER = "messenger", _("Messenger")
    WEB = "web", _("Web form")
    PORTAL = "portal", _("Customer portal")
    NOTE = "note", _("Note")
    SYSTEM = "system", _("System")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Interaction(TimeStampedModel):
    """One thing that happened with a customer on any channel; every module writes its events here."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(_("channel"), max_length=16, choices=InteractionChannel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("details"), blank=True)
    occurred_at = models.DateTimeField(_("when"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    related_id = models.CharField(max_length=40, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline"),
            models.Index(fields=["-occurred_at", "-id"], name="interaction_recent"),
        ]

    def __str__(self) -> str:
        return self.subject or self.get_channel_display()


# The models of imports, duplicates and merges live in their own module; importing them here registers them.
from peyvand.customers.models.data_quality import *  # noqa: E402, F403
