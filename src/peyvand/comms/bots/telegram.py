"""The Bot API client and the outbox provider for Telegram, and for Bale or any other messenger that speaks the
same Bot API: one implementation, the differences (base URL, deep-link address, secret header) as attributes."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_noop

from peyvand.comms.providers import ConfigField, PermanentError, SendResult, TemporaryError

if TYPE_CHECKING:
    from peyvand.comms.models import ChannelAccount, OutboundMessage

__all__ = [
    "ASK_CONTACT",
    "LINKED",
    "MAX_TEXT",
    "BaleBot",
    "BotApi",
    "TelegramBot",
]

log = logging.getLogger(__name__)

# Telegram refuses a text longer than this (after entity parsing); Bale keeps the same limit.
MAX_TEXT = 4096
# Outbox templates the provider presents specially: a keyboard asking for the phone (the button's label travels
# in the message's subject), and removing that keyboard once the chat is linked.
ASK_CONTACT = "bots:ask_contact"
LINKED = "bots:linked"


class BotApi:
    """Calls to one bot's Bot API (`POST {base}/bot{token}/{method}` with a JSON body). Every answer is
    `{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …, "parameters": …}`: a
    refusal the next try would meet again raises PermanentError, anything else (429, 5xx, a timeout, a broken
    answer) TemporaryError."""

    def __init__(self, *, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def for_account(cls, account: ChannelAccount) -> BotApi:
        provider = bot_class(account)
        config = account.config or {}
        try:
            timeout = float(config.get("timeout") or 10)
        except (TypeError, ValueError):
            timeout = 10.0
        return cls(
            base_url=str(config.get("base_url") or provider.default_base_url),
            token=str((account.secrets or {}).get("token") or ""),
            timeout=max(1.0, min(timeout, 120.0)),
        )

    def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        if not self.token:
            raise PermanentError("The bot has no token.")
        url = f"{self.base_url}/bot{self.token}/{method}"
        data = json.dumps(payload or {}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the base URL is an administrator's setting (http/https)
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        if not url.startswith(("http://", "https://")):
            raise PermanentError("The Bot API address must start with http:// or https://.")
        status, body = 0, b""
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310
                status, body = response.status, response.read(2_000_000)
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read(2_000_000)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TemporaryError(f"{method}: the Bot API did not answer ({exc})") from None
        return self._result(method, status, body)

    @staticmethod
    def _result(method: str, status: int, body: bytes) -> Any:
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            if status >= 500 or status in (0, 429):
                raise TemporaryError(f"{method}: HTTP {status}")
            if 200 <= status < 300:
                raise TemporaryError(f"{method}: an answer that is not JSON")
            raise PermanentError(f"{method}: HTTP {status}")
        if answer.get("ok") is True:
            return answer.get("result")
        error_code = answer.get("error_code")
        code: int = error_code if isinstance(error_code, int) else status
        description = str(answer.get("description") or "")[:300]
        text = f"{method}: {code} {description}".strip()
        parameters = answer.get("parameters")
        if code == 429:
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise TemporaryError(text, retry_after=float(retry_after) if isinstance(retry_after, int | float) else None)
        if code >= 500:
            raise TemporaryError(text)
        # 400 (bad chat, text), 401 (bad token), 403 (the user blocked the bot), 404, 409 (a webhook is set while
        # polling): the same call fails the same way next time.
        raise PermanentError(text)

    def send_message(self, chat_id: str, text: str, *, reply_markup: dict[str, Any] | None = None) -> Any:
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_markup is not None:
            payload["reply_markup"] = reply_markup
        return self.call("sendMessage", payload)

    def get_updates(self, *, offset: int, limit: int = 100) -> list[Any]:
        # timeout=0: a short poll, the worker asks again on its schedule rather than holding a connection.
        result = self.call("getUpdates", {"offset": offset, "limit": limit, "timeout": 0})
        if not isinstance(result, list):
            raise TemporaryError("getUpdates: the result is not a list")
        return result

    def set_webhook(self, *, url: str, secret_token: str = "") -> Any:
        payload: dict[str, Any] = {"url": url, "allowed_updates": ["message", "edited_message"]}
        if secret_token:
            payload["secret_token"] = secret_token
        return self.call("setWebhook", payload)

    def delete_webhook(self) -> Any:
        return self.call("deleteWebhook", {})


def _config_fields(default_base_url: str) -> tuple[ConfigField, ...]:
    return (
        ConfigField(
            "token", gettext_noop("Bot token"), secret=True, help=gettext_noop("From the messenger's bot maker.")
        ),
        ConfigField("base_url", gettext_noop("Bot API address"), required=False, default=default_base_url),
        ConfigField(
            "webhook_secret",
            gettext_noop("Webhook secret"),
            secret=True,
            required=False,
            help=gettext_noop("Sent back by the messenger in a header with every update (letters, digits, _ and -)."),
        ),
        ConfigField(
            "bot_username",
            gettext_noop("Bot user name"),
            required=False,
            help=gettext_noop("For the links to the bot."),
        ),
        ConfigField(
            "ticket_rule",
            gettext_noop("Messages become tickets"),
            required=False,
            default="conversation",
            choices=(
                ("conversation", gettext_noop("A ticket for each conversation")),
                ("none", gettext_noop("No tickets: the timeline only")),
            ),
        ),
        ConfigField(
            "conversation_hours",
            gettext_noop("Hours a conversation lasts"),
            required=False,
            default="24",
            help=gettext_noop("Messages within this many hours of the last one go on the same ticket."),
        ),
        ConfigField("timeout", gettext_noop("Timeout (seconds)"), required=False, default="10"),
    )


class TelegramBot:
    """A Telegram bot (https://core.telegram.org/bots/api). Telegram has no idempotency key for sendMessage, so
    the outbox's lease is what keeps a message from being sent twice."""

    channel: ClassVar[str] = "messenger"
    name: ClassVar[str] = "telegram"
    label: ClassVar[str] = gettext_noop("Telegram")
    default_base_url: ClassVar[str] = "https://api.telegram.org"
    # Where a deep link to the bot points: {link_base}{bot_username}?start={payload}.
    link_base: ClassVar[str] = "https://t.me/"
    # Whether setWebhook takes secret_token and updates carry it in X-Telegram-Bot-Api-Secret-Token.
    secret_header: ClassVar[bool] = True
    config_fields: ClassVar[tuple[ConfigField, ...]] = _config_fields("https://api.telegram.org")

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        self.api = BotApi.for_account(account)

    def send(self, message: OutboundMessage) -> SendResult:
        if len(message.body) > MAX_TEXT:
            raise PermanentError(f"The text is longer than {MAX_TEXT} characters.")
        markup: dict[str, Any] | None = None
        if message.template == ASK_CONTACT:
            markup = {
                "keyboard": [[{"text": message.subject or "☎", "request_contact": True}]],
                "resize_keyboard": True,
                "one_time_keyboard": True,
            }
        elif message.template == LINKED:
            markup = {"remove_keyboard": True}
        result = self.api.send_message(message.to, message.body, reply_markup=markup)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(provider_message_id=str(message_id) if message_id is not None else "", delivered=True)


class BaleBot(TelegramBot):
    """A Bale bot (https://docs.bale.ai): Telegram's Bot API at another address. Bale's documentation does not
    promise the secret header, so its updates are authenticated by the secret address alone unless a webhook
    secret is set."""

    name: ClassVar[str] = "bale"
    label: ClassVar[str] = gettext_noop("Bale")
    default_base_url: ClassVar[str] = "https://tapi.bale.ai"
    link_base: ClassVar[str] = "https://ble.ir/"
    secret_header: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = _config_fields("https://tapi.bale.ai")


# Provider name -> class, for the inbound side (webhooks, polling, deep links).
BOT_CLASSES: dict[str, type[TelegramBot]] = {"telegram": TelegramBot, "bale": BaleBot}


def bot_class(account: ChannelAccount) -> type[TelegramBot]:
    return BOT_CLASSES.get(account.provider, TelegramBot)
