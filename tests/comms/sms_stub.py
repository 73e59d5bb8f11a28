"""A local stand-in for two Iranian SMS gateways, served over real HTTP on 127.0.0.1, answering as their
documentation says they do.

Kavenegar REST API v1 (https://kavenegar.com/rest.html, as published in 2024):
  POST|GET /v1/{API-KEY}/sms/send.json  receptor, message, sender, localid →
      {"return": {"status": 200, "message": "تایید شد"}, "entries": [{"messageid", "message", "status": 1,
       "statustext", "sender", "receptor", "date", "cost", "localid"?}]}
      a localid it has seen is not sent again: the first message's entry is returned.
  POST /v1/{API-KEY}/sms/sendarray.json  receptor, sender, message, localmessageids: each a JSON array, all
      of one length (at most 200) → entries, one per receptor in order, each like send.json's; an entry whose
      receptor cannot take the message has status 6 ("ارسال به مخابرات ناموفق") and sends nothing; a
      localmessageid it has seen is not sent again (its first entry is returned). Arrays of different
      lengths: 400 ("پارامترها ناقص هستند"); more than 200: 414.
  GET /v1/{API-KEY}/sms/statuslocalmessageid.json?localid= → entries [{"messageid", "localid", "status",
      "statustext"}] (messageid 0 and status 100 when there is none)
  GET|POST /v1/{API-KEY}/sms/status.json?messageid=1,2,… (at most 500) → entries [{"messageid", "status",
      "statustext"}] per id: 1 in the queue, 2 scheduled, 4/5 with the operator, 6 failed, 10 delivered,
      11 not deliverable, 13 cancelled, 14 blocked by the receiver, 100 no such messageid.
  errors: HTTP status = return.status (403 bad API key, 411 bad receptor, 418 no credit, 409/429 try later).
SMS.ir REST API v1 (https://app.sms.ir/developer/help, 2024):
  POST /v1/send/bulk  header X-API-KEY, JSON {"lineNumber", "messageText", "mobiles": [...]} →
      {"status": 1, "message": "موفق", "data": {"packId", "messageIds": [...], "cost"}}
  GET /v1/send/live?pageNumber=&pageSize= → {"status": 1, "data": [{"messageId", "mobile", "messageText",
      "sendDateTime", "lineNumber", "cost", "deliveryState"}]}
  POST /v1/send/likeToLike  header X-API-KEY, JSON {"lineNumber", "messageTexts": [...], "mobiles": [...],
      "sendDateTime": null} (messageTexts[i] to mobiles[i]) → {"status": 1, "data": {"packId", "messageIds":
      [...] in the order of mobiles, "cost"}}; a bad mobile refuses the whole request (400, status 104),
      lists of different lengths too (400, status 105).
  GET /v1/send/{messageId} → {"status": 1, "data": {...one of the above}} (data null for an unknown id)
      deliveryState: 1 delivered, 2 not delivered, 3 being processed, 4 not delivered to the operator, 5 with
      the operator, 6 failed, 7 on the blacklist.
  errors: {"status": 10, "message": "..."} with HTTP 401 for a bad key; 429 for too many requests.

It records every request, counts what it accepted per Kavenegar localid (send and sendarray alike) and per
SMS.ir (mobile, text), can wait `latency` seconds per request, fail the next N sends (of either kind) with a
given status (429 with a Retry-After of `retry_after` seconds), hold the n-th send request (accepted,
unanswered) until released, answer one sendarray with its last entry missing (`drop_last_entry`), and hands
out the delivery statuses `set_status` gave.
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

_STATUS_TEXT = {
    1: "در صف ارسال",
    2: "زمان بندی شده",
    4: "ارسال شده به مخابرات",
    5: "ارسال شده به مخابرات",
    6: "خطا در ارسال",
    10: "رسیده به گیرنده",
    11: "نرسیده به گیرنده",
    13: "ارسال پیام از سمت کاربر لغو شده",
    14: "بلاک شده",
    100: "شناسه پیامک نامعتبر است",
}


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
        self.smsir_accepted: Counter[tuple[str, str]] = Counter()  # (mobile, text) → messages sent
        self.kavenegar_status: dict[int, int] = {}  # messageid → status
        self.retry_after: int | None = None
        # Numbers the operator will not take: a Kavenegar sendarray entry with status 6, send.json 411, an
        # SMS.ir request refused whole (104).
        self.reject_receptors: set[str] = set()
        # Answer the next sendarray with its last entry missing (a gateway's bug, a cut answer body).
        self.drop_last_entry = False
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

    def set_status(self, messageid: int | str, status: int) -> None:
        """The delivery status Kavenegar's status.json (or SMS.ir's deliveryState) gives for `messageid`."""
        with self.lock:
            self.kavenegar_status[int(messageid)] = status
            for row in self.smsir_sent:
                if row["messageId"] == int(messageid):
                    row["deliveryState"] = status

    def paths(self, suffix: str) -> list[dict[str, Any]]:
        """The requests whose path ends with `suffix`."""
        with self.lock:
            return [r for r in self.requests if r["path"].endswith(suffix)]

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
            if status == 429 and self.retry_after is not None:
                handler.send_header("Retry-After", str(self.retry_after))
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
            if not receptor.isdigit() or receptor in self.reject_receptors:
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
        if method == "sendarray.json":
            return self._kavenegar_array(data)
        if method == "status.json":
            ids = [i.strip() for i in str(data.get("messageid", "")).split(",") if i.strip()]
            if not ids or not all(i.isdigit() for i in ids):
                return error(400, "پارامترها ناقص هستند")
            if len(ids) > 500:
                return error(414, "تعداد شناسه ها بیش از حد مجاز است")
            entries = []
            with self.lock:
                known = {e["messageid"] for e in self.kavenegar_sent.values()}
                for i in ids:
                    code = self.kavenegar_status.get(int(i), 1) if int(i) in known else 100
                    entries.append({"messageid": int(i), "status": code, "statustext": _STATUS_TEXT.get(code, "")})
            return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": entries}
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

    def _kavenegar_array(self, data: dict[str, Any]) -> tuple[int, Any]:
        def error(code: int, text: str) -> tuple[int, Any]:
            return code, {"return": {"status": code, "message": text}, "entries": None}

        failure = self._take_failure()
        if failure:
            return error(failure, "خطا")
        try:
            receptors, senders, messages = (
                json.loads(str(data.get(n) or "null")) for n in ("receptor", "sender", "message")
            )
            localids = json.loads(str(data.get("localmessageids") or "[]"))
        except json.JSONDecodeError:
            return error(400, "پارامترها ناقص هستند")
        lists = (receptors, senders, messages)
        if not all(isinstance(x, list) for x in lists) or not receptors:
            return error(400, "پارامترها ناقص هستند")
        if len({len(receptors), len(senders), len(messages)}) != 1 or (localids and len(localids) != len(receptors)):
            return error(400, "پارامترها ناقص هستند")
        if len(receptors) > 200:
            return error(414, "تعداد دریافت کنندگان بیش از حد مجاز است")
        entries = []
        for index, (receptor, sender, message) in enumerate(zip(receptors, senders, messages, strict=True)):
            localid = str(localids[index]) if localids else ""
            with self.lock:
                if localid:
                    self.send_requests_per_localid[localid] += 1
                known = self.kavenegar_sent.get(localid) if localid else None
            if known is not None:
                entries.append(known)
                continue
            receptor, message = str(receptor), str(message)
            ok = receptor.isdigit() and bool(message) and receptor not in self.reject_receptors
            entry = {
                "messageid": self._new_id(),
                "message": message,
                "status": 1 if ok else 6,
                "statustext": "در صف ارسال" if ok else "ارسال به مخابرات ناموفق",
                "sender": str(sender),
                "receptor": receptor,
                "date": int(time.time()),
                "cost": 120 if ok else 0,
            }
            if ok and localid:
                with self.lock:
                    entry["localid"] = localid
                    self.kavenegar_sent[localid] = entry
                    self.accepted_per_localid[localid] += 1
            entries.append(entry)
        self._hold_if_asked()
        with self.lock:
            if self.drop_last_entry:
                self.drop_last_entry = False
                entries = entries[:-1]
        return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": entries}

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
            if not isinstance(mobiles, list) or not mobiles:
                return 400, {"status": 104, "message": "شماره موبایل نامعتبر است", "data": None}
            if not all(str(m).isdigit() and str(m) not in self.reject_receptors for m in mobiles):
                return 400, {"status": 104, "message": "شماره موبایل نامعتبر است", "data": None}
            ids = []
            for mobile in mobiles:
                messageid = self._new_id()
                ids.append(messageid)
                with self.lock:
                    self.smsir_accepted[(str(mobile), str(body["messageText"]))] += 1
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
        if path == "/v1/send/likeToLike":
            failure = self._take_failure()
            if failure:
                code = 20 if failure == 429 else 0 if failure >= 500 else failure
                return failure if failure >= 400 else 200, {"status": code, "message": "خطا", "data": None}
            texts = body.get("messageTexts") if isinstance(body, dict) else None
            mobiles = body.get("mobiles") if isinstance(body, dict) else None
            if not isinstance(texts, list) or not isinstance(mobiles, list) or len(texts) != len(mobiles) or not texts:
                return 400, {"status": 105, "message": "تعداد پیام ها و شماره ها برابر نیست", "data": None}
            if not all(str(m).isdigit() and str(m) not in self.reject_receptors for m in mobiles):
                return 400, {"status": 104, "message": "شماره موبایل نامعتبر است", "data": None}
            if not all(texts):
                return 400, {"status": 103, "message": "متن پیام خالی است", "data": None}
            ids = []
            for mobile, text in zip(mobiles, texts, strict=True):
                messageid = self._new_id()
                ids.append(messageid)
                row = {
                    "messageId": messageid,
                    "mobile": str(mobile),
                    "messageText": str(text),
                    "sendDateTime": int(time.time()),
                    "lineNumber": body.get("lineNumber"),
                    "cost": 1.0,
                    "deliveryState": 3,
                }
                with self.lock:
                    self.smsir_sent.append(row)
                    self.smsir_accepted[(str(mobile), str(text))] += 1
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


def make_account(provider: str, stub: SmsGatewayStub, token: str, **extra: Any) -> Any:
    """An SMS account of `provider` ("kavenegar" or "smsir") pointed at the stub; Kavenegar's is the default."""
    from peyvand.comms.models import Channel, ChannelAccount

    config = {"base_url": stub.base_url, "quiet_hours": "off", **extra}
    if provider == "kavenegar":
        config.setdefault("sender", "10004346")  # "" is an account without a sender line
    else:
        config["line_number"] = "30007732"
    return ChannelAccount.objects.create(
        channel=Channel.SMS,
        provider=provider,
        name=provider,
        config=config,
        secrets={"api_key": "test-key"},
        inbound_token=token,
        is_default=provider == "kavenegar",
    )
