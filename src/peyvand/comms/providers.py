"""The providers a channel account can use, and the interface each one implements.

A provider is a class named here by its dotted path (so that importing this module loads no gateway code). The
outbox calls `send()` for each message, or `send_many()` for up to `max_batch` of them at once where the provider
has it (a campaign goes out in a few hundred requests instead of a million); the settings pages build their form
from `config_fields`; inbound webhooks and pollers live beside each provider in its channel's package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from peyvand.comms.models import ChannelAccount, OutboundMessage

__all__ = [
    "PROVIDERS",
    "BatchProvider",
    "ConfigField",
    "PermanentError",
    "Provider",
    "SendResult",
    "TemporaryError",
    "batch_size",
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


class BatchProvider(Provider, Protocol):
    """A provider that can send many messages in one request (optional: the outbox looks for `send_many`).

    `max_batch`: the most messages one call takes (1 or less: the provider sends one at a time after all, e.g.
    an account without the setting the batch request needs). `send_many` answers one entry per message, in
    order: its SendResult, or that message's own TemporaryError / PermanentError (a bad number fails only its
    message). An error raised by the call itself concerns every message of it: OutcomeUnknown (a timeout after
    the request went out: every message in doubt), TemporaryError (429, 5xx: all retried), PermanentError (the
    request refused as a whole: nothing was sent, and the outbox tries the messages one by one so that only the
    one at fault fails)."""

    max_batch: int

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | Exception]: ...


def batch_size(provider: object) -> int:
    """How many messages `provider` takes in one send_many call; 0 when it sends one at a time."""
    if not callable(getattr(provider, "send_many", None)):
        return 0
    size = int(getattr(provider, "max_batch", 0) or 0)
    return size if size > 1 else 0


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
