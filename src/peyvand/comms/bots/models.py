"""The records of messenger bots: each chat a bot has with someone (and the customer it is linked to), and
where each bot's polling has got to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = ["BotChat", "BotState"]


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
