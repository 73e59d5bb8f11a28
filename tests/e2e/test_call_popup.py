"""The caller pop-up in a real browser against a real ASGI server (daphne, in its own process, on a copy of the
test database): an agent has a page open; the cloud PBX posts a ringing call to the webhook; within a second the
pop-up shows the caller's name, open ticket and "create customer" for a number nobody knows."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from e2e.test_browser import CHROMIUM, RESULTS, opened_page
from live_database import database_url_for_process

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

DAPHNE = Path(sys.executable).with_name("daphne")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def asgi_server(tmp_path) -> Iterator:
    """start() → the base URL of daphne serving peyvand.asgi on the test database; stopped after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        port = _free_port()
        url = database_url_for_process(tmp_path)
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "peyvand.settings"}
        log = (tmp_path / "daphne.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "peyvand.asgi:application"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError((tmp_path / "daphne.log").read_text(errors="replace")[-3000:])

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.fixture
def desk(transactional_db):
    from factories import CustomerFactory, TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.comms.models import ChannelAccount
    from peyvand.comms.telephony.models import Extension
    from peyvand.customers.models import CustomerPhone
    from peyvand.service.services.tickets import ticket_create

    team = TeamFactory(name="پشتیبانی")
    agent = UserFactory(username="narges", first_name="نرگس", last_name="موسوی", role=Role.AGENT, team=team)
    customer = CustomerFactory(team=team, owner=agent, first_name="کاوه", last_name="یزدانی", tier="gold")
    CustomerPhone.objects.create(customer=customer, number="+989121234567", is_primary=True)
    ticket = ticket_create(by=agent, data={"subject": "دستگاه کارتخوان کار نمی‌کند", "customer_id": customer.pk})
    pbx = ChannelAccount.objects.create(channel="call", provider="webhook", name="ابر تلفن", inbound_token="e2e-pbx")
    Extension.objects.create(account=pbx, user=agent, number="101")
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return agent, customer, ticket, pbx, client.cookies[settings.SESSION_COOKIE_NAME].value


def _post_event(base: str, token: str, payload: dict[str, object]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the local server
        f"{base}/comms/telephony/{token}/events",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200


def test_a_ringing_call_pops_up_the_callers_profile_in_the_agents_browser(asgi_server, desk):
    from peyvand.core.text import to_persian_digits

    _agent, customer, ticket, pbx, session = desk
    base = asgi_server()
    with opened_page() as page:
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page.goto(f"{base}/comms/telephony/calls/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.wait_for_selector("#pv-call-popups[data-connected]", state="attached")

        started = time.perf_counter()
        _post_event(base, pbx.inbound_token, {"event": "ringing", "call_id": "e2e-1", "from": "0912 123 4567",
                                              "extension": "101"})  # fmt: skip
        card = page.wait_for_selector(".pv-call-popup[data-call-id]", timeout=5000)
        latency = time.perf_counter() - started
        assert latency < 1.0, latency
        text = card.inner_text()
        assert customer.display_name in text
        assert to_persian_digits(ticket.number) in text and ticket.subject in text
        page.screenshot(path=str(RESULTS / "call-popup.png"))

        # The call ends: the same card says so rather than a second one appearing.
        _post_event(base, pbx.inbound_token, {"event": "hangup", "call_id": "e2e-1", "duration": 30,
                                              "status": "answered"})  # fmt: skip
        page.wait_for_selector(".pv-call-popup[data-kind=ended]", timeout=5000)
        assert page.locator(".pv-call-popup").count() == 1

        # A number nobody knows: the card offers to create the customer, with the number filled in.
        _post_event(base, pbx.inbound_token, {"event": "ringing", "call_id": "e2e-2", "from": "09351112233",
                                              "extension": "101"})  # fmt: skip
        page.wait_for_selector(".pv-call-create", timeout=5000)
        page.click(".pv-call-create")
        page.wait_for_url("**/new-customer/")
        assert page.locator("input[name='phones-0-number']").input_value() == "0935 111 2233"
