"""A local Bot API server for tests: Telegram's Bot API as documented at https://core.telegram.org/bots/api
(Bot API 8.x: "Making requests", sendMessage, sendPhoto, sendDocument, getFile, getUpdates, setWebhook,
deleteWebhook, getWebhookInfo, ResponseParameters, "Sending files"), which Bale's API (https://docs.bale.ai) copies.

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
- sendPhoto / sendDocument are multipart/form-data uploads ("Sending files": post the file "in the usual way
  that files are uploaded via the browser") with chat_id, an optional caption of 0-1024 characters (400
  "Bad Request: message caption is too long") and the file in the field `photo` / `document`; the result is the
  Message sent;
- getFile takes file_id and returns a File (file_id, file_unique_id, file_size, file_path); a file_id the server
  does not know: 400 "Bad Request: invalid file_id"; a file over 20 MB: 400 "Bad Request: file is too big";
  the bytes are then served by `GET /file/bot<token>/<file_path>` (404 for an unknown path);
- getWebhookInfo returns a WebhookInfo: url ("" when polling), has_custom_certificate, pending_update_count,
  and last_error_date / last_error_message when the last delivery failed (`webhook_error` sets them);
- too many requests: 429 "Too Many Requests: retry after N" with parameters.retry_after (scripted by a test
  through `fail_next`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
GET_FILE_LIMIT = 20 * 1024 * 1024
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
        self.webhook_error: tuple[int, str] | None = None  # (unix time, message) of the last failed delivery
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self.sizes: dict[str, int] = {}  # file_id -> a size to claim instead of the real one
        self.downloads: Counter[str] = Counter()  # file_path -> times fetched
        self.fail_download: list[int] = []  # HTTP statuses the next downloads answer
        self.uploads: list[dict[str, Any]] = []  # every accepted sendPhoto / sendDocument: fields and the file
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

    def add_file(self, file_id: str, content: bytes, *, path: str = "", claimed_size: int | None = None) -> None:
        """A file the server holds: getFile answers for `file_id`, the bytes are served at its path."""
        with self.lock:
            self.files[file_id] = (path or f"documents/file_{len(self.files)}.bin", content)
            if claimed_size is not None:
                self.sizes[file_id] = claimed_size

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

    def _m_getFile(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = str(body.get("file_id") or "")
        if file_id not in self.files:
            return 400, _error(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        size = self.sizes.get(file_id, len(content))
        if size > GET_FILE_LIMIT:
            return 400, _error(400, "Bad Request: file is too big")
        result = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size, "file_path": path}
        return 200, {"ok": True, "result": result}

    def _upload(self, body: dict[str, Any], field: str) -> tuple[int, dict[str, Any]]:
        chat_id, upload = body.get("chat_id"), body.get(field)
        if chat_id in (None, ""):
            return 400, _error(400, "Bad Request: chat_id is empty")
        if not isinstance(upload, dict) or not upload.get("content"):
            return 400, _error(400, f"Bad Request: there is no {field} in the request")
        caption = body.get("caption") or ""
        if len(caption) > 1024:
            return 400, _error(400, "Bad Request: message caption is too long")
        if str(chat_id) in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        self._next_message_id += 1
        self.uploads.append({**body, "method": field})
        message: dict[str, Any] = {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
        }
        if caption:
            message["caption"] = caption
        if field == "photo":
            message["photo"] = [{"file_id": f"p{self._next_message_id}", "file_unique_id": "x", "width": 1}]
        else:
            message["document"] = {"file_id": f"d{self._next_message_id}", "file_name": upload["filename"]}
        return 200, {"ok": True, "result": message}

    def _m_sendPhoto(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._upload(body, "photo")

    def _m_sendDocument(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._upload(body, "document")

    def _m_getWebhookInfo(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook and self.webhook_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        if self.webhook:
            info["max_connections"] = 40
        return 200, {"ok": True, "result": info}

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
            def do_GET(self) -> None:
                match = _FILE_PATH.match(self.path.split("?")[0])
                with stub.lock:
                    status = stub.fail_download.pop(0) if stub.fail_download else 0
                    found = None
                    if match is not None and match["token"] == stub.token:
                        wanted = urllib.parse.unquote(match["path"])
                        found = next((c for p, c in stub.files.values() if p == wanted), None)
                        stub.downloads[wanted] += 1
                if status:
                    self._send(status, _error(status, "scripted"))
                    return
                if found is None:
                    self._send(404, _error(404, "Not Found"))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(found)))
                self.end_headers()
                self.wfile.write(found)

            def do_POST(self) -> None:
                match = _PATH.match(self.path.split("?")[0])
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                if match is None:
                    self._send(404, _error(404, "Not Found"))
                    return
                content_type = self.headers.get("Content-Type") or ""
                if content_type.startswith("multipart/form-data"):
                    body: Any = _multipart(content_type, raw)
                else:
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


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body (RFC 7578) as {field: text} and, for a file, {field: {filename, content_type,
    content}}; names are UTF-8 as browsers send them."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return {}
    fields: dict[str, Any] = {}
    for part in raw.split(b"--" + match[1].encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _sep, body = part.partition(b"\r\n\r\n")
        headers = head.decode("utf-8").strip()
        body = body.removesuffix(b"\r\n")
        name = re.search(r'name="([^"]*)"', headers)
        if name is None:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        if filename is not None:
            kind = re.search(r"Content-Type:\s*([^\r\n]+)", headers, flags=re.IGNORECASE)
            fields[name[1]] = {
                "filename": urllib.parse.unquote(filename[1]),
                "content_type": kind[1].strip() if kind else "",
                "content": body,
            }
        else:
            fields[name[1]] = body.decode("utf-8")
    return fields


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return answer
