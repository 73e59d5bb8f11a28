"""Linking a messenger chat to a customer: by the phone the user shares, or by a signed deep link the CRM made
for that customer (`/start <token>`)."""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.bots.models import BotChat
from peyvand.comms.bots.telegram import bot_class
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.core.phone import iranian_mobile_e164, try_normalize_phone
from peyvand.customers.models import Customer, CustomerPhone
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "bot_link_make",
    "chat_link",
    "customer_for_phone",
    "link_token_make",
    "link_token_read",
    "phone_from_contact",
]

_SALT = "peyvand.comms.bots.link"


def _max_age_seconds() -> int:
    return int(getattr(settings, "PEYVAND_BOT_LINK_DAYS", 7)) * 86_400


def _signature(account_id: int, customer_id: int, stamp: str) -> str:
    return salted_hmac(_SALT, f"{account_id}:{customer_id}:{stamp}").hexdigest()[:24]


def link_token_make(*, account: ChannelAccount, customer: Customer, at: datetime | None = None) -> str:
    """The `start` parameter of a deep link: the customer's id, when it was made and a signature, in the
    characters Telegram allows there (A-Z, a-z, 0-9, _ and -, at most 64)."""
    stamp = _base36(int((at or timezone.now()).timestamp()))
    return f"{customer.pk}-{stamp}-{_signature(account.pk, customer.pk, stamp)}"


def link_token_read(*, account: ChannelAccount, token: str, now: float | None = None) -> Customer | None:
    """The customer a deep-link token was made for by this bot, or None (forged, for another bot, expired, or
    the customer is gone)."""
    parts = token.strip().split("-")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 18 or not parts[1].isalnum():
        return None
    customer_id, stamp, signature = int(parts[0]), parts[1], parts[2]
    if not constant_time_compare(signature, _signature(account.pk, customer_id, stamp)):
        return None
    try:
        made = int(stamp, 36)
    except ValueError:
        return None
    if (now if now is not None else time.time()) - made > _max_age_seconds():
        return None
    return Customer.objects.filter(pk=customer_id, deleted_at__isnull=True).first()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def bot_link_make(*, account: ChannelAccount, customer: Customer, by: User) -> str:
    """The address that opens `account`'s bot and links the chat to `customer` (a customer `by` can see): send
    it to the customer by SMS or e-mail, or show it as a QR code. Valid PEYVAND_BOT_LINK_DAYS days."""
    if not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You cannot see this customer."))
    if account.channel != Channel.MESSENGER or not account.is_active:
        raise ValidationError({"account": [_("Choose an active messenger bot.")]})
    username = str((account.config or {}).get("bot_username") or "").strip().lstrip("@")
    if not username:
        raise ValidationError({"account": [_("Set the bot's user name in its settings first.")]})
    return f"{bot_class(account).link_base}{username}?start={link_token_make(account=account, customer=customer)}"


def phone_from_contact(raw: object) -> str | None:
    """A shared contact's phone as E.164. Telegram sends it in international form, usually without the +."""
    text = str(raw or "").strip()
    if not text or len(text) > 32:
        return None
    if not text.startswith("+") and text.isdigit() and not text.startswith("0"):
        return try_normalize_phone("+" + text) or iranian_mobile_e164(text)
    return iranian_mobile_e164(text) or try_normalize_phone(text)


def customer_for_phone(phone: str) -> Customer | None:
    """The one customer owning `phone`; None when nobody does or several do (a shared office line is not
    proof of who is writing)."""
    ids = list(
        CustomerPhone.objects.filter(number=phone, customer__deleted_at__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()[:2]
    )
    return Customer.objects.get(pk=ids[0]) if len(ids) == 1 else None


def chat_link(*, chat: BotChat, customer: Customer, at: datetime | None = None) -> BotChat:
    chat.customer, chat.linked_at = customer, at or timezone.now()
    chat.save(update_fields=["customer", "linked_at", "updated_at"])
    return chat
