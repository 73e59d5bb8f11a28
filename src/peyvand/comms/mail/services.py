"""Writes of e-mail that people start: asking for a mailbox poll now (administrators)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.mail.imap import mailboxes_to_poll
from peyvand.comms.models import Channel, ChannelAccount

__all__ = ["PollQueued", "mailbox_poll_now", "require_mail_admin"]


def require_mail_admin(user: User) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators set up and poll the mailboxes."))


@dataclass(frozen=True)
class PollQueued:
    task_id: str
    account_ids: list[int]


def mailbox_poll_now(*, by: User, account_id: int | None = None) -> PollQueued:
    """Queue a poll of one mailbox (or of every one that receives) for the workers, rather than wait for the
    schedule; the IMAP servers are never talked to inside the request. An empty `account_ids` queues nothing."""
    from peyvand.comms.mail.tasks import mailbox_poll_now_task

    require_mail_admin(by)
    if account_id is None:
        ids = [account.pk for account in mailboxes_to_poll()]
    else:
        account = ChannelAccount.objects.filter(pk=account_id, channel=Channel.EMAIL).first()
        if account is None:
            raise ValidationError({"account_id": [_("No such mailbox.")]})
        ids = [account.pk]
    if not ids:
        return PollQueued(task_id="", account_ids=[])
    result = mailbox_poll_now_task.enqueue(ids)
    return PollQueued(task_id=str(result.id), account_ids=ids)
