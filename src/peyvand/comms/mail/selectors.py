"""Reads of incoming mail, scoped: staff see the mails of customers they can see; mails of nobody known
(unmatched, leads, tickets of a contact) are for managers and administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from peyvand.accounts.models import Role, User
from peyvand.comms.mail.config import mailbox_config, mailbox_warnings
from peyvand.comms.mail.models import MailboxPoll, OutgoingAttachment
from peyvand.comms.models import Channel, ChannelAccount, InboundAttachment, InboundMessage, InboundStatus
from peyvand.core.pagination import Page, paginate
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "MailboxRow",
    "customer_for_mail",
    "inbound_mail_get",
    "inbound_mail_list",
    "inbound_mail_visible_to",
    "mail_attachment_get",
    "mailbox_rows",
    "outgoing_attachment_get",
]

ORDER = ("-received_at", "-id")


def inbound_mail_visible_to(user: User | Any) -> QuerySet[InboundMessage]:
    mails = InboundMessage.objects.filter(channel=Channel.EMAIL)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return mails.none()
    if user.is_admin_role:
        return mails
    scope = Q(customer__in=customers_visible_to(user))
    if user.role == Role.MANAGER:
        scope |= Q(customer__isnull=True)
    return mails.filter(scope)


def inbound_mail_get(*, user: User, pk: int) -> InboundMessage:
    """One mail the user may see, or InboundMessage.DoesNotExist whether it is missing or not theirs."""
    return inbound_mail_visible_to(user).select_related("account", "customer").get(pk=pk)


def inbound_mail_list(
    *,
    user: User,
    status: str = "",
    account_id: int | None = None,
    customer_id: int | None = None,
    q: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """The user's mails, newest first, filtered; a page and the cursor of the next."""
    mails = (
        inbound_mail_visible_to(user)
        .select_related("account", "customer", "related_type")
        .annotate(attachment_count=Count("attachments"))
    )
    if status in InboundStatus.values:
        mails = mails.filter(status=status)
    if account_id is not None:
        mails = mails.filter(account_id=account_id)
    if customer_id is not None:
        mails = mails.filter(customer_id=customer_id)
    text = q.strip()[:100]
    if text:
        mails = mails.filter(Q(sender__icontains=text) | Q(subject__icontains=text))
    return paginate(mails, order=ORDER, cursor=cursor, limit=max(1, min(limit, 200)))


def customer_for_mail(*, user: User, pk: int) -> Customer:
    """A customer the user may write to (one they can see, not deleted), or Customer.DoesNotExist."""
    return customers_visible_to(user).filter(deleted_at__isnull=True).get(pk=pk)


def outgoing_attachment_get(*, user: User, message_id: int, attachment_id: int) -> OutgoingAttachment:
    """A file of an outgoing mail the user may see in the outbox, or OutgoingAttachment.DoesNotExist (whether
    it is missing or not theirs)."""
    from peyvand.comms.settings_selectors import messages_visible_to

    if not messages_visible_to(user).filter(pk=message_id, channel=Channel.EMAIL).exists():
        raise OutgoingAttachment.DoesNotExist
    return OutgoingAttachment.objects.get(message_id=message_id, pk=attachment_id)


def mail_attachment_get(*, user: User, message_id: int, attachment_id: int) -> InboundAttachment:
    """A file of a mail the user may see, or InboundAttachment.DoesNotExist."""
    mail = inbound_mail_get(user=user, pk=message_id)
    return InboundAttachment.objects.get(message=mail, pk=attachment_id)


@dataclass(frozen=True)
class MailboxRow:
    account: ChannelAccount
    receives: bool
    address: str
    poll: MailboxPoll | None
    warnings: tuple[str, ...] = ()
    folder: str = ""

    @property
    def running(self) -> bool:
        """A poll has started and not yet finished."""
        poll = self.poll
        return bool(poll and poll.started_at and (poll.finished_at is None or poll.finished_at < poll.started_at))


def mailbox_rows() -> list[MailboxRow]:
    """Every e-mail account with its address, whether it receives, and its last poll."""
    polls = {p.account_id: p for p in MailboxPoll.objects.all()}
    rows = []
    for account in ChannelAccount.objects.filter(channel=Channel.EMAIL).order_by("name", "id"):
        config = mailbox_config(account)
        rows.append(
            MailboxRow(
                account,
                config.receives,
                config.from_address,
                polls.get(account.pk),
                tuple(mailbox_warnings(config)),
                config.imap_folder if config.receives else "",
            )
        )
    return rows
