"""A real browser on the automation rule editor in Persian: the hours appear only for "no reply", each action
row shows only the fields its type needs, rows are added and removed, and the rule is saved as typed."""

from __future__ import annotations

import pytest

from e2e.test_browser import CHROMIUM, PASSWORD, opened_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (CI installs it)"),
]


@pytest.fixture
def desk(transactional_db):
    from factories import TeamFactory, UserFactory
    from peyvand.accounts.models import Role

    team = TeamFactory(name="پشتیبانی")
    admin = UserFactory(username="boss", role=Role.ADMIN, team=None, is_staff=True)
    agent = UserFactory(username="maryam", first_name="مریم", last_name="احمدی", team=team)
    return admin, agent


def test_an_administrator_builds_a_rule_with_the_action_editor(live_server, desk):
    from peyvand.service.models import AutomationRule

    admin, agent = desk
    with opened_page() as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", admin.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/service/automation/new/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        hours = page.locator("[data-hours-field]")
        assert hours.is_hidden()
        page.select_option("#id_event", "no_reply")
        assert hours.is_visible()
        page.fill("#id_hours", "4")
        page.fill("#id_name", "بی‌پاسخ‌ها")

        # The script starts the editor with one empty row.
        rows = page.locator("[data-action-rows] [data-action-row]")
        assert rows.count() == 1
        first = rows.nth(0)
        first.locator("[data-action-type]").select_option("set")
        assert first.locator('[name$="-team"]').is_hidden()
        first.locator("[data-action-field]").select_option("priority")
        assert first.locator('[name$="-value_priority"]').is_visible()
        assert first.locator('[name$="-value_status"]').is_hidden()
        first.locator('[name$="-value_priority"]').select_option("urgent")

        page.click("[data-action-add]")
        second = rows.nth(1)
        second.locator("[data-action-type]").select_option("notify_staff")
        assert second.locator('[name$="-user"]').is_hidden()  # only for "a chosen person"
        second.locator("[data-action-to]").select_option("user")
        assert second.locator('[name$="-user"]').is_visible()
        second.locator('[name$="-user"]').select_option(str(agent.pk))
        second.locator('[name$="-text"]').fill("مشتری منتظر است")

        page.click("[data-action-add]")
        rows.nth(2).locator("[data-action-type]").select_option("note")
        rows.nth(2).locator("[data-action-remove]").click()
        assert rows.count() == 2

        page.click("form[data-rule-editor] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/service/automation/")
        assert page.locator("#automation-rules tbody tr").count() == 1

    rule = AutomationRule.objects.get()
    assert (rule.event, rule.hours) == ("no_reply", 4)
    assert rule.actions == [
        {"type": "set", "field": "priority", "value": "urgent"},
        {"type": "notify_staff", "to": "user", "user": agent.pk, "text": "مشتری منتظر است"},
    ]
