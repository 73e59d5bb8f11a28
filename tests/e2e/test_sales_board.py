"""A real browser on the deal board in Persian: drag a card to another column with the mouse, move one with the
keyboard's "Move to…" control, lose one through the reason dialog, and meet a conflict with someone else's
change; the screenshot of the board goes to docs/screenshots/sales-board.png."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, RESULTS, opened_page, sales_team  # noqa: F401 - fixtures used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The board's script gets 409 and 422 answers on purpose (a stale or refused move) and shows them on the page;
# Chromium also logs each non-2xx fetch to the console, which is expected here and nothing else is.
EXPECTED_CONSOLE = ("status of 409", "status of 422")


@pytest.fixture
def board_page() -> Iterator:
    with opened_page(width=1920, height=1000, expected_console=EXPECTED_CONSOLE) as page:
        yield page


@pytest.fixture
def deals(sales_team):  # noqa: F811
    """The default pipeline (made again if a transactional test emptied the database) and a few deals."""
    from django.apps import apps
    from django.utils import timezone

    from peyvand.sales import services
    from peyvand.sales.models import Competitor, Pipeline

    agent, ali = sales_team
    if not Pipeline.objects.filter(is_default=True).exists():
        importlib.import_module("peyvand.sales.migrations.0002_add_default_pipeline").forwards(apps, None)
    stages = {stage.code: stage for stage in Pipeline.objects.get(is_default=True).stages.all()}
    org = ali.organization
    made = {}
    for key, title, amount, close, stage in [
        ("steel", "ورق فولادی ۲۰ تن", 12_500_000_000, "1405/10/15", None),
        ("upkeep", "قرارداد نگهداری سالانه", 3_600_000_000, "1405/11/01", "needs_proposal"),
        ("servers", "۴ دستگاه سرور", 8_000_000_000, "1405/09/30", "approval"),
        ("network", "شبکه انبار", 2_200_000_000, None, None),
    ]:
        deal = services.deal_create(
            by=agent,
            title=title,
            customer_id=org.pk,
            amount=amount,
            expected_close_date=close,
            stage_id=stages[stage].pk if stage else None,
            next_step="ارسال پیش‌فاکتور" if key == "steel" else "",
            next_step_due_at=timezone.now() - dt.timedelta(days=2) if key == "steel" else None,
        )
        made[key] = deal
    services.deal_contact_set(deal=made["steel"], by=agent, contact_id=ali.pk, role="decision_maker")
    Competitor.objects.create(name="شرکت آهن‌گستر", key="شرکتآهنگستر")
    return agent, stages, made


def _log_in(page, live_server, agent) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _card(page, deal, stage=None):
    column = f'.pv-column[data-stage-id="{stage.pk}"] ' if stage is not None else ""
    return page.locator(f'{column}.pv-deal-card[data-deal-id="{deal.pk}"]')


def _drag(page, source, target) -> None:
    """Drag with the mouse: press on the card, move over the column in steps, release."""
    start = source.locator(".pv-deal-meta").bounding_box()  # not on a link or the select
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + start["height"] / 2 + 5, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 80, steps=12)
    page.mouse.up()


def test_an_agent_moves_deals_on_the_persian_board_by_mouse_and_keyboard(live_server, board_page, deals):
    from peyvand.sales.models import Deal
    from peyvand.sales.services import deal_update

    expect = pytest.importorskip("playwright.sync_api").expect
    agent, stages, made = deals
    page = board_page
    _log_in(page, live_server, agent)

    # The navigation leads to the board.
    page.click(".pv-nav-link:has-text('معاملات')")
    page.wait_for_url(f"{live_server.url}/sales/deals/board/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    columns = page.locator(".pv-column")
    assert columns.count() == 7
    # Right to left: the first stage is the right-most column.
    assert columns.nth(0).bounding_box()["x"] > columns.nth(1).bounding_box()["x"]
    intro = page.locator(f'.pv-column[data-stage-id="{stages["introduction"].pk}"]')
    expect(intro.locator(".pv-column-count")).to_have_text("۲")
    steel = _card(page, made["steel"], stages["introduction"])
    expect(steel).to_contain_text("۱٬۲۵۰٬۰۰۰٬۰۰۰ تومان")
    expect(steel).to_contain_text("۱۴۰۵/۱۰/۱۵")
    expect(steel.locator(".pv-next-step.pv-overdue")).to_be_visible()

    # 1. Drag with the mouse from «آشنایی و معرفی» to «پیشنهاد اصلاحی و مذاکره».
    negotiation = page.locator(f'.pv-column[data-stage-id="{stages["negotiation"].pk}"]')
    _drag(page, steel, negotiation)
    expect(page.locator("#board-status .alert-success")).to_be_visible()
    expect(_card(page, made["steel"], stages["negotiation"])).to_be_visible()
    page.reload()
    expect(_card(page, made["steel"], stages["negotiation"])).to_have_count(1)
    expect(_card(page, made["steel"], stages["introduction"])).to_have_count(0)
    expect(intro.locator(".pv-column-count")).to_have_text("۱")
    steel_row = Deal.objects.get(pk=made["steel"].pk)
    assert steel_row.stage_id == stages["negotiation"].pk
    assert steel_row.version == 2

    # 2. Dropping on the lost column asks why; cancelling puts the card back and changes nothing.
    lost = page.locator(f'.pv-column[data-stage-id="{stages["lost"].pk}"]')
    _drag(page, _card(page, made["upkeep"]), lost)
    dialog = page.locator("#lost-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#lost-reason")).to_be_focused()
    page.click("#lost-dialog [data-lost-cancel]")
    expect(dialog).to_be_hidden()
    expect(_card(page, made["upkeep"], stages["needs_proposal"])).to_have_count(1)
    assert Deal.objects.get(pk=made["upkeep"].pk).stage_id == stages["needs_proposal"].pk

    # 3. The keyboard: the card's «Move to…» control, then Tab to its button and Enter.
    select = page.locator(f"#move-{made['servers'].pk}")
    select.focus()
    select.select_option(str(stages["contract"].pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(_card(page, made["servers"], stages["contract"])).to_have_count(1)
    # Focus follows the card to its new column, so the user can carry on from there.
    expect(page.locator(f"#move-{made['servers'].pk}")).to_be_focused()
    assert Deal.objects.get(pk=made["servers"].pk).stage_id == stages["contract"].pk

    # ... and to the lost column, with the reason typed in the dialog and a competitor chosen.
    select = page.locator(f"#move-{made['upkeep'].pk}")
    select.focus()
    select.select_option(str(stages["lost"].pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#lost-reason")).to_be_focused()
    page.keyboard.type("قیمت رقیب ۱۵٪ کمتر بود")
    page.keyboard.press("Tab")
    page.locator("#lost-competitor").select_option(label="شرکت آهن‌گستر")
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Mark as lost
    page.keyboard.press("Enter")
    expect(_card(page, made["upkeep"], stages["lost"])).to_have_count(1)
    upkeep = Deal.objects.select_related("lost_to").get(pk=made["upkeep"].pk)
    assert upkeep.lost_reason == "قیمت رقیب ۱۵٪ کمتر بود"
    assert upkeep.lost_to.name == "شرکت آهن‌گستر"

    # 4. Someone else changes a deal after the board was drawn: the move is refused, the page says so, and the
    # card shows what is stored now.
    network = Deal.objects.get(pk=made["network"].pk)
    deal_update(deal=network, by=agent, version=network.version, data={"title": "شبکه انبار مرکزی"})
    _drag(page, _card(page, made["network"]), negotiation)
    alert = page.locator("#board-status .alert-danger")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("شبکه انبار")
    refreshed = _card(page, made["network"], stages["introduction"])
    expect(refreshed).to_contain_text("شبکه انبار مرکزی")
    assert refreshed.get_attribute("data-version") == "2"
    assert Deal.objects.get(pk=made["network"].pk).stage_id == stages["introduction"].pk

    # The board as it now stands, for the docs (and a look: RTL columns, Jalali dates, Persian digits).
    page.reload()
    page.wait_for_selector(".pv-column")
    page.evaluate("document.fonts.ready")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sales-board.png"), full_page=True)

    # The card's title opens the deal's page, in Persian with its decision-maker.
    _card(page, made["steel"]).locator(".pv-deal-title").click()
    page.wait_for_url(f"{live_server.url}/sales/deals/{made['steel'].pk}/")
    expect(page.locator("#contacts")).to_contain_text("علی کریمی")
    expect(page.locator("main")).to_contain_text("۱۴۰۵/۱۰/۱۵")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "sales-deal.png"), full_page=True)
    page.goto(f"{live_server.url}/sales/deals/{made['steel'].pk}/edit/")
    expect(page.locator("#id_expected_close_date")).to_have_value("1405/10/15")
    page.screenshot(path=str(RESULTS / "sales-deal-form.png"), full_page=True)
