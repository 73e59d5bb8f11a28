"""Channel settings: administrators add and change the accounts messages go out and come in by, rotate their
inbound tokens, send a test through one, and retry or cancel a message in the outbox."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets as random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.outbox import deliver_now, enqueue_message
from peyvand.comms.providers import PROVIDERS, ConfigField, provider_class
from peyvand.core.phone import InvalidPhone, normalize_phone
from peyvand.sales.services._common import Errors, clean_line, unknown_fields

__all__ = [
    "ACCOUNT_FIELDS",
    "SENDING_CHANNELS",
    "ProviderInfo",
    "account_create",
    "account_rotate_token",
    "account_send_test",
    "account_update",
    "message_cancel",
    "message_retry",
    "new_inbound_token",
    "provider_info",
    "require_channels_admin",
    "require_channels_reader",
]

logger = logging.getLogger(__name__)

# The channels a message can be sent by; calls, chats and forms only come in (a chat's answers go by its socket).
SENDING_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.MESSENGER)
ACCOUNT_FIELDS = {"name", "is_active", "is_default", "rate_per_minute", "config", "secrets"}
MAX_RATE = 1_000_000
# A provider's setting is a line or a short block (a certificate is the longest kept there).
MAX_SETTING_LENGTH = 5000
# A test message waits this long before a worker may take it, so it is sent once, by the request that made it
# (a worker that took it at the same moment would send it a second time).
TEST_HOLD = dt.timedelta(hours=1)
_CHAT_ID = re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")


def require_channels_admin(by: User) -> None:
    """Accounts hold the keys of paid gateways and mailboxes: administrators alone change them."""
    if not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the channel settings."))


def require_channels_reader(by: User) -> None:
    """Managers may read the settings (which gateways are in use, whether they work), never change them."""
    if not (by.is_admin_role or by.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators can see the channel settings."))


def new_inbound_token() -> str:
    return random.token_urlsafe(32)


@dataclass(frozen=True)
class ProviderInfo:
    """A provider as the settings see it. Provider classes are written apart from these pages and loaded only
    when asked for: one that cannot be loaded gives `error` (and no fields) instead of breaking the page."""

    channel: str
    name: str
    label: str
    fields: tuple[ConfigField, ...]
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def provider_info(channel: str, name: str) -> ProviderInfo:
    try:
        cls = provider_class(channel, name)
        fields = tuple(getattr(cls, "config_fields", ()))
        if not all(isinstance(item, ConfigField) for item in fields):
            raise TypeError("config_fields must hold ConfigField items")
        label = str(getattr(cls, "label", "") or name)
    except Exception as exc:
        # Any failure of someone else's module (missing, a syntax error, a bad attribute) is this provider's,
        # not the page's: say which and why.
        logger.warning("Provider %s/%s cannot be loaded: %s", channel, name, exc)
        return ProviderInfo(channel, name, name, (), error=f"{type(exc).__name__}: {exc}"[:300])
    return ProviderInfo(channel, name, label, fields)


def _clean_common(data: Mapping[str, Any], *, instance: ChannelAccount | None, errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    creating = instance is None
    if "name" in data or creating:
        name = clean_line(data.get("name") or "", model=ChannelAccount, field="name", errors=errors)
        if not name:
            errors.add("name", _("This field is required."))
        out["name"] = name
    for flag in ("is_active", "is_default"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors.add(flag, _("Answer yes or no."))
            else:
                out[flag] = data[flag]
    if "rate_per_minute" in data:
        rate = data["rate_per_minute"]
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE):
            errors.add(
                "rate_per_minute",
                _("Write a whole number from 1 to %(max)d, or leave it empty for no limit.") % {"max": MAX_RATE},
            )
        else:
            out["rate_per_minute"] = rate
    return out


def _clean_settings(
    data: Mapping[str, Any], *, provider: ProviderInfo, instance: ChannelAccount | None, errors: Errors
) -> tuple[dict[str, str], dict[str, str]]:
    """The account's config and secrets after `data` is applied: config given replaces the values named, a secret
    given as text replaces the one kept, empty leaves it as it is and None removes it."""
    config: dict[str, str] = dict(instance.config) if instance is not None else {}
    kept: dict[str, str] = dict(instance.secrets) if instance is not None else {}
    fields = {item.name: item for item in provider.fields}
    given_config = data.get("config") or {}
    given_secrets = data.get("secrets") or {}
    for part, given in (("config", given_config), ("secrets", given_secrets)):
        if not isinstance(given, Mapping):
            errors.add(part, _("Send the settings as an object of names and values."))
            return config, kept
        for key in given:
            item = fields.get(str(key))
            if item is None or item.secret != (part == "secrets"):
                errors.add(f"{part}.{key}", _("The provider has no such setting."))
    for item in provider.fields:
        part = "secrets" if item.secret else "config"
        given = given_secrets if item.secret else given_config
        target = kept if item.secret else config
        if item.name in given:
            value = given[item.name]
            if value is None and item.secret:
                target.pop(item.name, None)
            elif not isinstance(value, str | int | float) or isinstance(value, bool):
                errors.add(f"{part}.{item.name}", _("Write it as text."))
                continue
            else:
                text = str(value).strip()
                if "\x00" in text:
                    errors.add(f"{part}.{item.name}", _("Text cannot contain a NUL character."))
                elif len(text) > MAX_SETTING_LENGTH:
                    errors.add(
                        f"{part}.{item.name}",
                        _("This is too long: at most %(limit)d characters.") % {"limit": MAX_SETTING_LENGTH},
                    )
                elif text or not item.secret:
                    target[item.name] = text
        elif instance is None and not item.secret and item.default:
            config[item.name] = item.default
        value = target.get(item.name, "")
        if item.choices and value and value not in {choice for choice, _label in item.choices}:
            errors.add(f"{part}.{item.name}", _("Choose one of the offered values."))
        if item.required and not value:
            errors.add(f"{part}.{item.name}", _("This field is required."))
    return config, kept


def _settle_default(account: ChannelAccount) -> None:
    """One default per channel: the account made default takes it from the other; the first active account of a
    channel becomes its default by itself; an inactive account is nobody's default."""
    if not account.is_active:
        account.is_default = False
    elif not account.is_default:
        others = ChannelAccount.objects.filter(channel=account.channel, is_default=True).exclude(pk=account.pk)
        if not others.exists():
            account.is_default = True
    if account.is_default:
        ChannelAccount.objects.filter(channel=account.channel, is_default=True).exclude(pk=account.pk).update(
            is_default=False
        )


def account_create(*, by: User, channel: str, provider: str, data: Mapping[str, Any]) -> ChannelAccount:
    """A new account of `channel` using `provider` (a name in comms.providers.PROVIDERS), with its settings."""
    require_channels_admin(by)
    errors = Errors()
    unknown_fields(data, ACCOUNT_FIELDS, errors)
    if channel not in Channel.values:
        errors.add("channel", _("There is no such channel."))
        errors.raise_if_any()
    if provider not in PROVIDERS.get(channel, {}):
        errors.add("provider", _("This channel has no such provider."))
        errors.raise_if_any()
    info = provider_info(channel, provider)
    if not info.ok:
        errors.add("provider", _("This provider cannot be used now: %(error)s") % {"error": info.error})
        errors.raise_if_any()
    common = _clean_common(data, instance=None, errors=errors)
    config, kept = _clean_settings(data, provider=info, instance=None, errors=errors)
    if common.get("is_default") and common.get("is_active") is False:
        errors.add("is_default", _("An inactive account cannot be the channel's default."))
    errors.raise_if_any()
    with transaction.atomic():
        # Taking the channel's accounts in order keeps two admins from both making "the" default at once.
        list(ChannelAccount.objects.select_for_update().filter(channel=channel).values_list("pk", flat=True))
        account = ChannelAccount(
            channel=channel,
            provider=provider,
            config=config,
            secrets=kept,
            inbound_token=new_inbound_token(),
            **{"is_active": True, "is_default": False, "rate_per_minute": None, **common},
        )
        _settle_default(account)
        account.save()
    logger.info("Channel account %s (%s/%s) added by %s", account.pk, channel, provider, by.pk)
    return account


def account_update(*, account: ChannelAccount, by: User, data: Mapping[str, Any]) -> ChannelAccount:
    """Change an account: its name, settings, secrets (given ones only), active state, default, rate.

    A provider that cannot be loaded now still lets its account be renamed, deactivated or limited: its settings
    are kept as they are."""
    require_channels_admin(by)
    errors = Errors()
    unknown_fields(data, ACCOUNT_FIELDS, errors)
    common = _clean_common(data, instance=account, errors=errors)
    info = provider_info(account.channel, account.provider)
    config, kept = dict(account.config), dict(account.secrets)
    if info.ok and ("config" in data or "secrets" in data):
        config, kept = _clean_settings(data, provider=info, instance=account, errors=errors)
    elif data.get("config") or data.get("secrets"):
        errors.add("provider", _("This provider cannot be used now: %(error)s") % {"error": info.error})
    is_active = common.get("is_active", account.is_active)
    if common.get("is_default") and not is_active:
        errors.add("is_default", _("An inactive account cannot be the channel's default."))
    errors.raise_if_any()
    with transaction.atomic():
        list(ChannelAccount.objects.select_for_update().filter(channel=account.channel).values_list("pk", flat=True))
        for key, value in common.items():
            setattr(account, key, value)
        account.config, account.secrets = config, kept
        _settle_default(account)
        account.save()
    return account


def account_rotate_token(*, account: ChannelAccount, by: User) -> ChannelAccount:
    """A new inbound token: the old inbound URLs stop working at once (the provider must be given the new ones)."""
    require_channels_admin(by)
    account.inbound_token = new_inbound_token()
    account.save(update_fields=["inbound_token", "updated_at"])
    logger.info("Inbound token of channel account %s rotated by %s", account.pk, by.pk)
    return account


def _clean_recipient(channel: str, to: str) -> str:
    to = (to or "").strip()
    if not to:
        raise ValidationError({"to": [_("This field is required.")]})
    if channel == Channel.SMS:
        try:
            return normalize_phone(to)
        except InvalidPhone:
            raise ValidationError({"to": [_("Enter a mobile number, like 0912 123 4567.")]}) from None
    if channel == Channel.EMAIL:
        try:
            validate_email(to)
        except ValidationError:
            raise ValidationError({"to": [_("Enter a valid e-mail address.")]}) from None
        return to
    if not _CHAT_ID.fullmatch(to):
        raise ValidationError({"to": [_("Enter the chat's number (its id) or the channel's @name.")]})
    return to


def account_send_test(*, account: ChannelAccount, by: User, to: str, text: str = "") -> OutboundMessage:
    """Send a test message through `account` now, in this request, and return it with its outcome (sent, or
    failed with the provider's answer). It goes through the outbox (batch "test") like every message."""
    require_channels_admin(by)
    if account.channel not in SENDING_CHANNELS:
        raise ValidationError(_("This channel does not send messages; use its inbound address to test it."))
    to = _clean_recipient(account.channel, to)
    text = (text or "").strip()
    if "\x00" in text or len(text) > 1000:
        raise ValidationError({"text": [_("Write at most 1000 characters.")]})
    body = text or _("A test message from Peyvand: the account “%(name)s” works.") % {"name": account.name}
    with transaction.atomic():
        message = enqueue_message(
            channel=account.channel,
            to=to,
            subject=_("Peyvand test message") if account.channel == Channel.EMAIL else "",
            body=body,
            account=account,
            idempotency_key=f"test-{account.pk}-{uuid.uuid4().hex}",
            template="test",
            batch="test",
            by=by,
        )
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + TEST_HOLD)
    try:
        message = deliver_now(message)
        if message.status == MessageStatus.QUEUED:
            # A temporary failure puts a message back for a later attempt; a test is tried once, and the person
            # who pressed the button reads why it failed.
            OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
                status=MessageStatus.FAILED, updated_at=timezone.now()
            )
            message.refresh_from_db()
    except Exception as exc:
        # The provider's code failed in a way it should have reported as an error: the test says so.
        logger.exception("Test send through channel account %s failed", account.pk)
        OutboundMessage.objects.filter(pk=message.pk, status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]).update(
            status=MessageStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=timezone.now()
        )
        message.refresh_from_db()
    return message


def message_retry(*, message: OutboundMessage, by: User) -> OutboundMessage:
    """A failed message back in the outbox, with a fresh count of attempts, to be sent by the next worker."""
    require_channels_admin(by)
    now = timezone.now()
    moved = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        lease_token="",
        error="",
        updated_at=now,
    )
    if not moved:
        raise ValidationError({"status": [_("Only a failed message can be sent again.")]})
    message.refresh_from_db()
    logger.info("Outbox message %s put back in the queue by %s", message.pk, by.pk)
    return message


def message_cancel(*, message: OutboundMessage, by: User) -> OutboundMessage:
    """A queued message taken out of the outbox. One a worker is already sending cannot be called back."""
    require_channels_admin(by)
    moved = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, updated_at=timezone.now()
    )
    if not moved:
        raise ValidationError({"status": [_("Only a message waiting in the queue can be cancelled.")]})
    message.refresh_from_db()
    logger.info("Outbox message %s cancelled by %s", message.pk, by.pk)
    return message
