"""The records of e-mail: how each mailbox's polling went (the mails themselves are comms.InboundMessage) and the
files sent with outgoing mails."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import ChannelAccount, OutboundMessage
from peyvand.core.models import TimeStampedModel

__all__ = ["MailboxPoll", "OutgoingAttachment"]


class MailboxPoll(TimeStampedModel):
    """The last poll of one IMAP mailbox: when, what it brought, and the error that stopped it, for the
    mailbox page; one row per mailbox, written by each poll."""

    account = models.OneToOneField(ChannelAccount, on_delete=models.CASCADE, related_name="mail_poll")
    started_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(_("mails fetched"), default=0)
    stored = models.PositiveIntegerField(_("mails stored"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    # Every mail this mailbox has stored, for the page (the inbound messages can be pruned).
    total_stored = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("mailbox poll")
        verbose_name_plural = _("mailbox polls")

    def __str__(self) -> str:
        return str(self.account)


def _outgoing_path(instance: OutgoingAttachment, filename: str) -> str:
    # The stored name is ours: a customer-facing name with any characters lives in `name`, not on the disk.
    return f"comms/outgoing/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class OutgoingAttachment(TimeStampedModel):
    """A file sent with an outgoing e-mail; written with the outbox message, in its transaction, and kept
    under MEDIA (never served publicly: only through the message's own scope)."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="mail_attachments")
    file = models.FileField(upload_to=_outgoing_path)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("outgoing attachment")
        verbose_name_plural = _("outgoing attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
