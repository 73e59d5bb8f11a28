"""Reads of the channel settings and the outbox: the accounts by channel, the addresses their providers post to,
and the outgoing messages a user may see (those to customers they can see)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import User
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.providers import PROVIDERS, provider_class
from peyvand.comms.settings_services import SENDING_CHANNELS, ProviderInfo, provider_info
from peyvand.core.jalali import local_days_q
from peyvand.core.pagination import Page, paginate
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "AccountRow",
    "ChannelGroup",
    "InboundUrl",
    "MessageFilters",
    "absolute_url",
    "account_inbound_urls",
    "accounts_by_channel",
    "message_counts",
    "message_get",
    "message_list",
    "messages_visible_to",
]

logger = logging.getLogger(__name__)

# Where each channel's providers post to us, by the URL names their channel's pages give them (each takes the
# account's inbound token). A provider class may name its own instead, with a method
# `inbound_urls(self) -> list[tuple[label, path]]`; a name not (yet) in the URL map is left out.
INBOUND_URL_NAMES: dict[str, tuple[tuple[Any, tuple[str, ...]], ...]] = {
    Channel.SMS: (
        (_("Delivery reports"), ("comms:sms:delivery",)),
        (_("Incoming SMS"), ("comms:sms:inbound",)),
    ),
    Channel.MESSENGER: ((_("Bot webhook"), ("comms:bots:update",)),),
    Channel.CALL: (
        (_("Call events (webhook)"), ("comms:telephony:events",)),
        (_("Routing hint for the dial plan"), ("comms:telephony:route",)),
    ),
}

# Each channel's own pages (the mailboxes, the call log, the chat widgets, the forms …), linked from its card
# (the mailboxes and the chat widgets are for administrators: the page links them for them alone).
CHANNEL_PAGES: dict[str, tuple[Any, str]] = {
    Channel.EMAIL: (_("Mailboxes"), "comms:mail:mailboxes"),
    Channel.SMS: (_("Send SMS"), "comms:sms:compose"),
    Channel.MESSENGER: (_("Bot chats"), "comms:bots:chat_list"),
    Channel.CHAT: (_("Chat widgets"), "comms:chat:widgets"),
    Channel.CALL: (_("Call log"), "comms:telephony:calls"),
    Channel.WEB: (_("Web forms"), "comms:webforms:list"),
}


@dataclass(frozen=True)
class InboundUrl:
    label: str
    path: str


@dataclass(frozen=True)
class AccountRow:
    account: ChannelAccount
    provider: ProviderInfo


@dataclass
class ChannelGroup:
    """One channel on the settings page: its accounts and the providers an account of it can use."""

    channel: str
    label: str
    rows: list[AccountRow]
    providers: list[ProviderInfo]
    can_send: bool
    default: ChannelAccount | None = None
    page: tuple[str, str] | None = None


def accounts_by_channel() -> list[ChannelGroup]:
    """Every channel with its accounts (active first) and its providers, each loaded to read its label: a
    provider whose code fails is listed with its error rather than breaking the page."""
    accounts = list(ChannelAccount.objects.order_by("-is_active", "name", "id"))
    groups = []
    for value, label in Channel.choices:
        providers = {name: provider_info(value, name) for name in PROVIDERS.get(value, {})}
        mine = [account for account in accounts if account.channel == value]
        rows = [
            AccountRow(account, providers.get(account.provider) or provider_info(value, account.provider))
            for account in mine
        ]
        groups.append(
            ChannelGroup(
                channel=value,
                label=str(label),
                rows=rows,
                providers=list(providers.values()),
                can_send=value in SENDING_CHANNELS,
                default=next((a for a in mine if a.is_default and a.is_active), None),
                page=_channel_page(value),
            )
        )
    return groups


def _channel_page(channel: str) -> tuple[str, str] | None:
    label, name = CHANNEL_PAGES.get(channel, ("", ""))
    try:
        return (str(label), reverse(name)) if name else None
    except NoReverseMatch:
        return None


def account_inbound_urls(account: ChannelAccount) -> list[InboundUrl]:
    """The addresses (paths; the page makes them whole) the account's provider is to post to, each carrying the
    account's inbound token."""
    try:
        cls = provider_class(account.channel, account.provider)
        own = getattr(cls, "inbound_urls", None)
        if own is not None:
            return [InboundUrl(str(label), str(path)) for label, path in own(cls(account))]
    except Exception as exc:
        logger.warning("Inbound URLs of channel account %s: %s", account.pk, exc)
    urls = []
    for label, names in INBOUND_URL_NAMES.get(account.channel, ()):
        for name in names:
            try:
                urls.append(InboundUrl(str(label), reverse(name, kwargs={"token": account.inbound_token})))
                break
            except NoReverseMatch:
                continue
    return urls


def absolute_url(request: HttpRequest, path: str) -> str:
    """The address a provider out there reaches: PEYVAND_SITE_URL when set (behind a proxy the request's own host
    may be an inside name), else the request's."""
    if path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def messages_visible_to(user: User) -> QuerySet[OutboundMessage]:
    """Administrators see the whole outbox; other staff the messages to customers they can see (a message to no
    customer, such as a test or a notice to a ticket's contact, only administrators)."""
    if user.is_admin_role:
        return OutboundMessage.objects.all()
    return OutboundMessage.objects.filter(customer__in=customers_visible_to(user))


@dataclass(frozen=True)
class MessageFilters:
    channel: str = ""
    status: str = ""
    batch: str = ""
    customer_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    to: str = ""

    def where(self, *, with_status: bool = True) -> Q:
        where = Q()
        if self.channel in Channel.values:
            where &= Q(channel=self.channel)
        if with_status and self.status in MessageStatus.values:
            where &= Q(status=self.status)
        if self.batch:
            where &= Q(batch=self.batch)
        if self.customer_id:
            where &= Q(customer_id=self.customer_id)
        if self.to:
            where &= Q(to__icontains=self.to)
        return where & local_days_q("created_at", self.date_from, self.date_to)


def message_list(*, user: User, filters: MessageFilters, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of the visible messages matching `filters`, newest first; ValidationError for a foreign cursor."""
    messages = messages_visible_to(user).filter(filters.where())
    page = paginate(messages, order=("-id",), cursor=cursor, limit=limit)
    ids = [message.pk for message in page.items]
    whole = OutboundMessage.objects.filter(pk__in=ids).select_related("customer", "account").in_bulk()
    return Page([whole[pk] for pk in ids], page.next_cursor)


def message_counts(*, user: User, filters: MessageFilters) -> dict[str, int]:
    """How many visible messages matching `filters` (the status aside) are in each status."""
    rows = (
        messages_visible_to(user)
        .filter(filters.where(with_status=False))
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(MessageStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def message_get(*, user: User, pk: int) -> OutboundMessage:
    """One visible message or OutboundMessage.DoesNotExist, whether it is missing or not the user's to see."""
    return messages_visible_to(user).select_related("customer", "account", "created_by", "related_type").get(pk=pk)
