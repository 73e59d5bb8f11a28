"""A real browser reviews duplicates: a manager merges a pair, sees the merged-in records, undoes it; data health."""

from __future__ import annotations

import re

import pytest
from test_browser import CHROMIUM, RESULTS, browser_page  # noqa: F401 - fixtures used by name
from test_import_browser import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@pytest.fixture
def manager_with_a_pair(transactional_db):
    """A manager's team holding one customer twice: the same mobile, typed once plainly, once in Persian
    digits with spaces; the second record has a landline, a job title and a meeting of its own."""
    from factories import TeamFactory, UserFactory
    from peyvand.accounts.models import Role
    from peyvand.customers import services

    team = TeamFactory(name="فروش تهران")
    manager = UserFactory(username="nasrin", first_name="نسرین", last_name="صالحی", role=Role.MANAGER, team=team)
    first = services.customer_create(
        by=manager,
        data={
            "first_name": "حسن",
            "last_name": "رضایی",
            "lifecycle_stage": "active",
            "phones": [{"number": "09121234567"}],
        },
    )
    services.interaction_create(customer=first, by=manager, channel="call", direction="in", subject="تماس اول")
    second = services.customer_create(
        by=manager,
        data={
            "first_name": "حسن",
            "last_name": "رضائی",
            "job_title": "مدیر خرید",
            "phones": [{"number": "۰۹۱۲ ۱۲۳ ۴۵۶۷"}, {"number": "02188776655", "kind": "work"}],
        },
    )
    services.interaction_create(customer=second, by=manager, channel="meeting", direction="out", subject="جلسه معرفی")
    # Someone with no phone at all, for the data-health page.
    services.customer_create(by=manager, data={"first_name": "مینا", "last_name": "بی‌شماره"})
    return manager, first, second


def test_a_manager_merges_a_duplicate_pair_and_undoes_it(live_server, browser_page, manager_with_a_pair):  # noqa: F811
    from peyvand.customers.models import Customer, DuplicateCandidate

    expect = pytest.importorskip("playwright.sync_api").expect
    manager, first, second = manager_with_a_pair
    assert DuplicateCandidate.objects.count() == 1
    page = browser_page
    RESULTS.mkdir(exist_ok=True)
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/customers/duplicates/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    pairs = page.locator("main table tbody tr")
    expect(pairs).to_have_count(1)
    assert "حسن رضایی" in pairs.inner_text() and "حسن رضائی" in pairs.inner_text()
    assert "تلفن یکسان" in pairs.inner_text()
    page.screenshot(path=str(RESULTS / "duplicates-1-queue.png"), full_page=True)

    # Merge…: both records side by side; the job title is taken from the other record.
    pairs.locator("a", has_text="ادغام…").click()
    page.wait_for_url(re.compile(r"/customers/duplicates/\d+/merge/"))
    page.locator("input[name=field_job_title][value=merged]").check()
    page.screenshot(path=str(RESULTS / "duplicates-2-merge.png"), full_page=True)
    page.locator("main form button[type=submit]", has_text="ادغام").click()

    # The survivor now holds the other record's landline, job title and meeting, and offers to undo.
    page.wait_for_url(f"{live_server.url}/customers/{first.pk}/")
    main = page.locator("main")
    expect(main).to_contain_text("مدیر خرید")
    expect(main).to_contain_text("۰۲۱ ۸۸۷۷ ۶۶۵۵")
    expect(page.locator(".pv-timeline-item", has_text="جلسه معرفی")).to_have_count(1)
    expect(page.locator(".pv-timeline-item", has_text="تماس اول")).to_have_count(1)
    assert Customer.objects.get(pk=second.pk).merged_into_id == first.pk
    undo = page.locator(".toast button", has_text="برگرداندن")
    expect(undo).to_be_visible()
    page.screenshot(path=str(RESULTS / "duplicates-3-merged.png"), full_page=True)

    undo.click()
    page.wait_for_url(f"{live_server.url}/customers/{first.pk}/")
    expect(page.locator(".toast")).to_contain_text("حسن رضائی")
    expect(page.locator(".pv-timeline-item", has_text="جلسه معرفی")).to_have_count(0)
    page.screenshot(path=str(RESULTS / "duplicates-4-undone.png"), full_page=True)
    live = Customer.objects.filter(deleted_at__isnull=True, merged_into__isnull=True, last_name__startswith="رضا")
    assert set(live.values_list("pk", flat=True)) == {first.pk, second.pk}
    page.goto(f"{live_server.url}/customers/{second.pk}/")
    expect(page.locator("main")).to_contain_text("جلسه معرفی")
    expect(page.locator("main")).to_contain_text("مدیر خرید")


def test_the_data_health_page_counts_problems_and_links_to_the_list(live_server, browser_page, manager_with_a_pair):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    manager, _first, _second = manager_with_a_pair
    page = browser_page
    RESULTS.mkdir(exist_ok=True)
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/customers/health/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    missing = page.locator("[data-problem=missing_phone]")
    expect(missing.locator(".display-6")).to_have_text("۱")
    expect(page.locator("[data-problem=duplicates] .display-6")).to_have_text("۲")
    page.screenshot(path=str(RESULTS / "health-1-cards.png"), full_page=True)

    missing.click()
    page.wait_for_url(re.compile(r"/customers/\?.*health=missing_phone"))
    rows = page.locator("table.pv-table tbody tr")
    expect(rows).to_have_count(1)
    assert "مینا" in rows.inner_text()
    # The list says which problem it is showing, and keeps to it when another filter changes.
    expect(page.locator("#health-filter")).to_contain_text("بدون شماره تلفن")
    page.select_option("#f-stage", "prospect")
    page.wait_for_url(re.compile(r"stage=prospect"))
    expect(rows).to_have_count(1)
    assert "health=missing_phone" in page.url
    page.screenshot(path=str(RESULTS / "health-2-list.png"), full_page=True)
