"""Live chat in real browsers over a real ASGI server: a plain page on another origin (a local http.server)
carries the widget's one script tag; the visitor writes; an agent logged into the console sees it and answers,
typing and then picking from the canned answers; the visitor's page shows the answers. The CRM runs as daphne in a
subprocess on the test database, since the sockets need an ASGI server (pytest-django's live server speaks
WSGI only)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.test_browser import CHROMIUM, PASSWORD, RESULTS
from live_database import database_url_for_process, rows_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

BIN = Path(sys.executable).parent

SEED = """
import json, sys
import django
django.setup()
from peyvand.accounts.models import Role, Team, User
from peyvand.comms.chat.models import ChatWidget
from peyvand.customers.models import Customer, CustomerEmail
from peyvand.customers.services import display_name_for, search_key_for

team = Team.objects.create(name="پشتیبانی آنلاین")
team.path = f"/{team.pk}/"
team.save(update_fields=["path"])
agent = User(username="narges", first_name="نرگس", last_name="موسوی", role=Role.AGENT, team=team)
agent.set_password(sys.argv[1])
agent.save()
widget = ChatWidget.objects.create(
    name="فروشگاه", team=team, allowed_origins=[sys.argv[2]], greeting_fa="سلام! چطور می‌توانیم کمک کنیم؟"
)
from peyvand.comms.chat.models import CannedReply
from peyvand.core.text import search_key
from peyvand.service.kb_services import article_search_text
from peyvand.service.models import KbArticle

def saved(title, text):
    CannedReply.objects.create(title=title, text=text, team=team, search_text=f"{search_key(title)} {search_key(text)}")

saved("ارسال سفارش", "سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند.")
saved("خداحافظی", "ممنون از گفتگو با ما.")
body = "## شرایط بازگشت\\n\\n- تا **۷ روز** پس از خرید"
KbArticle.objects.create(
    title="بازگشت کالا", body=body, audience="customers", status="published",
    search_text=article_search_text(title="بازگشت کالا", tags="", body=body),
)
print(json.dumps({"key": widget.public_key}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback test URL)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.fixture
def crm(tmp_path, transactional_db) -> Iterator[dict[str, object]]:
    """Daphne serving Peyvand on the test database (as a process can open it), with an agent and a widget
    allowing the host page's origin."""
    crm_port, site_port = _free_port(), _free_port()
    database_url = database_url_for_process(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "peyvand.settings",
        "DATABASE_URL": database_url,
        "PEYVAND_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PEYVAND_TASKS": "immediate",
        "PEYVAND_DEBUG": "false",
    }
    env.pop("PEYVAND_REDIS_URL", None)
    site_origin = f"http://127.0.0.1:{site_port}"
    # Our own script with fixed arguments.
    seeded = subprocess.run(  # noqa: S603
        [BIN / "python", "-c", SEED, PASSWORD, site_origin],
        env=env, check=True, timeout=120, capture_output=True, text=True,
    )  # fmt: skip
    key = json.loads(seeded.stdout.strip().splitlines()[-1])["key"]
    log = (tmp_path / "daphne.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [BIN / "daphne", "-b", "127.0.0.1", "-p", str(crm_port), "peyvand.asgi:application"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    crm_url = f"http://127.0.0.1:{crm_port}"
    try:
        _wait_for(f"{crm_url}/healthz", seconds=60)
        yield {"url": crm_url, "key": key, "database": database_url, "site_port": site_port, "site_origin": site_origin}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def host_site(crm, tmp_path) -> Iterator[str]:
    """Someone else's site: a plain page with the widget's script tag, on another origin than the CRM."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(
        "<!doctype html><html lang='fa' dir='rtl'><head><meta charset='utf-8'>"
        "<link rel='icon' href='data:,'><title>فروشگاه</title>"
        "<style>button{background:red!important;font-size:40px!important}</style></head>"
        "<body><h1>فروشگاه نمونه</h1>"
        f"<script src='{crm['url']}/comms/chat/widget/{crm['key']}.js' async></script></body></html>",
        encoding="utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(crm["site_port"])), handler)  # type: ignore[call-overload]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield str(crm["site_origin"]) + "/index.html"
    finally:
        server.shutdown()
        server.server_close()


def _messages(database_url: str) -> list[tuple[object, ...]]:
    return rows_in(database_url, "SELECT author, text FROM chat_chatmessage ORDER BY id")


def test_a_visitor_on_another_site_chats_with_an_agent(crm, host_site):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            staff = browser.new_context(locale="fa-IR", viewport={"width": 1366, "height": 900})
            guest = browser.new_context(locale="fa-IR", viewport={"width": 1200, "height": 800})
            console, site = staff.new_page(), guest.new_page()
            for page in (console, site):
                page.set_default_timeout(20000)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

            # The agent opens the console: from now on somebody is online.
            console.goto(f"{crm['url']}/login/")
            console.fill("#id_username", "narges")
            console.fill("#id_password", PASSWORD)
            console.click("button[type=submit]")
            console.wait_for_url(f"{crm['url']}/")
            console.goto(f"{crm['url']}/comms/chat/")
            expect(console.locator("[data-pv-chat-state]")).to_have_class(re.compile("text-bg-success"))
            assert console.locator("html").get_attribute("dir") == "rtl"

            # The visitor's page, on its own origin: a launcher in the widget's shadow root, untouched by the
            # page's CSS (which paints every button red).
            site.goto(host_site)
            launcher = site.locator("#peyvand-chat-" + str(crm["key"])).locator(".launcher")
            expect(launcher).to_have_text("گفتگو با ما")
            colour = launcher.evaluate("node => getComputedStyle(node).backgroundColor")
            assert colour == "rgb(13, 110, 253)"
            launcher.click()
            panel = site.locator(".panel")
            expect(panel).to_have_attribute("dir", "rtl")
            expect(panel.locator(".msg.system").first).to_have_text("سلام! چطور می‌توانیم کمک کنیم؟")
            panel.locator("form.chat input[name=name]").fill("کاوه")
            panel.locator("form.chat textarea[name=text]").fill("سلام، سفارش ۱۲۳ من کجاست؟")
            panel.locator("form.chat button.send").click()
            expect(panel.locator(".msg.visitor")).to_have_text("سلام، سفارش ۱۲۳ من کجاست؟")
            expect(panel.locator(".msg.visitor.pending")).to_have_count(0)

            # The agent sees the waiting chat, opens it and answers.
            item = console.locator("[data-session-id]").first
            expect(item).to_contain_text("کاوه")
            item.click()
            expect(console.locator("[data-pv-chat-messages]")).to_contain_text("سلام، سفارش ۱۲۳ من کجاست؟")
            console.fill("[data-pv-chat-input]", "سفارش شما امروز ارسال می‌شود.")
            console.click("[data-pv-chat-form] button[type=submit]")
            expect(console.locator("[data-pv-chat-messages]")).to_contain_text("سفارش شما امروز ارسال می‌شود.")

            # The visitor's page shows the answer, with the agent's first name.
            answer = panel.locator(".msg.agent")
            expect(answer).to_contain_text("سفارش شما امروز ارسال می‌شود.")
            expect(answer).to_contain_text("نرگس")

            # A canned answer: "/" and a word in the reply box find the team's saved reply; Enter puts its text in
            # the box, where the agent adds to it before sending.
            reply_box = console.locator("[data-pv-chat-input]")
            reply_box.fill("")
            reply_box.press_sequentially("/ارسال")
            picker = console.locator("[data-pv-canned]")
            expect(picker).to_be_visible()
            expect(picker.locator("[data-kind=reply]")).to_have_count(1)
            expect(picker.locator("[data-kind=reply].active")).to_contain_text("ارسال سفارش")
            reply_box.press("Enter")
            expect(picker).to_be_hidden()
            expect(reply_box).to_have_value("سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند.")
            reply_box.press("End")
            reply_box.press_sequentially(" کد رهگیری ۴۵۶")
            reply_box.press("Enter")
            canned_line = "سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند. کد رهگیری ۴۵۶"
            expect(answer.last).to_contain_text(canned_line)
            # The button opens the same picker: a knowledge-base article comes as plain text, Markdown gone.
            console.click("[data-pv-canned-toggle]")
            console.locator("[data-pv-canned-q]").fill("بازگشت")
            article = console.locator("[data-pv-canned] [data-kind=article]")
            expect(article).to_contain_text("بازگشت کالا")
            RESULTS.mkdir(exist_ok=True)
            console.screenshot(path=str(RESULTS / "live-chat-canned.png"))
            article.click()
            expect(reply_box).to_have_value("شرایط بازگشت\n\nتا ۷ روز پس از خرید")
            reply_box.press("Enter")
            expect(answer.last).to_contain_text("تا ۷ روز پس از خرید")
            RESULTS.mkdir(exist_ok=True)
            site.screenshot(path=str(RESULTS / "live-chat-visitor.png"))
            console.screenshot(path=str(RESULTS / "live-chat-console.png"))
        finally:
            browser.close()

    assert not errors, errors
    stored = _messages(str(crm["database"]))
    assert ("visitor", "سلام، سفارش ۱۲۳ من کجاست؟") in stored
    assert ("agent", "سفارش شما امروز ارسال می‌شود.") in stored
    assert ("agent", "سفارش‌ها در ۲ تا ۳ روز کاری ارسال می‌شوند. کد رهگیری ۴۵۶") in stored
    assert [author for author, _text in stored].count("visitor") == 1
    # The article sent in an answer counts as used, as one quoted in a ticket reply does.
    assert rows_in(str(crm["database"]), "SELECT title, uses FROM service_kbarticle") == [("بازگشت کالا", 1)]
