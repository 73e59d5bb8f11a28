"""Ticket pages: the queue, opening a ticket with its category's fields, the ticket page and its actions,
files, and the category pages (administrators)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from peyvand.service.models import MessageKind, Ticket, TicketCategory, TicketMessage, TicketStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def page_a(client, agent_a):
    return _login(client, agent_a)


@pytest.fixture
def serial_category(make_category, team_a):
    return make_category(
        "خرابی",
        name_en="Breakdown",
        default_team=team_a,
        fields=[{"key": "serial", "label": "سریال", "label_en": "Serial number", "type": "text", "required": True}],
    )


def test_the_queue_shows_visible_tickets_with_tabs(page_a, customer_a, customer_b, make_ticket):
    mine = make_ticket(customer=customer_a, subject="مودم روشن نمی‌شود")
    make_ticket(customer=customer_b, subject="تیکت تیم دیگر")
    make_ticket(customer=customer_a, subject="بسته شده", status=TicketStatus.CLOSED)
    answer = page_a.get(reverse("service:queue"), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert mine.subject in text
    assert "تیکت تیم دیگر" not in text
    assert "بسته شده" not in text
    closed = page_a.get(reverse("service:queue") + "?status=closed").content.decode()
    assert "بسته شده" in closed and mine.subject not in closed


def test_the_category_chooser_shows_its_template_fields(page_a, serial_category):
    answer = page_a.get(
        reverse("service:ticket_category_fields") + f"?category={serial_category.pk}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 200
    assert 'name="f_serial"' in answer.content.decode()
    assert "سریال" in answer.content.decode()


def test_a_ticket_opened_on_the_page_needs_its_category_fields(page_a, customer_a, serial_category):
    url = reverse("service:ticket_create")
    data = {
        "customer": customer_a.pk,
        "category": serial_category.pk,
        "kind": "complaint",
        "subject": "دستگاه خراب است",
        "channel": "phone",
    }
    refused = page_a.post(url, data)
    assert refused.status_code == 422
    assert refused.context["form"].errors["f_serial"]
    assert not Ticket.objects.exists()
    done = page_a.post(url, {**data, "f_serial": "SN-1", "attachments": SimpleUploadedFile("a.pdf", PDF)})
    ticket = Ticket.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("service:ticket_detail", args=[ticket.pk])
    assert ticket.fields == {"serial": "SN-1"}
    assert (ticket.kind, ticket.channel) == ("complaint", "phone")
    assert ticket.attachments.count() == 1


def test_the_ticket_page_shows_the_thread_and_other_teams_get_404(client, agent_a, agent_b, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.NOTE, body="یادداشت داخلی")
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.CUSTOMER, body="پیام مشتری")
    _login(client, agent_a)
    answer = client.get(reverse("service:ticket_detail", args=[ticket.pk]))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "یادداشت داخلی" in text and "pv-message-note" in text and "pv-message-customer" in text
    assert 'id="kb-picker"' in text
    _login(client, agent_b)
    assert client.get(reverse("service:ticket_detail", args=[ticket.pk])).status_code == 404
    assert (
        client.post(reverse("service:ticket_message", args=[ticket.pk]), {"action": "reply", "body": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("reply", TicketStatus.IN_PROGRESS, MessageKind.REPLY),
        ("note", TicketStatus.NEW, MessageKind.NOTE),
        ("waiting", TicketStatus.WAITING, MessageKind.REPLY),
        ("resolve", TicketStatus.RESOLVED, MessageKind.REPLY),
    ],
)
def test_the_reply_box_actions(page_a, customer_a, make_ticket, action, status, kind):
    ticket = make_ticket(customer=customer_a)
    answer = page_a.post(reverse("service:ticket_message", args=[ticket.pk]), {"action": action, "body": "پاسخ"})
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == status
    assert TicketMessage.objects.get(ticket=ticket).kind == kind


def test_a_wrong_file_in_a_reply_sends_nothing(page_a, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    answer = page_a.post(
        reverse("service:ticket_message", args=[ticket.pk]),
        {"action": "reply", "body": "پاسخ", "attachments": SimpleUploadedFile("x.exe", b"MZ" + b"\0" * 30)},
    )
    assert answer.status_code == 422
    assert not TicketMessage.objects.exists()


def test_the_status_and_assign_forms_and_a_stale_version(page_a, agent_a, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    url = reverse("service:ticket_assign", args=[ticket.pk])
    assert page_a.post(url, {"version": 1, "assignee": agent_a.pk}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.ASSIGNED, agent_a.pk)
    # The page was read at version 1: the change is refused and the ticket left as it is.
    stale = page_a.post(reverse("service:ticket_status", args=[ticket.pk]), {"version": 1, "status": "in_progress"})
    assert stale.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ASSIGNED
    refused = page_a.post(reverse("service:ticket_status", args=[ticket.pk]), {"version": 2, "status": "closed"})
    assert refused.status_code == 422


def test_a_file_is_downloaded_only_within_scope(client, agent_a, agent_b, customer_a, make_ticket):
    ticket = make_ticket(customer=customer_a)
    _login(client, agent_a)
    client.post(
        reverse("service:ticket_attachment_upload", args=[ticket.pk]), {"file": SimpleUploadedFile("r.pdf", PDF)}
    )
    row = ticket.attachments.get()
    url = reverse("service:ticket_attachment_download", args=[ticket.pk, row.pk])
    assert b"".join(client.get(url).streaming_content) == PDF
    _login(client, agent_b)
    assert client.get(url).status_code == 404


def test_category_pages_are_for_administrators(client, admin, manager_a, agent_a, technical):
    _login(client, agent_a)
    assert client.get(reverse("service:ticket_categories")).status_code == 403
    assert client.get(reverse("service:ticket_category_create")).status_code == 403
    _login(client, manager_a)
    assert client.get(reverse("service:ticket_categories")).status_code == 200
    assert client.post(reverse("service:ticket_category_create"), {"name": "x"}).status_code == 403
    _login(client, admin)
    answer = client.post(
        reverse("service:ticket_category_create"),
        {"name": "نصب", "parent": technical.pk, "is_active": "on", "template": '[{"key": "a", "label": "الف"}]'},
    )
    assert answer.status_code == 302
    child = TicketCategory.objects.get(name="نصب")
    assert child.path == f"{technical.path}{child.pk}/"
    bad = client.post(
        reverse("service:ticket_category_edit", args=[child.pk]), {"name": "نصب", "template": '[{"key": "A"}]'}
    )
    assert bad.status_code == 422
    assert bad.context["form"].errors["template"]


def test_the_customer_tickets_include_lists_visible_tickets(rf, agent_a, agent_b, customer_a, make_ticket):
    from django.template import Context, Template

    ticket = make_ticket(customer=customer_a, subject="آخرین تیکت")
    request = rf.get("/")
    template = Template("{% load ticket_tags %}{% customer_tickets customer %}")
    request.user = agent_a
    assert "آخرین تیکت" in template.render(Context({"request": request, "customer": customer_a}))
    request.user = agent_b
    assert ticket.subject not in template.render(Context({"request": request, "customer": customer_a}))


def test_the_form_and_edit_pages_render_and_edit_saves(page_a, customer_a, make_ticket, serial_category):
    assert page_a.get(reverse("service:ticket_create") + f"?customer={customer_a.pk}").status_code == 200
    assert page_a.get(reverse("service:ticket_create")).status_code == 200
    found = page_a.get(reverse("service:ticket_customer_search") + "?q=" + customer_a.display_name[:3])
    assert reverse("service:ticket_create") + f"?customer={customer_a.pk}" in found.content.decode()
    ticket = make_ticket(customer=customer_a)
    url = reverse("service:ticket_edit", args=[ticket.pk])
    assert page_a.get(url).status_code == 200
    answer = page_a.post(
        url,
        {"version": 1, "kind": "question", "subject": "موضوع تازه", "category": serial_category.pk, "f_serial": "S2"},
    )
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.kind, ticket.fields) == ("موضوع تازه", "question", {"serial": "S2"})


def test_the_queue_filters_by_mine_and_category(page_a, agent_a, customer_a, make_ticket, installation):
    mine = make_ticket(customer=customer_a, subject="مال من", assignee=agent_a)
    other = make_ticket(customer=customer_a, subject="نصب آنتن", category=installation)
    text = page_a.get(reverse("service:queue") + "?assignee=mine").content.decode()
    assert mine.subject in text and other.subject not in text
    text = page_a.get(reverse("service:queue") + f"?category={installation.parent_id}&status=all").content.decode()
    assert other.subject in text and mine.subject not in text
