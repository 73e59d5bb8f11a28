"""The providers a channel account can use, and the interface each one implements.

A provider is a class named here by its dotted path (so that importing this module loads no gateway code). The
outbox calls `send()` for each message; the settings pages build their form from `config_fields`; inbound
webhooks and pollers live beside each provider in its channel's package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from peyvand.comms.models import ChannelAccount, OutboundMessage

__all__ = [
    "PROVIDERS",
    "ConfigField",
    "PermanentError",
    "Provider",
    "SendResult",
    "TemporaryError",
    "provider_class",
    "providers_for",
]


class TemporaryError(Exception):
    """The provider could not take the message now (timeout, 5xx, rate limited): try again later.
    `retry_after` (seconds) when the provider said how long to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """The provider refused the message for good (bad number, no credit, blocked): do not retry."""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    # True when the provider confirms delivery at once (e-mail accepted by the server counts as sent only).
    delivered: bool = False
    segments: int | None = None


@dataclass(frozen=True)
class ConfigField:
    """One setting of a provider, as the settings page asks for it."""

    name: str
    label: str  # translated by the page (a msgid marked with gettext_noop)
    secret: bool = False
    required: bool = True
    default: str = ""
    help: str = ""
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class Provider(Protocol):
    channel: str
    name: str
    label: str
    config_fields: tuple[ConfigField, ...]

    def __init__(self, account: ChannelAccount) -> None: ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Send `message` (its idempotency_key is the provider's local id where the API has one); raise
        TemporaryError or PermanentError when it is not sent."""


# channel -> provider name -> dotted path of its class.
PROVIDERS: dict[str, dict[str, str]] = {
    "sms": {
        "console": "peyvand.comms.sms.console.ConsoleSms",
        "kavenegar": "peyvand.comms.sms.kavenegar.Kavenegar",
        "smsir": "peyvand.comms.sms.smsir.SmsIr",
    },
    "email": {
        "smtp": "peyvand.comms.mail.sending.SmtpProvider",
    },
    "messenger": {
        "telegram": "peyvand.comms.bots.telegram.TelegramBot",
        "bale": "peyvand.comms.bots.telegram.BaleBot",
    },
    "call": {
        "asterisk": "peyvand.comms.telephony.provider.AsteriskPbx",
        "webhook": "peyvand.comms.telephony.provider.WebhookPbx",
    },
}


def provider_class(channel: str, name: str) -> type[Provider]:
    try:
        path = PROVIDERS[channel][name]
    except KeyError:
        raise LookupError(f"No provider {name!r} for the channel {channel!r}") from None
    cls: type[Provider] = import_string(path)
    return cls


def providers_for(channel: str) -> list[str]:
    return list(PROVIDERS.get(channel, {}))
