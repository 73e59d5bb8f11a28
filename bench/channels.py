"""The channels at scale: a million personalised SMS rendered and queued, the outbox's send throughput with one
and two worker processes against a local gateway, and the call pop-up's latency.

    .venv/bin/python bench/channels.py [--database sqlite|postgres|both] [--parts enqueue,send,popup]
    .venv/bin/python bench/channels.py --messages 1000000 --send 1500 --send-batched 20000 --latency-ms 20

Parts:
  enqueue  render and queue --messages SMS from a template with each recipient's name, amount and due date
           (outbox.enqueue_bulk): time, rows a second and the peak memory (RSS) it added.
  send     messages sent by `peyvand send_outbox` processes to the Kavenegar-format gateway stub
           (tests/comms/sms_stub.py) answering each request after --latency-ms, with 1 and then 2 processes:
           --send-batched of them in sendarray requests of 200 (an account with a sender line, workers claiming
           200 at a time), and as the baseline --send of them one request each (an account without one, so
           send.json). Messages a second, measured at the gateway: the messages of every request but the last,
           over the time from the first request's arrival to the last's. Two processes must reach SCALE_TARGET
           times one in both ways.
  popup    the caller pop-up's latency from the AMI event to the browser message (p95 ≤ 300 ms), measured by
           bench/channels_calls.py's measure_popup() when it is there.
Prints a RESULT json line at the end, as the other bench scripts do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, VAR, BenchWorker, machine_line, run_databases

_HERE = Path(__file__).resolve().parent

# This script's name is the Django Channels package's: with its folder on sys.path, `import channels` (the ASGI
# routing, the pop-up part) would find this file. The folder is taken off once _common is imported.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

PARTS = ("enqueue", "send", "popup")
SCALE_TARGET = 1.6
POPUP_P95_MS = 300.0
FIRST_NAMES = ["سارا", "علی", "مریم", "رضا", "زهرا", "حسین", "فاطمه", "محمد", "نرگس", "امیر"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres", "postgresql", "both"], default="sqlite")
    p.add_argument("--reuse", action="store_true", help="keep and reuse the PostgreSQL data directory")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    p.add_argument("--messages", type=int, default=1_000_000, help="SMS rendered and queued by the enqueue part")
    p.add_argument("--send", type=int, default=1500, help="SMS sent one request each, for each worker count")
    p.add_argument(
        "--send-batched", type=int, default=20000, help="SMS sent in sendarray requests, for each worker count"
    )
    p.add_argument("--latency-ms", type=float, default=20.0, help="the gateway stub's answer time")
    p.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    return p


def main() -> None:
    args = parser().parse_args()
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))}")
    if args.worker:
        Worker(args).run()
        return
    print(f"{machine_line()}: parts {args.parts}", flush=True)
    # A file per choice of parts, so a run of one part does not start another's database afresh under it.
    name = "channels" if args.parts == ",".join(PARTS) else "channels-" + args.parts.replace(",", "-")
    run_databases(__file__, args, sqlite_path=VAR / f"{name}.sqlite3", fresh=True)


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> float:
    """Start the process's peak-memory mark again from now (Linux: clear_refs 5), so migrating the database
    before does not hide the part's own peak; returns the memory in use now (MB)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return _status_mb("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Worker(BenchWorker):
    def run(self) -> None:
        self.database_ready()
        from django.db import connection

        self.say(f"database: {connection.vendor}")
        for part in self.args.parts.split(","):
            getattr(self, part)()
        print("RESULT " + json.dumps(self.results, ensure_ascii=False), flush=True)

    def _account(self, name: str, **fields: Any) -> Any:
        from peyvand.comms.models import ChannelAccount

        ChannelAccount.objects.filter(inbound_token=f"bench-{name}").delete()
        return ChannelAccount.objects.create(
            channel="sms",
            provider=fields.pop("provider", "console"),
            name=name,
            inbound_token=f"bench-{name}",
            **fields,
        )

    # --- enqueue ---------------------------------------------------------------------------------------------

    def enqueue(self) -> None:
        from peyvand.comms.outbox import BulkRecipient, enqueue_bulk

        count = self.args.messages
        # An inactive account: the queued million stay queued, and the send part's workers leave them alone.
        account = self._account("enqueue", is_active=False)
        due = dt.date(2026, 3, 20)
        rng = self.rng

        def recipients() -> Iterator[BulkRecipient]:
            for i in range(count):
                yield BulkRecipient(
                    to=f"0912{i:07d}",
                    key=f"bench-enqueue:{i}",
                    values={
                        "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
                        "amount": rng.randrange(10_000, 50_000_000, 1000),
                        "due": due,
                    },
                )

        body = "{first_name} عزیز، قسط {amount} ریالی شما تا {due} سررسید می‌شود. پیوند"
        before = reset_peak_rss()
        started = time.perf_counter()
        result = enqueue_bulk(channel="sms", recipients=recipients(), body=body, account=account, batch="bench")
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        added = peak - before
        assert result.queued == count, result
        self.results["enqueue"] = {
            "messages": count,
            "seconds": round(seconds, 1),
            "per_s": round(count / seconds),
            "peak_rss_mb": round(peak, 1),
            "peak_rss_added_mb": round(added, 1),
        }
        self.say(
            f"enqueue: {count:,} personalised SMS rendered and queued in {seconds:.1f} s "
            f"({count / seconds:,.0f}/s), peak memory {peak:.0f} MB (+{added:.0f} MB over the {before:.0f} MB before)"
        )

    # --- send ---------------------------------------------------------------------------------------------------

    def _stub(self) -> Any:
        sys.path.insert(0, str(ROOT / "tests"))
        from comms.sms_stub import SmsGatewayStub

        return SmsGatewayStub(latency=self.args.latency_ms / 1000).start()

    def _send_with(self, processes: int, stub: Any, account: Any, *, count: int, claim: int) -> float:
        from peyvand.comms.models import OutboundMessage
        from peyvand.comms.outbox import BulkRecipient, enqueue_bulk

        OutboundMessage.objects.filter(account=account).delete()
        label = f"bench-send-{account.pk}-{processes}"
        enqueue_bulk(
            channel="sms",
            recipients=(BulkRecipient(to=f"0935{i:07d}", key=f"{label}:{i}") for i in range(count)),
            body="پیام آزمایشی پیوند",
            account=account,
            batch=label,
            transactional=True,
        )
        stub.requests.clear()
        stub.accepted_per_localid.clear()
        env = dict(os.environ, PEYVAND_DEBUG="0")
        command = [sys.executable, "-m", "peyvand", "send_outbox", "--once", "--batch", str(claim)]
        workers = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
            for _ in range(processes)
        ]
        for worker in workers:
            worker.wait()
        sends = sorted(
            (r["at"], len(json.loads(r["body"]["receptor"])) if r["path"].endswith("/sendarray.json") else 1)
            for r in stub.requests
            if r["path"].endswith(("/send.json", "/sendarray.json"))
        )
        sent = sum(size for _at, size in sends)
        assert sent == count, f"{sent} of {count} sent"
        assert len(stub.accepted_per_localid) == count and set(stub.accepted_per_localid.values()) == {1}
        return (sent - sends[-1][1]) / (sends[-1][0] - sends[0][0])

    def send(self) -> None:
        stub = self._stub()
        try:
            common = {"base_url": stub.base_url, "quiet_hours": "off"}
            single = self._account("send", provider="kavenegar", config=common, secrets={"api_key": "test-key"})
            batched = self._account(
                "send-batched",
                provider="kavenegar",
                config={**common, "sender": "10004346"},
                secrets={"api_key": "test-key"},
            )
            figures = {}
            for name, account, count, claim in (
                ("one_by_one", single, self.args.send, 20),
                ("batched", batched, self.args.send_batched, 200),
            ):
                one = self._send_with(1, stub, account, count=count, claim=claim)
                two = self._send_with(2, stub, account, count=count, claim=claim)
                figures[name] = (count, one, two)
        finally:
            stub.stop()
        verdicts = self.results.setdefault("verdicts", {})
        self.results["send"] = {"latency_ms": self.args.latency_ms}
        for name, (count, one, two) in figures.items():
            ratio = two / one
            ok = ratio >= SCALE_TARGET
            self.results["send"][name] = {
                "messages": count,
                "one_worker_per_s": round(one, 1),
                "two_workers_per_s": round(two, 1),
                "scale": round(ratio, 2),
            }
            verdicts[f"send_scale_{name}"] = ok
            self.say(
                f"send {name.replace('_', ' ')} ({count:,} SMS, {self.args.latency_ms:g} ms gateway): 1 worker "
                f"{one:,.1f}/s, 2 workers {two:,.1f}/s, ×{ratio:.2f} {'PASS' if ok else 'MISS'} "
                f"(target ≥ ×{SCALE_TARGET})"
            )
        batched_one, single_one = figures["batched"][1], figures["one_by_one"][1]
        self.results["send"]["batching_gain"] = round(batched_one / single_one, 1)
        self.say(f"send: batching sends ×{batched_one / single_one:,.0f} the messages a second of one by one")

    # --- popup ----------------------------------------------------------------------------------------------------

    def popup(self) -> None:
        path = Path(__file__).resolve().parent / "channels_calls.py"
        if not path.exists():
            self.say("popup: bench/channels_calls.py is not there; skipped")
            return
        spec = importlib.util.spec_from_file_location("channels_calls", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        figures = module.measure_popup()
        p95 = float(figures["p95_ms"]) if isinstance(figures, dict) else float(figures)
        ok = p95 <= POPUP_P95_MS
        self.results["popup"] = figures if isinstance(figures, dict) else {"p95_ms": p95}
        self.results.setdefault("verdicts", {})["popup_p95"] = ok
        self.say(f"popup: p95 {p95:.0f} ms {'PASS' if ok else 'MISS'} (target ≤ {POPUP_P95_MS:g} ms)")


if __name__ == "__main__":
    main()
