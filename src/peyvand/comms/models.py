"""What passes through the channels: the accounts messages go out and come in by, the outbox of every outgoing
message (e-mail, SMS, messenger, chat) and the record of every inbound one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = [
    "Channel",
    "ChannelAccount",
    "InboundAttachment",
    "InboundMessage",
    "InboundStatus",
    "MessageStatus",
    "OutboundMessage",
    "SendWindow",
    "Suppression",
    "SuppressionReason",
]


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    MESSENGER = "messenger", _("Messenger")
    CHAT = "chat", _("Live chat")
    CALL = "call", _("Telephony")
    WEB = "web", _("Web form")


class ChannelAccount(TimeStampedModel):
    """One configured way of sending or receiving: an SMS panel, a mailbox, a bot, a PBX. `provider` names its
    implementation (comms.providers); `config` holds its settings, `secrets` its keys and passwords (never shown
    back in a page or the API); `inbound_token` authenticates what its provider posts to us."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    provider = models.CharField(_("provider"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    inbound_token = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The account a channel's messages go out by when the sender names none.
    is_default = models.BooleanField(_("default for its channel"), default=False)
    # Messages per minute the provider accepts from us; empty = no limit of ours.
    rate_per_minute = models.PositiveIntegerField(_("messages per minute"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["channel", "name"]
        constraints = [
            models.UniqueConstraint(fields=["channel"], condition=Q(is_default=True), name="one_default_account"),
        ]

    def __str__(self) -> str:
        return self.name


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


class OutboundMessage(TimeStampedModel):
    """One message in the outbox. `idempotency_key` is unique: enqueueing the same key twice gives the same
    message, and it is what the provider sees, so a send retried after a crash is not delivered twice."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    account = models.ForeignKey(
        ChannelAccount, verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_messages"
    )
    to = models.CharField(_("to"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(blank=True)
    template = models.CharField(max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that takes a message holds it until lease_until; one that dies lets the lease run out.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A notice about the customer's own business (a ticket, an order) rather than marketing: only marketing
    # waits for the end of quiet hours. Consent is checked for both.
    transactional = models.BooleanField(default=True)
    # The last attempt may have reached the provider without our hearing back (a worker killed mid-send, a
    # timeout after the request went out): before it is sent again the provider is asked whether it has it.
    in_doubt = models.BooleanField(default=False)
    # A campaign, a bulk send or a test: messages sent together are counted together.
    batch = models.CharField(max_length=60, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    related_id = models.CharField(max_length=40, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # What one account's workers claim: its due messages in order, however many other accounts have
            # queued (a million of a campaign on one account must not be read through by another's worker).
            models.Index(fields=["account", "status", "next_attempt_at", "id"], name="outbox_account_due"),
            models.Index(fields=["account", "provider_message_id"], name="outbox_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}"


class SendWindow(TimeStampedModel):
    """How many messages an account has sent in its current one-minute window: the rate limit every worker
    shares (ChannelAccount.rate_per_minute), taken under a row lock."""

    account = models.OneToOneField(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.count}"


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    UNMATCHED = "unmatched", _("Sender not known")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


class InboundMessage(TimeStampedModel):
    """One message that reached us (a mail, an SMS, a bot message, a form): kept whole whatever became of it.
    (account, external_id) is unique, so a provider that posts the same message twice is answered, not
    recorded twice."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    external_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField(_("from"), max_length=255, blank=True)
    recipient = models.CharField(_("to"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    html = models.TextField(blank=True)
    received_at = models.DateTimeField(_("received"))
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What it became: a ticket's reply, a new ticket, a lead.
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    related_id = models.CharField(max_length=40, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    status = models.CharField(_("status"), max_length=12, choices=InboundStatus.choices)
    error = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], condition=~Q(external_id=""), name="inbound_once"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-received_at"], name="inbound_customer"),
            # A messenger chat's thread and a sender's last messages: (account, sender) newest first.
            models.Index(fields=["account", "sender", "-received_at"], name="inbound_sender"),
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:60]


class InboundAttachment(TimeStampedModel):
    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="comms/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class SuppressionReason(models.TextChoices):
    OPT_OUT_SMS = "opt_out_sms", _("Replied with an opt-out word")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from marketing")
    HARD_BOUNCE = "hard_bounce", _("Address does not exist (hard bounce)")
    COMPLAINT = "complaint", _("Reported as spam")
    MANUAL = "manual", _("Added by an administrator")


class Suppression(TimeStampedModel):
    """An address nothing is sent to on its channel, customer or not: an opt-out word from any number, an
    unsubscribe, a hard bounce, a spam complaint, an administrator's entry. `address` is normalised (E.164
    for phones, lower-case e-mail), so one address has one row. Which messages a reason holds back is
    comms.suppression.BLOCKS_TRANSACTIONAL's to say."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=255)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    # Where it came from, in words: the opt-out reply, the bounce's diagnostic, the unsubscribed message.
    source = models.CharField(_("source"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppressed_once")]
        indexes = [models.Index(fields=["-created_at"], name="suppression_newest")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.address}"
