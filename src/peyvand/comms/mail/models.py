"""The records of e-mail: how each mailbox's polling went (the mails themselves are comms.InboundMessage)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import ChannelAccount
from peyvand.core.models import TimeStampedModel

__all__ = ["MailboxPoll"]


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
