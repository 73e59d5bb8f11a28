"""Where a web form's results go: a ticket form's own team takes the tickets no routing rule and no category places
(a rule still outranks it), and a lead form's leads are nobody's making, placed by the form's team and owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from factories import TeamFactory, UserFactory
from peyvand.accounts.models import Role
from peyvand.comms.webforms.models import FormAction, FormSubmission, SubmissionStatus, WebForm
from peyvand.comms.webforms.services import form_create, form_token
from peyvand.sales.models import Lead
from peyvand.service.conditions import conditions_clean
from peyvand.service.models import RoutingRule, Ticket, TicketCategory
from peyvand.service.services.settings import service_settings

pytestmark = pytest.mark.django_db

TICKET_FIELDS = [
    {"key": "name", "label_fa": "نام", "type": "text", "maps_to": "first_name"},
    {"key": "mobile", "label_fa": "موبایل", "type": "phone", "maps_to": "phone", "required": True},
    {"key": "subject", "label_fa": "عنوان", "type": "text", "maps_to": "subject", "required": True},
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def branch(db):
    return TeamFactory(name="شعبهٔ اصفهان")


@pytest.fixture
def ticket_form(admin, branch):
    return form_create(
        by=admin,
        data={
            "name": "پشتیبانی اصفهان",
            "title_fa": "درخواست پشتیبانی",
            "fields": TICKET_FIELDS,
            "action": FormAction.TICKET,
            "ticket_team_id": branch.pk,
            "min_fill_seconds": 0,
        },
    )


def _send(form: WebForm, **answers) -> None:
    token = form_token(form=form, now=timezone.now() - timedelta(seconds=30))
    data = {"name": "رضا", "mobile": "09121112233", "subject": "سؤال", **answers, "token": token}
    assert Client().post(f"/comms/forms/f/{form.key}/", data).status_code == 200


def _rule(team, **conditions) -> RoutingRule:
    return RoutingRule.objects.create(name="rule", team=team, conditions=conditions_clean(conditions), position=1)


def test_the_forms_team_takes_a_ticket_no_rule_places(ticket_form, branch, team_a):
    # Even over the desk's default queue: the form's team is the nearer choice.
    desk = service_settings()
    desk.default_team = team_a
    desk.save()
    _send(ticket_form)
    ticket = Ticket.objects.get()
    assert ticket.team == branch
    assert FormSubmission.objects.get().ticket == ticket


def test_a_routing_rule_outranks_the_forms_team(ticket_form, team_b):
    _rule(team_b, channel=["form"])
    _send(ticket_form)
    ticket = Ticket.objects.get()
    assert ticket.team == team_b and ticket.routed_by is not None


def test_a_categorys_default_team_outranks_the_forms_team(ticket_form, admin, team_b):
    category = TicketCategory.objects.create(name="مالی", default_team=team_b)
    category.path = f"/{category.pk}/"
    category.save(update_fields=["path"])
    ticket_form.ticket_category = category
    ticket_form.save()
    _send(ticket_form)
    assert Ticket.objects.get().team == team_b


def test_without_a_team_for_tickets_the_desk_default_takes_it(admin, team_a):
    form = form_create(
        by=admin,
        data={"name": "بی‌تیم", "title_fa": "تماس", "fields": TICKET_FIELDS, "action": FormAction.TICKET,
              "min_fill_seconds": 0},
    )  # fmt: skip
    desk = service_settings()
    desk.default_team = team_a
    desk.save()
    _send(form)
    assert Ticket.objects.get().team == team_a


def test_an_administrator_sets_the_team_for_tickets_in_the_builder(ticket_form, admin, team_b):
    client = Client()
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/comms/forms/{ticket_form.pk}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="ticket_team_id"' in html and "team for tickets" in html.lower()
    data = {
        "name": ticket_form.name,
        "title_fa": ticket_form.title_fa,
        "action": "ticket",
        "ticket_team_id": str(team_b.pk),
        "rate_per_hour": "10",
        "min_fill_seconds": "0",
        "is_active": "on",
        **{
            f"field-{i}-{part}": str(spec.get(part, ""))
            for i, spec in enumerate(TICKET_FIELDS)
            for part in ("key", "label_fa", "type", "maps_to")
        },
        "field-1-required": "on",
        "field-2-required": "on",
    }
    assert client.post(f"/comms/forms/{ticket_form.pk}/edit/", data).status_code == 302
    ticket_form.refresh_from_db()
    assert ticket_form.ticket_team == team_b
    detail = client.get(f"/comms/forms/{ticket_form.pk}/").content.decode()
    assert f"tickets no rule places go to {team_b.name}" in detail
    # Choosing none clears it.
    assert client.post(f"/comms/forms/{ticket_form.pk}/edit/", {**data, "ticket_team_id": ""}).status_code == 302
    ticket_form.refresh_from_db()
    assert ticket_form.ticket_team is None


def test_the_api_sets_and_shows_the_team_for_tickets(api_client, admin, branch, team_b):
    client = api_client(admin)
    body = {"name": "API", "title_fa": "تماس", "fields": TICKET_FIELDS, "action": "ticket", "ticket_team_id": branch.pk}
    created = client.post("/api/v1/comms/forms", body, content_type="application/json")
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    assert created.json()["ticket_team_id"] == branch.pk
    url = f"/api/v1/comms/forms/{key}"
    changed = client.patch(url, {"ticket_team_id": team_b.pk}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["ticket_team_id"] == team_b.pk
    wrong = client.patch(url, {"ticket_team_id": 987654}, content_type="application/json")
    assert wrong.status_code == 422
    assert "ticket_team_id" in wrong.json()["error"]["fields"]
    assert WebForm.objects.get(key=key).ticket_team == team_b


def test_a_lead_forms_lead_is_nobodys_making_and_drops_an_owner_who_left(admin, team_a):
    gone = UserFactory(role=Role.AGENT, team=team_a)
    form = form_create(
        by=admin,
        data={
            "name": "نمایشگاه",
            "title_fa": "ثبت‌نام",
            "fields": [{"key": "name", "label_fa": "نام", "type": "text", "maps_to": "last_name", "required": True}],
            "action": FormAction.LEAD,
            "lead_team_id": team_a.pk,
            "lead_owner_id": gone.pk,
            "min_fill_seconds": 0,
        },
    )
    _send(form, name="آوا")
    first = Lead.objects.get()
    assert first.created_by_id is None
    assert (first.team_id, first.owner_id) == (team_a.pk, gone.pk)
    gone.is_active = False
    gone.save()
    _send(form, name="بهار")
    second = Lead.objects.exclude(pk=first.pk).get()
    assert (second.team_id, second.owner_id, second.created_by_id) == (team_a.pk, None, None)
    assert set(FormSubmission.objects.values_list("status", flat=True)) == {SubmissionStatus.ACCEPTED}
