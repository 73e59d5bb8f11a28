"""A local stand-in for two Iranian SMS gateways, served over real HTTP on 127.0.0.1, answering as their
documentation says they do.

Kavenegar REST API v1 (https://kavenegar.com/rest.html, as published in 2024):
  POST|GET /v1/{API-KEY}/sms/send.json  receptor, message, sender, localid →
      {"return": {"status": 200, "message": "تایید شد"}, "entries": [{"messageid", "message", "status": 1,
       "statustext", "sender", "receptor", "date", "cost", "localid"?}]}
      a localid it has seen is not sent again: the first message's entry is returned.
  GET /v1/{API-KEY}/sms/statuslocalmessageid.json?localid= → entries [{"messageid", "localid", "status",
      "statustext"}] (messageid 0 and status 100 when there is none)
  errors: HTTP status = return.status (403 bad API key, 411 bad receptor, 418 no credit, 409/429 try later).
SMS.ir REST API v1 (https://app.sms.ir/developer/help, 2024):
  POST /v1/send/bulk  header X-API-KEY, JSON {"lineNumber", "messageText", "mobiles": [...]} →
      {"status": 1, "message": "موفق", "data": {"packId", "messageIds": [...], "cost"}}
  GET /v1/send/live?pageNumber=&pageSize= → {"status": 1, "data": [{"messageId", "mobile", "messageText",
      "sendDateTime", "lineNumber", "cost", "deliveryState"}]}
  GET /v1/send/{messageId} → {"status": 1, "data": {...one of the above}}
  errors: {"status": 10, "message": "..."} with HTTP 401 for a bad key; 429 for too many requests.

It records every request, counts what it accepted per Kavenegar localid, can wait `latency` seconds per
request, fail the next N sends with a given status, and hold one send (accepted, unanswered) until released.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SmsGatewayStub:
    def __init__(self, *, api_key: str = "test-key", latency: float = 0.0) -> None:
        self.api_key = api_key
        self.latency = latency
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.kavenegar_sent: dict[str, dict[str, Any]] = {}  # localid → entry
        self.accepted_per_localid: Counter[str] = Counter()  # messages actually sent, per localid
        self.send_requests_per_localid: Counter[str] = Counter()
        self.smsir_sent: list[dict[str, Any]] = []
        self.fail_queue: list[int] = []  # HTTP/return statuses for the next sends
        self.hang_on: int | None = None  # the n-th send (1-based) is accepted, then held
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.sends = 0
        self._next_id = 1000
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stub._handle(self, "GET")

            def do_POST(self) -> None:
                stub._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- life ---------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> SmsGatewayStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.fail_queue.extend(statuses)

    # --- answering -------------------------------------------------------------------------------------------

    def _new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if "json" in (handler.headers.get("Content-Type") or ""):
            try:
                body: Any = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = None
        else:
            body = dict(urllib.parse.parse_qsl(raw.decode("utf-8")))
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": parsed.path,
                    "query": query,
                    "body": body,
                    "headers": dict(handler.headers),
                    "at": time.monotonic(),
                }
            )
        if self.latency:
            time.sleep(self.latency)
        parts = parsed.path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "v1" and parts[2] == "sms":
            status, payload = self._kavenegar(parts[1], parts[3], {**query, **(body or {})})
        elif parsed.path.startswith("/v1/send"):
            status, payload = self._smsir(handler, parsed.path, query, body)
        else:
            status, payload = 404, {"error": "not found"}
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _take_failure(self) -> int | None:
        with self.lock:
            return self.fail_queue.pop(0) if self.fail_queue else None

    def _hold_if_asked(self) -> None:
        with self.lock:
            self.sends += 1
            hold = self.hang_on is not None and self.sends == self.hang_on
        if hold:
            self.hanging.set()
            self.release.wait(60)

    def _kavenegar(self, key: str, method: str, data: dict[str, Any]) -> tuple[int, Any]:
        def error(code: int, text: str) -> tuple[int, Any]:
            return code, {"return": {"status": code, "message": text}, "entries": None}

        if key != self.api_key:
            return error(403, "کلید شناسایی معتبر نمی باشد")
        if method == "send.json":
            failure = self._take_failure()
            if failure:
                return error(failure, "خطا")
            receptor, message = str(data.get("receptor", "")), str(data.get("message", ""))
            if not receptor.isdigit():
                return error(411, "دریافت کننده نامعتبر است")
            if not message:
                return error(413, "پیام خالی است")
            localid = str(data.get("localid", ""))
            with self.lock:
                if localid:
                    self.send_requests_per_localid[localid] += 1
                known = self.kavenegar_sent.get(localid) if localid else None
            if known is not None:
                return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": [known]}
            entry = {
                "messageid": self._new_id(),
                "message": message,
                "status": 1,
                "statustext": "در صف ارسال",
                "sender": str(data.get("sender", "10004346")),
                "receptor": receptor,
                "date": int(time.time()),
                "cost": 120,
            }
            with self.lock:
                if localid:
                    entry["localid"] = localid
                    self.kavenegar_sent[localid] = entry
                    self.accepted_per_localid[localid] += 1
            self._hold_if_asked()
            return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": [entry]}
        if method == "statuslocalmessageid.json":
            localid = str(data.get("localid", ""))
            with self.lock:
                known = self.kavenegar_sent.get(localid)
            entry = (
                {"messageid": known["messageid"], "localid": localid, "status": 1, "statustext": "در صف ارسال"}
                if known
                else {"messageid": 0, "localid": localid, "status": 100, "statustext": "نامعتبر"}
            )
            return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": [entry]}
        return error(404, "متد پیدا نشد")

    def _smsir(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if handler.headers.get("X-API-KEY") != self.api_key:
            return 401, {"status": 10, "message": "کلید وب سرویس نامعتبر است", "data": None}
        if path == "/v1/send/bulk":
            failure = self._take_failure()
            if failure:
                code = 20 if failure == 429 else 0 if failure >= 500 else failure
                return failure if failure >= 400 else 200, {"status": code, "message": "خطا", "data": None}
            if not isinstance(body, dict) or not body.get("messageText"):
                return 400, {"status": 103, "message": "متن پیام خالی است", "data": None}
            mobiles = body.get("mobiles")
            if not isinstance(mobiles, list) or not mobiles or not all(str(m).isdigit() for m in mobiles):
                return 400, {"status": 104, "message": "شماره موبایل نامعتبر است", "data": None}
            ids = []
            for mobile in mobiles:
                messageid = self._new_id()
                ids.append(messageid)
                with self.lock:
                    self.smsir_sent.append(
                        {
                            "messageId": messageid,
                            "mobile": str(mobile),
                            "messageText": body["messageText"],
                            "sendDateTime": int(time.time()),
                            "lineNumber": body.get("lineNumber"),
                            "cost": 1.0,
                            "deliveryState": 3,
                        }
                    )
            self._hold_if_asked()
            return 200, {
                "status": 1,
                "message": "موفق",
                "data": {"packId": str(uuid.uuid4()), "messageIds": ids, "cost": float(len(ids))},
            }
        if path == "/v1/send/live":
            number, size = int(query.get("pageNumber", 1)), int(query.get("pageSize", 100))
            with self.lock:
                rows = list(reversed(self.smsir_sent))[(number - 1) * size : number * size]
            return 200, {"status": 1, "message": "موفق", "data": rows}
        tail = path.rsplit("/", 1)[-1]
        if tail.isdigit():
            with self.lock:
                row = next((r for r in self.smsir_sent if r["messageId"] == int(tail)), None)
            return 200, {"status": 1, "message": "موفق", "data": row}
        return 404, {"status": 0, "message": "not found", "data": None}
