"""The records of messenger bots: each chat a bot has with someone (and the customer it is linked to), where
each bot's polling has got to, the files that came with messages (fetched after the message is stored) and the
file an answer carries out."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = ["BotChat", "BotState", "FileStatus", "IncomingFile", "OutgoingFile"]


class BotChat(TimeStampedModel):
    """One private chat between a bot and a messenger user. Linked to a customer once the user shares their phone
    (matched through core.phone) or opens the bot by a link the CRM made for that customer."""

    account = models.ForeignKey(
        "comms.ChannelAccount", verbose_name=_("bot"), on_delete=models.PROTECT, related_name="bot_chats"
    )
    # The messenger's id of the chat: what replies are sent to (Telegram's ids pass 2^52, so kept as text).
    chat_id = models.CharField(_("chat id"), max_length=64)
    username = models.CharField(_("user name"), max_length=64, blank=True)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    # The phone the user shared (E.164), kept even when it matched no customer.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_chats",
    )
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)
    # The ticket of the current conversation: the next messages within the account's hours are added to it.
    ticket = models.ForeignKey(
        "service.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("ticket")
    )
    # Every ticket the chat opened or wrote on: an answer on any of them goes back to this chat.
    tickets = models.ManyToManyField("service.Ticket", blank=True, related_name="bot_chats")
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)

    class Meta:
        verbose_name = _("messenger chat")
        verbose_name_plural = _("messenger chats")
        ordering = ["-last_message_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "chat_id"], name="bot_chat_once")]
        indexes = [models.Index(fields=["customer", "-last_message_at"], name="bot_chat_customer")]

    def __str__(self) -> str:
        return self.display_name or (f"@{self.username}" if self.username else self.chat_id)


class BotState(TimeStampedModel):
    """Where polling a bot has got to: the next update_id to ask getUpdates for (Telegram forgets the updates
    before it once asked with it), and the webhook the bot was last pointed at."""

    account = models.OneToOneField("comms.ChannelAccount", on_delete=models.CASCADE, related_name="bot_state")
    update_offset = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    webhook_url = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("bot state")
        verbose_name_plural = _("bot states")

    def __str__(self) -> str:
        return str(self.account_id)


class FileStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be fetched")
    FETCHED = "fetched", _("Fetched")
    TOO_LARGE = "too_large", _("Left out: too large")
    SKIPPED = "skipped", _("Left out")
    FAILED = "failed", _("Could not be fetched")


class IncomingFile(TimeStampedModel):
    """A file a messenger message carried (photo, document, voice…). The message is stored first and this row
    with it; the bytes are fetched afterwards (getFile, then the file's address) and kept as the message's
    InboundAttachment, so a messenger that is slow or down never loses the message, and a fetch that fails is
    retried and, at last, recorded here with the reason."""

    message = models.ForeignKey("comms.InboundMessage", on_delete=models.CASCADE, related_name="bot_files")
    kind = models.CharField(_("kind"), max_length=16)
    file_id = models.CharField(max_length=255)
    # The same file seen again (a forwarded photo) has the same unique id; the file_id may differ.
    file_unique_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    # What the messenger said the size is (0: it did not say); the real size is the attachment's.
    declared_size = models.BigIntegerField(default=0)
    status = models.CharField(_("status"), max_length=12, choices=FileStatus.choices, default=FileStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attachment = models.OneToOneField(
        "comms.InboundAttachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="bot_file"
    )

    class Meta:
        verbose_name = _("messenger file")
        verbose_name_plural = _("messenger files")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "kind", "file_id"], name="bot_file_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="bot_file_due")]

    def __str__(self) -> str:
        return self.name or self.kind


class OutgoingFile(TimeStampedModel):
    """The one file an answer into a chat carries: sent with the outbox message (sendPhoto or sendDocument, the
    message's text as the caption) in the same single call, so it goes exactly once as the text does."""

    message = models.ForeignKey("comms.OutboundMessage", on_delete=models.CASCADE, related_name="bot_files")
    file = models.FileField(upload_to="comms/bots/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField()
    # False when the answer had no text of its own: the message's body is then the file's name, not a caption.
    caption = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("messenger file sent")
        verbose_name_plural = _("messenger files sent")
        constraints = [models.UniqueConstraint(fields=["message"], name="bot_outgoing_file_once")]

    def __str__(self) -> str:
        return self.name
