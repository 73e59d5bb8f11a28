"""The records of sms: where each gateway account's delivery-status polling has got to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.comms.models import ChannelAccount
from peyvand.core.models import TimeStampedModel


class StatusPollCursor(TimeStampedModel):
    """One account's walk through its sent messages asking the gateway for their delivery status: a pass goes
    up the message ids from after_id; when it reaches the end, after_id goes back to 0 and the next pass starts
    no sooner than PEYVAND_SMS_STATUS_MINUTES after this one started, so no message is asked about more often
    than that, however many runs a pass takes."""

    account = models.OneToOneField(
        ChannelAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    after_id = models.BigIntegerField(default=0)
    pass_started_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery status polling")
        verbose_name_plural = _("delivery status polling")

    def __str__(self) -> str:
        return f"{self.account_id}: after {self.after_id}"
