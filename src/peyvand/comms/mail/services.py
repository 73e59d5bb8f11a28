"""Writes of e-mail that people start: polling a mailbox now (administrators)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.mail.imap import PollResult, mailbox_poll, mailboxes_to_poll
from peyvand.comms.models import Channel, ChannelAccount

__all__ = ["mailbox_poll_now", "require_mail_admin"]


def require_mail_admin(user: User) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators set up and poll the mailboxes."))


def mailbox_poll_now(*, by: User, account_id: int | None = None) -> list[PollResult]:
    """Poll one mailbox (or every one that receives) at once, in this request, rather than wait for the
    worker; what each brought and the errors it met."""
    require_mail_admin(by)
    if account_id is None:
        return [mailbox_poll(account) for account in mailboxes_to_poll()]
    account = ChannelAccount.objects.filter(pk=account_id, channel=Channel.EMAIL).first()
    if account is None:
        raise ValidationError({"account_id": [_("No such mailbox.")]})
    return [mailbox_poll(account)]
