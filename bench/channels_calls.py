"""The caller pop-up's latency: from the moment an Asterisk AMI event is written to the listener's TCP socket to
the moment the agent's WebSocket is sent the pop-up (p95 target ≤ 300 ms).

    .venv/bin/python bench/channels_calls.py [--calls 300]        # alone: its own SQLite file, migrated
    .venv/bin/python bench/channels.py --parts popup               # as a part of the channels bench

What runs, all real but the browser: the AMI server of tests/comms/ami_replay.py on a loopback port writes each
call's events (Newchannel, DialBegin) as Asterisk does; the AMI listener (peyvand.comms.telephony.ami) reads them,
and its direct hand-off records the call through call_event() (the customer found by phone, the agent by
extension, one transaction) and pushes it on the channel layer; the pop-up consumer, reached through the site's
ASGI application (session and origin checks included), reads what the agent may see (profile, open tickets, last
interactions) and sends it. The clock stops when that message arrives at the WebSocket client.
"""

# ruff: noqa: S106 - the bench PBX's token and AMI secret are fixed test values

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 300.0


def _unshadow_channels() -> None:
    """bench/channels.py has the name of the Django Channels package: with bench/ on sys.path (a script's own
    folder always is), `import channels` would find the bench script. Take the folder off and forget such a
    wrong import, so the real package is imported."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    loaded = sys.modules.get("channels")
    if loaded is not None and not hasattr(loaded, "__path__"):
        del sys.modules["channels"]


_unshadow_channels()


def _replay_module() -> Any:
    path = ROOT / "tests" / "comms" / "ami_replay.py"
    spec = importlib.util.spec_from_file_location("ami_replay", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ami_replay"] = module
    spec.loader.exec_module(module)
    return module


def _setup(calls_before: int) -> tuple[Any, Any, str]:
    """A PBX, an agent on extension 101 with a session, a customer who rings (with a ticket and some history)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from peyvand.accounts.models import Role, Team, User
    from peyvand.comms.models import ChannelAccount
    from peyvand.comms.telephony.models import Extension
    from peyvand.customers.models import Customer, CustomerPhone, Interaction

    reverse("comms:telephony:calls")  # the URLs are loaded before any socket, as by the first page a browser opens
    ChannelAccount.objects.filter(inbound_token="bench-ami").delete()
    pbx = ChannelAccount.objects.create(
        channel="call", provider="asterisk", name="bench AMI", inbound_token="bench-ami", config={}
    )
    team, _new = Team.objects.get_or_create(name="bench تلفن")
    agent, _new = User.objects.get_or_create(
        username="bench-phone-agent", defaults={"role": Role.AGENT, "team": team, "first_name": "نرگس"}
    )
    Extension.objects.create(account=pbx, user=agent, number="101")
    customer = Customer.objects.filter(phones__number="+989120000001").first()
    if customer is None:
        customer = Customer.objects.create(
            first_name="کاوه", last_name="یزدانی", display_name="کاوه یزدانی", team=team, owner=agent, tier="gold"
        )
        CustomerPhone.objects.create(customer=customer, number="+989120000001", is_primary=True)
        for i in range(20):
            Interaction.objects.create(
                customer=customer, channel="note", direction="internal", subject=f"یادداشت {i}",
                occurred_at=customer.created_at,
            )  # fmt: skip
    session = SessionStore()
    session[SESSION_KEY] = str(agent.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return pbx, agent, cookie


def _ringing(replay: Any, linkedid: str) -> bytes:
    events = replay.inbound_call(linkedid=linkedid, caller="09120000001", extension="101")
    # Newchannel ×2 and DialBegin: the pop-up is due at DialBegin.
    return replay.stream(events[:3])


def _rest(replay: Any, linkedid: str) -> bytes:
    return replay.stream(replay.inbound_call(linkedid=linkedid, caller="09120000001", extension="101")[3:])


async def _measure(pbx: Any, cookie: str, replay: Any, calls: int, warmup: int) -> list[float]:
    from channels.testing import WebsocketCommunicator

    from peyvand.asgi import application
    from peyvand.comms.telephony.ami import AmiListener, CallTracker, direct_handoff

    server = replay.AmiReplayServer(close_after_replay=False).start()
    listener = AmiListener(host="127.0.0.1", port=server.port, username="peyvand", secret="s3cret",
                           handoff=direct_handoff(pbx.pk), tracker=CallTracker())  # fmt: skip
    listening = asyncio.create_task(listener.run_once())
    await asyncio.wait_for(listener.logged_in.wait(), timeout=10)
    socket = WebsocketCommunicator(
        application, "/ws/telephony/",
        headers=[(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )  # fmt: skip
    connected, _code = await socket.connect()
    assert connected, "the pop-up socket was refused"
    stamp = int(time.time())
    latencies: list[float] = []
    try:
        for i in range(warmup + calls):
            linkedid = f"{stamp}.{i}"
            started = time.perf_counter()
            server.write(_ringing(replay, linkedid))
            while True:
                message = await socket.receive_json_from(timeout=10)
                if message.get("kind") == "ringing":
                    break
            if i >= warmup:
                latencies.append((time.perf_counter() - started) * 1000)
            server.write(_rest(replay, linkedid))
            # The answered and ended messages of the call, so the next ring starts from a quiet socket.
            for _kind in ("answered", "ended"):
                await socket.receive_json_from(timeout=10)
    finally:
        await socket.disconnect()
        server.stop()
        listening.cancel()
    return latencies


def measure_popup(calls: int = 300, warmup: int = 10) -> dict[str, Any]:
    """p50/p95/p99/max of the pop-up latency over `calls` calls, in ms (Django set up, database migrated)."""
    from django.db import connection

    replay = _replay_module()
    pbx, _agent, cookie = _setup(calls)
    latencies = asyncio.run(_measure(pbx, cookie, replay, calls, warmup))
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "database": connection.vendor,
        "calls": len(latencies),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "target_p95_ms": P95_TARGET_MS,
        "pass": pct(0.95) <= P95_TARGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database-url", default="", help="default: a fresh var/bench/channels-calls.sqlite3")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        path = ROOT / "var" / "bench" / "channels-calls.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    figures = measure_popup(calls=args.calls)
    print(
        f"pop-up latency, AMI event → WebSocket message, {figures['calls']} calls on {figures['database']}: "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"max {figures['max_ms']} ms — {'PASS' if figures['pass'] else 'MISS'} (target p95 ≤ {P95_TARGET_MS:g} ms)"
    )
    print("RESULT " + json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
