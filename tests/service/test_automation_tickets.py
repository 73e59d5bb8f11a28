"""Automation and customer notices as the desk uses them: a ticket opened through the tickets API tells the
customer it was received and runs the "created" rules; a person changing its status runs the status rules,
while a rule changing it does not."""

from __future__ import annotations

import json

import pytest

from peyvand.customers.models import CustomerEmail
from peyvand.service.automation_rules import automation_rule_create
from peyvand.service.models import AutomationRun, CustomerNotification, Ticket, TicketMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _immediate(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_ticket_opened_by_api_runs_the_created_rules_and_tells_the_customer(
    api_client, admin, agent_a, manager_a, customer_a, mailoutbox, django_capture_on_commit_callbacks
):
    CustomerEmail.objects.create(customer=customer_a, email="customer@example.com", is_primary=True)
    automation_rule_create(
        by=admin,
        data={
            "name": "outages are urgent",
            "event": "created",
            "conditions": {"keywords": ["قطع"]},
            "actions": [
                {"type": "set", "field": "priority", "value": "urgent"},
                {"type": "notify_staff", "to": "team_managers", "text": "قطعی گزارش شد"},
            ],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client(agent_a),
            "/api/v1/tickets",
            {"subject": "اینترنت قطع شده", "customer_id": customer_a.pk, "team_id": customer_a.team_id},
        )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])

    assert ticket.priority == "urgent"
    [run] = AutomationRun.objects.filter(ticket=ticket)
    assert (run.rule_name, run.status) == ("outages are urgent", "done")
    assert manager_a.notifications.get().body == "قطعی گزارش شد"
    received = CustomerNotification.objects.get(ticket=ticket, template="ticket_received")
    assert received.status == "sent" and received.to == "customer@example.com"
    assert any(m.to == ["customer@example.com"] for m in mailoutbox)


def test_a_person_changing_the_status_runs_the_status_rules_once(
    api_client, admin, agent_a, customer_a, make_ticket, django_capture_on_commit_callbacks
):
    automation_rule_create(
        by=admin,
        data={
            "name": "waiting note",
            "event": "status_changed",
            "conditions": {"status": ["waiting"]},
            "actions": [
                {"type": "note", "text": "منتظر مشتری"},
                {"type": "set", "field": "status", "value": "in_progress"},
            ],
        },
    )
    ticket = make_ticket(customer=customer_a, assignee=agent_a, status="assigned")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client(agent_a), f"/api/v1/tickets/{ticket.pk}/status", {"version": ticket.version, "status": "waiting"}
        )
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    # The rule moved it on; its own change did not start the rule again.
    assert ticket.status == "in_progress"
    assert AutomationRun.objects.filter(ticket=ticket).count() == 1
    assert list(TicketMessage.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["منتظر مشتری"]
