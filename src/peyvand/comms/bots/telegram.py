"""The Bot API client and the outbox provider for Telegram, and for Bale or any other messenger that speaks the
same Bot API: one implementation, the differences (base URL, deep-link address, secret header) as attributes."""

from __future__ import annotations

import json
import logging
import mimetypes
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_noop

from peyvand.comms.providers import ConfigField, PermanentError, SendResult, TemporaryError

if TYPE_CHECKING:
    from peyvand.comms.bots.models import OutgoingFile
    from peyvand.comms.models import ChannelAccount, OutboundMessage

__all__ = [
    "ASK_CONTACT",
    "GET_FILE_LIMIT",
    "LINKED",
    "MAX_CAPTION",
    "MAX_TEXT",
    "BaleBot",
    "BotApi",
    "FileTooLarge",
    "TelegramBot",
]

log = logging.getLogger(__name__)

# Telegram refuses a text longer than this (after entity parsing); Bale keeps the same limit.
MAX_TEXT = 4096
# A file's caption is shorter.
MAX_CAPTION = 1024
# getFile hands out files of at most 20 MB (https://core.telegram.org/bots/api#getfile).
GET_FILE_LIMIT = 20 * 1024 * 1024
# sendPhoto takes photos of at most 10 MB; a larger image goes as a document.
PHOTO_LIMIT = 10 * 1024 * 1024
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

    @property
    def bot_id(self) -> str:
        """The bot's own user id: the token's part before the colon."""
        return self.token.split(":", 1)[0] if ":" in self.token else ""

    def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        data = json.dumps(payload or {}, ensure_ascii=False).encode()
        return self._post(method, data, "application/json", timeout=timeout)

    def call_multipart(
        self, method: str, fields: dict[str, str], *, file_field: str, file_name: str, content: bytes, content_type: str
    ) -> Any:
        """A method that uploads a file (sendDocument, sendPhoto): multipart/form-data, the other parameters as
        form fields (JSON-serialised when they are objects, as the Bot API asks)."""
        boundary = f"peyvand{secrets.token_hex(16)}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        # The file's name as browsers send it (RFC 7578 4.2): UTF-8, with quotes and line breaks percent-escaped.
        safe = file_name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{safe}"\r\n'.encode()
            + f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        # An upload takes longer than a call: a minute more than the account's timeout.
        return self._post(
            method, b"".join(parts), f"multipart/form-data; boundary={boundary}", timeout=self.timeout + 60
        )

    def _post(self, method: str, data: bytes, content_type: str, *, timeout: float | None = None) -> Any:
        if not self.token:
            raise PermanentError("The bot has no token.")
        url = f"{self.base_url}/bot{self.token}/{method}"
        request = urllib.request.Request(  # noqa: S310 - the base URL is an administrator's setting (http/https)
            url, data=data, method="POST", headers={"Content-Type": content_type}
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

    def get_webhook_info(self) -> dict[str, Any]:
        result = self.call("getWebhookInfo", {})
        if not isinstance(result, dict):
            raise TemporaryError("getWebhookInfo: the result is not an object")
        return result

    def get_file(self, file_id: str) -> dict[str, Any]:
        """The File object of `file_id`: its `file_path` is valid for at least an hour."""
        result = self.call("getFile", {"file_id": file_id})
        if not isinstance(result, dict):
            raise TemporaryError("getFile: the result is not an object")
        return result

    def download(self, file_path: str, *, limit: int) -> bytes:
        """The bytes at `{base}/file/bot<token>/<file_path>`; PermanentError past `limit` bytes (read no
        further), on a 4xx (the path expired or is wrong: the caller asks getFile again next time), or for a
        path that tries to leave the bot's files."""
        if not self.token:
            raise PermanentError("The bot has no token.")
        if not file_path or file_path.startswith("/") or ".." in file_path.split("/") or "://" in file_path:
            raise PermanentError(f"download: a file path that is not the bot's ({file_path[:100]})")
        url = f"{self.base_url}/file/bot{self.token}/{urllib.parse.quote(file_path)}"
        if not url.startswith(("http://", "https://")):
            raise PermanentError("The Bot API address must start with http:// or https://.")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout + 60) as response:  # noqa: S310 - as above
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > limit:
                    raise FileTooLarge(declared)
                data: bytes = response.read(limit + 1)
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise TemporaryError(f"download: HTTP {exc.code}") from None
            raise PermanentError(f"download: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TemporaryError(f"download: the Bot API did not answer ({exc})") from None
        if len(data) > limit:
            raise FileTooLarge(len(data))
        return data

    def send_file(self, chat_id: str, *, name: str, content: bytes, content_type: str, caption: str = "") -> Any:
        """sendPhoto for a JPEG or PNG the messenger takes as a photo, sendDocument for anything else."""
        as_photo = content_type in ("image/jpeg", "image/png") and len(content) <= PHOTO_LIMIT
        method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
        fields = {"chat_id": chat_id}
        if caption:
            fields["caption"] = caption
        return self.call_multipart(
            method, fields, file_field=field, file_name=name, content=content, content_type=content_type
        )


class FileTooLarge(PermanentError):
    """A file larger than what is fetched: left out, with its size."""

    def __init__(self, size: int) -> None:
        super().__init__(f"The file is {size} bytes, more than can be fetched.")
        self.size = size


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
        from peyvand.comms.bots.models import OutgoingFile

        attached = OutgoingFile.objects.filter(message_id=message.pk).first()
        if attached is not None:
            return self._send_file(message, attached)
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
        return _sent(result)

    def _send_file(self, message: OutboundMessage, attached: OutgoingFile) -> SendResult:
        caption = message.body if attached.caption else ""
        if len(caption) > MAX_CAPTION:
            raise PermanentError(f"A file's caption is longer than {MAX_CAPTION} characters.")
        try:
            with attached.file.open("rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise PermanentError(f"The file to send is gone: {exc}") from None
        content_type = attached.content_type or mimetypes.guess_type(attached.name)[0] or "application/octet-stream"
        result = self.api.send_file(
            message.to, name=attached.name, content=content, content_type=content_type, caption=caption
        )
        return _sent(result)


def _sent(result: Any) -> SendResult:
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
