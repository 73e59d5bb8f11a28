"""A local Bot API server for tests: Telegram's Bot API as documented at https://core.telegram.org/bots/api
(Bot API 8.x: "Making requests", sendMessage, getUpdates, setWebhook, deleteWebhook, ResponseParameters), which
Bale's API (https://docs.bale.ai) copies.

Requests are `POST /bot<token>/<method>` with a JSON body; every answer is `{"ok": true, "result": …}` or
`{"ok": false, "error_code": N, "description": "…", "parameters": {"retry_after": S}}` with N as the HTTP status.
What the documentation says and the stub does:
- a wrong token: 401 "Unauthorized"; an unknown method: 404 "Not Found";
- sendMessage needs chat_id and a text of 1-4096 characters (400 "Bad Request: message text is empty" /
  "message is too long"); a user who blocked the bot: 403 "Forbidden: bot was blocked by the user"; the
  result is the Message sent, with its message_id;
- getUpdates returns the updates whose update_id >= offset, oldest first, at most `limit`; asking with an offset
  forgets the updates before it; while a webhook is set it answers 409 "Conflict: can't use getUpdates method
  while webhook is active; use deleteWebhook to delete the webhook first";
- setWebhook takes url and an optional secret_token (1-256 of A-Z, a-z, 0-9, _ and -); deleteWebhook clears it;
- too many requests: 429 "Too Many Requests: retry after N" with parameters.retry_after (scripted by a test
  through `fail_next`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class BotApiStub:
    """Start with `with BotApiStub(token="123:abc") as stub:`; `stub.url` is the base URL for an account."""

    def __init__(self, *, token: str = "123456:TEST-token") -> None:  # noqa: S107 - the stub's own test token
        self.token = token
        self.lock = threading.Lock()
        self.sent: list[dict[str, Any]] = []  # every accepted sendMessage body
        self.calls: Counter[str] = Counter()
        self.updates: list[dict[str, Any]] = []
        self.offsets: list[int] = []  # the offset of every getUpdates
        self.blocked: set[str] = set()  # chat ids of users who blocked the bot
        self.fail_next: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}  # method -> scripted errors
        self.webhook: dict[str, Any] = {}
        self._next_message_id = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> BotApiStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_update(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    # --- the methods ---------------------------------------------------------------------------------------

    def answer(self, token: str, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls[method] += 1
            if token != self.token:
                return 401, _error(401, "Unauthorized")
            scripted = self.fail_next.get(method)
            if scripted:
                code, description, parameters = scripted.pop(0)
                return code, _error(code, description, parameters)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                return 404, _error(404, "Not Found")
            return handler(body)

    def _m_sendMessage(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, text = body.get("chat_id"), body.get("text")
        if chat_id in (None, ""):
            return 400, _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        if str(chat_id) in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        self._next_message_id += 1
        self.sent.append(body)
        message = {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
            "text": text,
        }
        return 200, {"ok": True, "result": message}

    def _m_getUpdates(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook:
            return 409, _error(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first"
            )  # fmt: skip
        offset = int(body.get("offset") or 0)
        limit = max(1, min(int(body.get("limit") or 100), 100))
        self.offsets.append(offset)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return 200, {"ok": True, "result": self.updates[:limit]}

    def _m_setWebhook(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = body.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret}
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _m_deleteWebhook(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = {}
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = _PATH.match(self.path.split("?")[0])
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                if match is None:
                    self._send(404, _error(404, "Not Found"))
                    return
                try:
                    body = json.loads(raw.decode("utf-8") or "{}")
                except ValueError:
                    self._send(400, _error(400, "Bad Request: can't parse JSON"))
                    return
                self._send(*stub.answer(match["token"], match["method"], body if isinstance(body, dict) else {}))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return answer
