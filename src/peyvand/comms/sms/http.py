"""One HTTP call to an SMS gateway, with a timeout, its failures sorted into "not sent" and "maybe sent"."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any

from peyvand.comms.outbox.engine import OutcomeUnknown, provider_timeout
from peyvand.comms.providers import TemporaryError

__all__ = ["GatewayResponse", "call"]


class GatewayResponse:
    def __init__(self, status: int, body: bytes, headers: Any) -> None:
        self.status, self.body, self.headers = status, body, headers

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None

    def retry_after(self) -> float | None:
        value = (self.headers.get("Retry-After") if self.headers is not None else None) or ""
        return float(value) if value.strip().isdigit() else None


# Connections kept open between calls, per thread (a worker sends one message after another to the same
# gateway; a new TCP and TLS connection for each would cost more than the request). One idle longer than
# IDLE_SECONDS is not reused: servers close idle connections, and a request written into one that the server
# has just closed cannot tell "not received" from "received".
IDLE_SECONDS = 4.0
_pool = threading.local()


def _pooled(url: urllib.parse.SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """(a connection to the URL's server, whether it was used before)."""
    key = (url.scheme, url.hostname, url.port)
    connections: dict[Any, tuple[http.client.HTTPConnection, float]] = getattr(_pool, "connections", None) or {}
    _pool.connections = connections
    held = connections.pop(key, None)
    if held is not None:
        conn, last_used = held
        if time.monotonic() - last_used < IDLE_SECONDS and conn.sock is not None:
            conn.timeout = timeout
            conn.sock.settimeout(timeout)
            return conn, True
        conn.close()
    conn = _connection(url, timeout)
    try:
        conn.connect()
    except (OSError, ssl.SSLError) as exc:
        raise TemporaryError(f"gateway unreachable: {exc}") from None
    if conn.sock is not None:
        # Headers and body leave at once: with Nagle's algorithm the body waits for the peer's delayed ACK.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn, False


def _keep(url: urllib.parse.SplitResult, conn: http.client.HTTPConnection) -> None:
    _pool.connections[(url.scheme, url.hostname, url.port)] = (conn, time.monotonic())


def _connection(url: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    if url.scheme == "https":
        return http.client.HTTPSConnection(
            url.hostname or "", url.port, timeout=timeout, context=ssl.create_default_context()
        )
    if url.scheme == "http":
        return http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)
    raise TemporaryError(f"not an http(s) address: {url.scheme}")


def call(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> GatewayResponse:
    """The gateway's answer, whatever its HTTP status. Nothing reaching the gateway (a refused connection, a
    failed name look-up, a failed TLS handshake) is a TemporaryError; a timeout or a connection cut once the
    request was on its way is OutcomeUnknown (the gateway may have taken the message)."""
    data: bytes | None = None
    request_headers = {"Accept": "application/json", **(headers or {})}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        request_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode()
        request_headers["Content-Type"] = "application/json; charset=utf-8"
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn, _reused = _pooled(parts, timeout or provider_timeout())
    try:
        conn.request(method, target or "/", body=data, headers=request_headers)
        response = conn.getresponse()
        answer = GatewayResponse(response.status, response.read(), response.headers)
    except TimeoutError as exc:
        conn.close()
        raise OutcomeUnknown(f"gateway timed out: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise OutcomeUnknown(f"gateway connection failed: {exc}") from None
    if response.will_close:
        conn.close()
    else:
        _keep(parts, conn)
    return answer
