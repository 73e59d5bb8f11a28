"""The automation pages: the rule list (administrators change, managers read, agents refused), the editor with
its typed action rows (a wrong row shown again with its error), moving and removing rules, the run log with its
filters and the ticket scope, and the preview of customer messages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from peyvand.service.automation_engine import run_rules
from peyvand.service.automation_rules import automation_rule_create
from peyvand.service.models import AutomationRule

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the site is Persian unless asked otherwise
    client.force_login(user)
    return client


@pytest.fixture
def make_rule(admin):
    def make(name="note it", **data):
        data.setdefault("actions", [{"type": "note", "text": "x"}])
        return automation_rule_create(by=admin, data={"name": name, "event": "created", **data})

    return make


def form_data(**overrides):
    data = {
        "name": "Gold customers first",
        "event": "created",
        "hours": "",
        "is_active": "on",
        "customer_tier": ["gold"],
        "keywords": "قطعی، خرابی\noutage",
        "action-0-type": "set",
        "action-0-field": "priority",
        "action-0-value_priority": "urgent",
        "action-0-value_status": "new",
        "action-3-type": "notify_staff",
        "action-3-to": "team_managers",
        "action-3-text": "A gold customer wrote",
        "action-5-type": "",  # a row left empty
    }
    data.update(overrides)
    return data


def test_an_administrator_builds_a_rule_from_typed_action_rows(admin, team_a):
    client = client_for(admin)
    page = client.get(reverse("service:automation_rule_create"))
    assert page.status_code == 200
    assert b"data-action-template" in page.content and b"automation-actions.js" in page.content

    response = client.post(reverse("service:automation_rule_create"), form_data(team=[str(team_a.pk)]))

    assert response.status_code == 302 and response["Location"] == reverse("service:automation_rules")
    rule = AutomationRule.objects.get()
    assert rule.conditions == {
        "customer_tier": ["gold"],
        "team": [team_a.pk],
        "keywords": ["outage", "خرابی", "قطعی"],
    }
    assert rule.actions == [
        {"type": "set", "field": "priority", "value": "urgent"},
        {"type": "notify_staff", "to": "team_managers", "text": "A gold customer wrote"},
    ]
    assert rule.hours is None and rule.is_active


def test_a_wrong_action_row_is_shown_again_with_its_error_and_nothing_saved(admin):
    client = client_for(admin)
    response = client.post(
        reverse("service:automation_rule_create"),
        form_data(**{"action-3-to": "user", "action-3-user": ""}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose an active user to tell." in html
    assert "A gold customer wrote" in html  # what was typed is kept
    assert not AutomationRule.objects.exists()


def test_no_reply_needs_its_hours_on_the_page_too(admin):
    client = client_for(admin)
    response = client.post(reverse("service:automation_rule_create"), form_data(event="no_reply"))
    assert response.status_code == 422
    assert "Give the business hours without a reply" in response.content.decode()
    response = client.post(reverse("service:automation_rule_create"), form_data(event="no_reply", hours="6"))
    assert response.status_code == 302
    assert AutomationRule.objects.get().hours == 6


def test_a_rule_without_actions_is_refused(admin):
    data = {k: v for k, v in form_data().items() if not k.startswith("action-")}
    response = client_for(admin).post(reverse("service:automation_rule_create"), data)
    assert response.status_code == 422
    assert "Add at least one action." in response.content.decode()


def test_the_editor_shows_a_saved_rule_and_saves_changes(admin, make_rule, agent_a):
    rule = make_rule(actions=[{"type": "assign", "user": agent_a.pk}, {"type": "note", "text": "یادداشت"}])
    client = client_for(admin)
    html = client.get(reverse("service:automation_rule_edit", args=[rule.pk])).content.decode()
    assert f'<option value="{agent_a.pk}" selected>' in html
    assert "یادداشت" in html

    response = client.post(
        reverse("service:automation_rule_edit", args=[rule.pk]),
        {
            "name": "renamed",
            "event": "customer_replied",
            "action-0-type": "notify_customer",
            "action-0-template": "ticket_received",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.event, rule.is_active) == ("renamed", "customer_replied", False)
    assert rule.actions == [{"type": "notify_customer", "template": "ticket_received"}]


def test_the_list_moves_and_removes_rules(admin, make_rule):
    first, second = make_rule("first"), make_rule("second")
    client = client_for(admin)
    html = client.get(reverse("service:automation_rules")).content.decode()
    assert html.index(f'data-rule="{first.pk}"') < html.index(f'data-rule="{second.pk}"')

    client.post(reverse("service:automation_rule_move", args=[second.pk]), {"direction": "up"})
    assert list(AutomationRule.objects.values_list("name", flat=True)) == ["second", "first"]

    client.post(reverse("service:automation_rule_delete", args=[first.pk]))
    assert list(AutomationRule.objects.values_list("name", flat=True)) == ["second"]


def test_a_manager_reads_the_rules_but_cannot_change_them(manager_a, make_rule):
    rule = make_rule()
    client = client_for(manager_a)
    html = client.get(reverse("service:automation_rules")).content.decode()
    assert rule.name in html and reverse("service:automation_rule_edit", args=[rule.pk]) not in html
    assert client.get(reverse("service:automation_rule_create")).status_code == 403
    assert client.get(reverse("service:automation_rule_edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("service:automation_rule_delete", args=[rule.pk])).status_code == 403
    assert client.post(reverse("service:automation_rule_move", args=[rule.pk])).status_code == 403
    assert AutomationRule.objects.filter(pk=rule.pk).exists()


def test_an_agent_is_refused_every_automation_page(agent_a, make_rule):
    rule = make_rule()
    client = client_for(agent_a)
    for name, args in (
        ("service:automation_rules", []),
        ("service:automation_rule_create", []),
        ("service:automation_rule_edit", [rule.pk]),
        ("service:automation_runs", []),
        ("service:notification_preview", []),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403, name


def test_the_run_log_filters_by_rule_and_outcome(admin, make_rule, make_ticket, customer_a):
    noted = make_rule("noted")
    make_rule("urgent only", conditions={"priority": ["urgent"]})
    ticket = make_ticket(customer=customer_a)
    run_rules("created", ticket.pk)
    client = client_for(admin)

    everything = client.get(reverse("service:automation_runs")).content.decode()
    assert everything.count("data-run=") == 2
    skipped = client.get(reverse("service:automation_runs"), {"status": "skipped"}).content.decode()
    assert skipped.count("data-run=") == 1 and "urgent only" in skipped
    by_rule = client.get(reverse("service:automation_runs"), {"rule": noted.pk}).content.decode()
    assert by_rule.count("data-run=") == 1 and ticket.number in by_rule


def test_the_run_log_shows_why_a_run_failed(admin, make_rule, make_ticket, customer_a, team_a):
    from factories import UserFactory

    leaver = UserFactory(team=team_a)
    make_rule(actions=[{"type": "notify_staff", "to": "user", "user": leaver.pk}])
    leaver.is_active = False
    leaver.save()
    run_rules("created", make_ticket(customer=customer_a).pk)
    html = client_for(admin).get(reverse("service:automation_runs"), {"status": "failed"}).content.decode()
    assert "Action 1 failed:" in html


def test_a_manager_sees_runs_of_their_tickets_and_another_teams_ticket_is_404(
    manager_a, make_rule, make_ticket, customer_a, customer_b
):
    make_rule()
    mine, theirs = make_ticket(customer=customer_a), make_ticket(customer=customer_b)
    run_rules("created", mine.pk)
    run_rules("created", theirs.pk)
    client = client_for(manager_a)
    html = client.get(reverse("service:automation_runs")).content.decode()
    assert mine.number in html and theirs.number not in html
    assert client.get(reverse("service:automation_runs"), {"ticket": theirs.pk}).status_code == 404
    assert client.get(reverse("service:automation_runs"), {"ticket": mine.pk}).status_code == 200
    assert client.get(reverse("service:notification_preview"), {"ticket": theirs.pk}).status_code == 404


def test_the_preview_shows_every_message_in_both_languages(admin):
    html = client_for(admin).get(reverse("service:notification_preview")).content.decode()
    for code in ("ticket_received", "ticket_assigned", "ticket_answered", "ticket_waiting", "ticket_resolved"):
        assert f'id="preview-{code}"' in html
    assert "T-۱۴۰۵-۰۰۰۴۲" in html and "We received your request T-1405-00042" in html


def test_the_preview_of_one_message_for_a_real_ticket(manager_a, make_ticket, customer_a):
    ticket = make_ticket(customer=customer_a, subject="چاپگر کار نمی‌کند")
    html = (
        client_for(manager_a)
        .get(reverse("service:notification_preview"), {"ticket": ticket.pk, "template": "ticket_resolved"})
        .content.decode()
    )
    assert html.count('id="preview-ticket_') == 1 and 'id="preview-ticket_resolved"' in html
    assert "چاپگر کار نمی‌کند" in html and customer_a.display_name in html
