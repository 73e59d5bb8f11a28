"""Tickets through the HTTP API: opening, templates, scope, versions, transitions, the conversation, files,
history, the customer's timeline and the hooks other parts of the desk hang on."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from peyvand.customers.models import Interaction
from peyvand.sales.models import Contract
from peyvand.service import automation, notify, satisfaction
from peyvand.service.models import (
    ClosedTicketReply,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.services.settings import service_settings

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hooks(monkeypatch):
    """Every call of the notice, automation and satisfaction hooks, in order, as they run (after commit)."""
    calls = []
    monkeypatch.setattr(
        notify, "notify_customer", lambda *, ticket, template, extra=None: calls.append(("notify", template))
    )
    monkeypatch.setattr(
        automation, "automation_fire", lambda event, ticket, *, data=None: calls.append(("automation", event, data))
    )
    monkeypatch.setattr(satisfaction, "satisfaction_request", lambda ticket: calls.append(("satisfaction",)))
    return calls


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """commit(): a block whose after-commit callbacks run when it ends, as they would after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


@pytest.fixture
def router_category(make_category, team_a):
    """A category whose tickets go to team A, asking for a device (required), a count and a yes/no."""
    return make_category(
        "اینترنت",
        name_en="Internet",
        default_team=team_a,
        fields=[
            {"key": "device", "label": "دستگاه", "type": "choice", "required": True, "choices": ["مودم", "روتر"]},
            {"key": "count", "label": "تعداد", "type": "number", "required": False},
            {"key": "still_broken", "label": "هنوز خراب است؟", "type": "yes_no", "required": False},
            {"key": "since", "label": "از کی", "type": "date", "required": False},
        ],
    )


def _open(client, customer, category=None, **extra):
    payload = {"subject": "اینترنت قطع است", "customer_id": customer.pk, **extra}
    if category is not None:
        payload.setdefault("category_id", category.pk)
        payload.setdefault("fields", {"device": "مودم"})
    return client.post("/api/v1/tickets", payload, content_type="application/json")


def test_it_opens_a_ticket_routed_numbered_with_history_and_a_timeline_entry(
    client_a, agent_a, customer_a, router_category, team_a, hooks, commit
):
    with commit():
        answer = _open(
            client_a, customer_a, router_category, fields={"device": "روتر", "count": "۳", "still_broken": "yes"}
        )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["number"].startswith("T-")
    assert body["status"] == "new"
    assert body["team_id"] == team_a.pk
    assert body["channel"] == "api"
    assert body["fields"] == {"device": "روتر", "count": 3, "still_broken": True}
    kinds = list(TicketEvent.objects.filter(ticket_id=body["id"]).values_list("kind", flat=True))
    assert kinds[:2] == ["created", "routed"]
    entry = Interaction.objects.get(customer=customer_a)
    assert entry.related_id == str(body["id"])
    assert body["number"] in entry.subject
    # The hooks ran after the commit, in order.
    assert ("notify", "ticket_received") in hooks
    assert ("automation", "created", None) in hooks


def test_the_hooks_do_not_run_before_the_commit(agent_a, customer_a, hooks, django_capture_on_commit_callbacks):
    from peyvand.service.services.tickets import ticket_create

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_create(by=agent_a, data={"subject": "قطعی", "customer_id": customer_a.pk})
    assert hooks == []
    for callback in callbacks:
        callback()
    assert [c[:2] for c in hooks] == [("notify", "ticket_received"), ("automation", "created")]


def test_a_failed_create_writes_nothing_and_tells_nobody(client_a, customer_a, router_category, hooks, commit):
    with commit():
        answer = _open(client_a, customer_a, router_category, fields={"count": "many", "colour": "red"})
    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"fields.device", "fields.count", "fields.colour"}
    assert not Ticket.objects.exists()
    assert hooks == []


def test_a_ticket_needs_a_customer_or_a_contact(client_a):
    answer = client_a.post("/api/v1/tickets", {"subject": "سلام"}, content_type="application/json")
    assert answer.status_code == 422
    assert "customer_id" in answer.json()["error"]["fields"]
    answer = client_a.post(
        "/api/v1/tickets",
        {"subject": "سلام", "contact_name": "مهمان", "contact_phone": "0912 123 4567"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["contact_phone"] == "+989121234567"


def test_an_agent_cannot_open_a_ticket_for_another_teams_customer(client_a, customer_b):
    answer = _open(client_a, customer_b)
    assert answer.status_code == 422
    assert "customer_id" in answer.json()["error"]["fields"]


def test_an_order_or_contract_must_be_the_customers(client_a, customer_a, customer_b):
    today = timezone.localdate()
    theirs = Contract.objects.create(
        number="CT-X-1",
        title="قرارداد",
        customer=customer_b,
        start_date=today,
        end_date=today + dt.timedelta(days=30),
        value=1,
        owner=customer_b.owner,
        team=customer_b.team,
    )
    answer = _open(client_a, customer_a, contract_id=theirs.pk)
    assert answer.status_code == 422
    assert "contract_id" in answer.json()["error"]["fields"]


def test_a_retired_category_is_not_offered(client_a, customer_a, router_category):
    router_category.is_active = False
    router_category.save()
    answer = _open(client_a, customer_a, router_category)
    assert answer.status_code == 422
    assert "category_id" in answer.json()["error"]["fields"]


def test_an_agent_of_another_team_gets_404_for_every_ticket_endpoint(api_client, agent_b, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    client = api_client(agent_b)
    for path in ("", "/messages", "/history", "/attachments"):
        assert client.get(f"/api/v1/tickets/{ticket.pk}{path}").status_code == 404
    answer = client.post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": "سلام"}, content_type="application/json")
    assert answer.status_code == 404
    answer = client.patch(
        f"/api/v1/tickets/{ticket.pk}", {"version": 1, "subject": "x"}, content_type="application/json"
    )
    assert answer.status_code == 404
    assert client.get("/api/v1/tickets").json()["items"] == []
    assert not TicketMessage.objects.exists()


def test_a_stale_version_is_refused_with_409(client_a, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    first = client_a.patch(
        f"/api/v1/tickets/{ticket.pk}", {"version": 1, "subject": "قطعی کامل"}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client_a.patch(
        f"/api/v1/tickets/{ticket.pk}", {"version": 1, "priority": "urgent"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority) == ("قطعی کامل", "normal")
    assert TicketEvent.objects.filter(ticket=ticket, kind="updated").count() == 1


def test_changing_the_category_checks_the_new_template(client_a, customer_a, make_ticket, router_category):
    ticket = make_ticket(customer=customer_a)
    answer = client_a.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"version": 1, "category_id": router_category.pk},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "fields.device" in answer.json()["error"]["fields"]
    answer = client_a.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"version": 1, "category_id": router_category.pk, "fields": {"device": "مودم"}, "priority": "high"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert {"category", "priority", "fields"} <= set(
        TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)
    )


def test_assigning_makes_a_new_ticket_assigned_and_tells_the_customer(
    api_client, manager_a, agent_a, customer_a, make_ticket, hooks, commit
):
    ticket = make_ticket(customer=customer_a)
    with commit():
        answer = api_client(manager_a).post(
            f"/api/v1/tickets/{ticket.pk}/assign",
            {"version": 1, "assignee_id": agent_a.pk},
            content_type="application/json",
        )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["assignee_id"]) == ("assigned", agent_a.pk)
    assert ("notify", "ticket_assigned") in hooks
    assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").exists()


def test_an_agent_cannot_assign_someone_of_another_team(client_a, agent_b, customer_a, make_ticket, team_b):
    ticket = make_ticket(customer=customer_a)
    answer = client_a.post(
        f"/api/v1/tickets/{ticket.pk}/assign",
        {"version": 1, "team_id": team_b.pk, "assignee_id": agent_b.pk},
        content_type="application/json",
    )
    assert answer.status_code == 422
    # Handing it to the other team's queue (without choosing their person) is allowed.
    answer = client_a.post(
        f"/api/v1/tickets/{ticket.pk}/assign", {"version": 1, "team_id": team_b.pk}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["team_id"] == team_b.pk


def _status(client, ticket, status, version, **extra):
    return client.post(
        f"/api/v1/tickets/{ticket.pk}/status",
        {"status": status, "version": version, **extra},
        content_type="application/json",
    )


def test_resolving_needs_a_reply_or_a_resolution(client_a, customer_a, make_ticket, hooks, commit):
    ticket = make_ticket(customer=customer_a)
    refused = _status(client_a, ticket, "resolved", 1)
    assert refused.status_code == 422
    assert "resolution" in refused.json()["error"]["fields"]
    with commit():
        done = _status(client_a, ticket, "resolved", 1, resolution="مودم عوض شد")
    assert done.status_code == 200
    assert done.json()["resolved_at"] is not None
    assert TicketMessage.objects.get(ticket=ticket).kind == MessageKind.NOTE
    assert ("notify", "ticket_resolved") in hooks
    assert ("satisfaction",) in hooks
    assert ("automation", "status_changed", {"from": "new", "to": "resolved"}) in hooks


def test_transitions_closed_only_from_resolved_and_reopened_from_closed(
    api_client, admin, client_a, customer_a, make_ticket
):
    ticket = make_ticket(customer=customer_a)
    assert _status(client_a, ticket, "closed", 1).status_code == 422
    assert _status(client_a, ticket, "reopened", 1).status_code == 422
    assert _status(client_a, ticket, "assigned", 1).status_code == 422
    assert _status(client_a, ticket, "in_progress", 1).status_code == 200
    assert _status(client_a, ticket, "waiting", 2).status_code == 200
    assert _status(client_a, ticket, "resolved", 3, resolution="حل شد").status_code == 200
    closed = _status(client_a, ticket, "closed", 4)
    assert closed.status_code == 200
    assert closed.json()["closed_at"] is not None
    reopened = _status(client_a, ticket, "reopened", 5)
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["reopen_count"] == 1
    assert reopened.json()["resolved_at"] is None
    # An administrator closes from any status (duplicates, spam).
    assert _status(api_client(admin), ticket, "closed", 6).status_code == 200


def test_a_reply_starts_the_work_and_can_set_waiting(client_a, customer_a, make_ticket, hooks, commit):
    ticket = make_ticket(customer=customer_a)
    with commit():
        answer = client_a.post(
            f"/api/v1/tickets/{ticket.pk}/replies",
            {"body": "شماره سریال مودم را بفرستید", "set_status": "waiting"},
            content_type="application/json",
        )
    assert answer.status_code == 201
    assert answer.json()["kind"] == "reply"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.first_responded_at is not None
    assert ticket.last_staff_reply_at is not None
    assert ("notify", "ticket_answered") in hooks
    assert ("notify", "ticket_waiting") not in hooks


def test_a_note_is_internal_and_sent_to_nobody(client_a, customer_a, make_ticket, hooks, commit):
    ticket = make_ticket(customer=customer_a)
    with commit():
        answer = client_a.post(
            f"/api/v1/tickets/{ticket.pk}/notes", {"body": "با واحد فنی هماهنگ شد"}, content_type="application/json"
        )
    assert answer.status_code == 201
    assert answer.json()["kind"] == "note"
    assert hooks == []
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_the_customer_writing_on_a_waiting_ticket_puts_it_back_in_progress(
    client_a, customer_a, make_ticket, hooks, commit
):
    ticket = make_ticket(customer=customer_a, status=TicketStatus.WAITING)
    with commit():
        answer = client_a.post(
            f"/api/v1/tickets/{ticket.pk}/customer-messages",
            {"body": "سریال: ۱۲۳", "channel": "phone"},
            content_type="application/json",
        )
    assert answer.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.last_customer_message_at is not None
    assert ("automation", "customer_replied", None) in hooks


def test_a_reply_to_a_closed_ticket_reopens_it_when_so_configured(customer_a, make_ticket):
    from peyvand.service.services.tickets import ticket_customer_message

    ticket = make_ticket(customer=customer_a, status=TicketStatus.CLOSED)
    message = ticket_customer_message(ticket=ticket, body="دوباره قطع شد", channel="email", external_id="<a@x>")
    ticket.refresh_from_db()
    assert message.ticket_id == ticket.pk
    assert ticket.status == TicketStatus.REOPENED
    assert ticket.reopen_count == 1
    # The same e-mail again is stored once.
    again = ticket_customer_message(ticket=ticket, body="دوباره قطع شد", channel="email", external_id="<a@x>")
    assert again.pk == message.pk
    assert TicketMessage.objects.filter(kind=MessageKind.CUSTOMER).count() == 1


def test_a_reply_to_a_closed_ticket_opens_a_new_linked_one_when_so_configured(customer_a, make_ticket, router_category):
    from peyvand.service.services.tickets import ticket_customer_message

    settings_row = service_settings()
    settings_row.closed_ticket_reply = ClosedTicketReply.NEW_TICKET
    settings_row.save()
    ticket = make_ticket(
        customer=customer_a, status=TicketStatus.CLOSED, category=router_category, fields={"device": "مودم"}
    )
    message = ticket_customer_message(ticket=ticket, body="باز هم مشکل دارم", channel="email", external_id="<b@x>")
    follow_up = message.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.customer_id == customer_a.pk
    assert follow_up.category_id == router_category.pk
    assert ticket.number in follow_up.subject
    assert TicketEvent.objects.get(ticket=follow_up, kind="follows").data["ticket"] == ticket.pk
    assert TicketEvent.objects.get(ticket=ticket, kind="followed_up").data["ticket"] == follow_up.pk
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    # The same e-mail again opens nothing more.
    again = ticket_customer_message(ticket=ticket, body="باز هم مشکل دارم", channel="email", external_id="<b@x>")
    assert again.pk == message.pk
    assert Ticket.objects.count() == 2


def test_a_file_is_attached_listed_and_downloaded_within_scope(api_client, client_a, agent_b, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    answer = client_a.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile("../رسید.pdf", PDF)})
    assert answer.status_code == 201, answer.json()
    row = answer.json()
    assert row["name"] == "رسید.pdf"
    download = client_a.get(row["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert api_client(agent_b).get(row["url"]).status_code == 404
    assert TicketEvent.objects.filter(ticket=ticket, kind="attachment").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 20),
        ("fake.pdf", PNG),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("notes.txt", b"hello"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused(client_a, customer_a, make_ticket, name, data):
    ticket = make_ticket(customer=customer_a)
    answer = client_a.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile(name, data)})
    assert answer.status_code == 422
    assert "file" in answer.json()["error"]["fields"]
    assert not TicketAttachment.objects.exists()


def test_a_file_over_the_size_setting_is_refused(settings, client_a, customer_a, make_ticket):
    settings.PEYVAND_TICKET_ATTACHMENT_MB = 1
    ticket = make_ticket(customer=customer_a)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    answer = client_a.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": big}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert "at most 1 MB" in answer.json()["error"]["fields"]["file"][0]
    assert not TicketAttachment.objects.exists()
    # The setting is read as it is now: a larger limit lets the same file through.
    settings.PEYVAND_TICKET_ATTACHMENT_MB = 2
    big.seek(0)
    assert client_a.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": big}).status_code == 201


def test_the_queue_filters_orders_by_urgency_and_counts(client_a, agent_a, customer_a, make_ticket, installation):
    now = timezone.now()
    later = make_ticket(customer=customer_a, resolution_due_at=now + dt.timedelta(hours=5))
    soon = make_ticket(customer=customer_a, resolution_due_at=now + dt.timedelta(hours=1), priority="low")
    same_due_urgent = make_ticket(
        customer=customer_a, resolution_due_at=now + dt.timedelta(hours=1), priority="urgent", assignee=agent_a
    )
    no_due = make_ticket(customer=customer_a, category=installation, subject="نصب آنتن")
    make_ticket(customer=customer_a, status=TicketStatus.CLOSED)
    page = client_a.get("/api/v1/tickets?status=open&limit=2").json()
    assert [t["id"] for t in page["items"]] == [same_due_urgent.pk, soon.pk]
    rest = client_a.get(f"/api/v1/tickets?status=open&limit=2&cursor={page['next_cursor']}").json()
    assert [t["id"] for t in rest["items"]] == [later.pk, no_due.pk]
    assert rest["next_cursor"] is None
    mine = client_a.get("/api/v1/tickets?assignee=mine").json()["items"]
    assert [t["id"] for t in mine] == [same_due_urgent.pk]
    # A category takes its sub-categories with it.
    parent = installation.parent_id
    assert [t["id"] for t in client_a.get(f"/api/v1/tickets?category_id={parent}").json()["items"]] == [no_due.pk]
    assert [t["id"] for t in client_a.get("/api/v1/tickets?q=آنتن").json()["items"]] == [no_due.pk]
    counts = client_a.get("/api/v1/tickets/counts").json()["counts"]
    assert counts["open"] == 4
    assert counts["closed"] == 1


def test_history_lists_every_change(client_a, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    client_a.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "یادداشت"}, content_type="application/json")
    _status(client_a, ticket, "in_progress", 1)
    history = client_a.get(f"/api/v1/tickets/{ticket.pk}/history").json()
    assert [e["kind"] for e in history] == ["message", "status"]
    assert history[1]["data"] == {"from": "new", "to": "in_progress"}


# --- categories -------------------------------------------------------------------------------------------


def test_an_agent_cannot_change_categories(client_a, technical):
    answer = client_a.post("/api/v1/ticket-categories", {"name": "تازه"}, content_type="application/json")
    assert answer.status_code == 403
    answer = client_a.patch(
        f"/api/v1/ticket-categories/{technical.pk}", {"name": "تازه"}, content_type="application/json"
    )
    assert answer.status_code == 403
    assert client_a.get("/api/v1/ticket-categories").status_code == 200


def test_an_admin_builds_and_moves_the_tree_keeping_paths_right(api_client, admin, technical, installation):
    client = api_client(admin)
    billing = client.post(
        "/api/v1/ticket-categories",
        {
            "name": "مالی",
            "fields": [
                {"key": "invoice", "label": "شماره فاکتور", "required": True},
                {"key": "reason", "label": "علت", "type": "choice", "choices": ["دیر", "اشتباه"]},
            ],
        },
        content_type="application/json",
    )
    assert billing.status_code == 201, billing.json()
    billing_id = billing.json()["id"]
    moved = client.patch(
        f"/api/v1/ticket-categories/{technical.pk}", {"parent_id": billing_id}, content_type="application/json"
    )
    assert moved.status_code == 200
    installation.refresh_from_db()
    assert installation.path == f"/{billing_id}/{technical.pk}/{installation.pk}/"
    loop = client.patch(
        f"/api/v1/ticket-categories/{billing_id}", {"parent_id": installation.pk}, content_type="application/json"
    )
    assert loop.status_code == 422
    tree = [c["id"] for c in client.get("/api/v1/ticket-categories").json()]
    assert tree == [billing_id, technical.pk, installation.pk]


def test_a_bad_template_is_refused_per_field(api_client, admin):
    answer = api_client(admin).post(
        "/api/v1/ticket-categories",
        {
            "name": "بد",
            "fields": [
                {"key": "a", "label": "الف", "type": "choice"},
                {"key": "a", "label": "ب"},
            ],
        },
        content_type="application/json",
    )
    assert answer.status_code == 422
    messages = answer.json()["error"]["fields"]["fields"]
    assert len(messages) == 2


def test_the_notifications_of_a_ticket_are_read_within_its_scope(api_client, agent_a, agent_b, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    notify.notify_customer(ticket=ticket, template="ticket_received")  # no address: recorded as not sent
    notify.notify_customer(ticket=ticket, template="ticket_assigned")
    answer = api_client(agent_a).get(f"/api/v1/tickets/{ticket.pk}/notifications")
    assert answer.status_code == 200, answer.content
    rows = answer.json()
    assert [(r["template"], r["status"], r["error"]) for r in rows] == [
        ("ticket_assigned", "skipped", "no_address"),
        ("ticket_received", "skipped", "no_address"),
    ]
    assert api_client(agent_b).get(f"/api/v1/tickets/{ticket.pk}/notifications").status_code == 404


def test_resolved_and_closed_are_counted_only_up_to_the_cap(client_a, agent_a, customer_a, make_ticket, monkeypatch):
    from django.test import Client

    from peyvand.service import ticket_selectors

    monkeypatch.setattr(ticket_selectors, "COUNT_CAP", 2)
    for _ in range(4):
        make_ticket(customer=customer_a, status=TicketStatus.CLOSED)
    make_ticket(customer=customer_a, status=TicketStatus.RESOLVED)
    make_ticket(customer=customer_a)
    counts = client_a.get("/api/v1/tickets/counts").json()["counts"]
    assert (counts["closed"], counts["resolved"], counts["open"], counts["new"]) == (3, 1, 1, 1)
    browser = Client()
    browser.force_login(agent_a)
    page = browser.get("/service/tickets/?status=closed").content.decode()
    assert "۲+" in page


def test_ids_beyond_the_databases_keys_answer_404(client_a, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    huge = 2**66
    for path in (
        f"/api/v1/tickets/{huge}",
        f"/api/v1/tickets/{huge}/attachments/1",
        f"/api/v1/tickets/{ticket.pk}/attachments/{huge}",
    ):
        assert client_a.get(path).status_code == 404, path
