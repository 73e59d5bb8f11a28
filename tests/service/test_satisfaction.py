"""Satisfaction (CSAT): the question on resolve, the customer's answer by link, the follow-up a low score makes,
and the results per agent, team and category."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from factories import UserFactory
from peyvand.accounts.models import Notification, Role
from peyvand.sales.models import Activity, ActivityKind
from peyvand.service import notify
from peyvand.service.models import Ticket, TicketEvent, TicketSatisfaction, TicketStatus
from peyvand.service.satisfaction import satisfaction_answer, satisfaction_request
from peyvand.service.satisfaction_selectors import satisfaction_by, satisfaction_overall
from peyvand.service.services.settings import service_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The satisfaction questions sent, as (ticket, template, extra)."""
    calls = []
    monkeypatch.setattr(notify, "notify_customer", lambda **kw: calls.append(kw))
    return calls


@pytest.fixture
def resolved(make_ticket, customer_a, agent_a, technical):
    """resolved(**fields): a resolved ticket of team A, handled by agent A, asked for satisfaction."""

    def make(**fields):
        fields.setdefault("assignee", agent_a)
        fields.setdefault("category", technical)
        ticket = make_ticket(customer=customer_a, status=TicketStatus.RESOLVED, **fields)
        return ticket, satisfaction_request(ticket)

    return make


def test_resolving_asks_by_link(resolved, sent, agent_a, team_a, technical, settings):
    settings.PEYVAND_SITE_URL = "https://crm.example.ir"
    ticket, row = resolved()
    assert row.token and len(row.token) >= 40
    assert (row.agent, row.team, row.category) == (agent_a, team_a, technical)
    assert row.score is None
    assert sent == [
        {
            "ticket": ticket,
            "template": "ticket_satisfaction",
            "extra": {"link": f"https://crm.example.ir/service/feedback/{row.token}/"},
        }
    ]
    assert TicketEvent.objects.filter(ticket=ticket, kind="satisfaction").exists()


def test_the_real_notice_goes_out_without_error(resolved):
    _ticket, row = resolved()
    assert TicketSatisfaction.objects.filter(pk=row.pk).exists()


def test_the_customer_answers_by_link_without_logging_in(resolved, sent, client):
    ticket, row = resolved()
    page = client.get(f"/service/feedback/{row.token}/")
    assert page.status_code == 200
    assert ticket.subject in page.content.decode()
    response = client.post(f"/service/feedback/{row.token}/", {"score": "5", "comment": "عالی بود"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.score, row.comment) == (5, "عالی بود")
    assert row.answered_at is not None
    assert row.follow_up is None


def test_answering_again_changes_the_answer(resolved, sent, client):
    _ticket, row = resolved()
    client.post(f"/service/feedback/{row.token}/", {"score": "3"})
    client.post(f"/service/feedback/{row.token}/", {"score": "4", "comment": "بهتر شد"})
    row.refresh_from_db()
    assert (row.score, row.comment) == (4, "بهتر شد")


def test_the_link_closes_after_seven_days(resolved, sent, client):
    _ticket, row = resolved()
    TicketSatisfaction.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=8))
    response = client.post(f"/service/feedback/{row.token}/", {"score": "5"})
    assert response.status_code == 422  # refused; the page says the question is closed, with no form
    assert 'name="score"' not in response.content.decode()
    row.refresh_from_db()
    assert row.score is None
    with pytest.raises(ValidationError):
        satisfaction_answer(token=row.token, score=5)


def test_an_unknown_token_is_404(client, db):
    assert client.get("/service/feedback/not-a-real-token/").status_code == 404
    assert client.post("/service/feedback/not-a-real-token/", {"score": "5"}).status_code == 404


@pytest.mark.parametrize("score", ["0", "6", "", "five"])
def test_a_bad_score_is_refused(resolved, sent, client, score):
    _ticket, row = resolved()
    response = client.post(f"/service/feedback/{row.token}/", {"score": score}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    row.refresh_from_db()
    assert row.score is None


def test_a_low_score_makes_a_follow_up_task_for_the_teams_manager(resolved, sent, manager_a, customer_a):
    ticket, row = resolved()
    answered = satisfaction_answer(token=row.token, score=1, comment="کسی جواب نداد")
    task = answered.follow_up
    assert task is not None
    assert task.kind == ActivityKind.TASK
    assert task.assigned_to == manager_a
    assert task.customer == customer_a
    assert (task.related_type, task.related_id) == (ContentType.objects.get_for_model(Ticket), str(ticket.pk))
    assert "کسی جواب نداد" in task.notes
    assert task.due_at > timezone.now()
    assert Notification.objects.filter(user=manager_a, kind="satisfaction_low").exists()
    event = TicketEvent.objects.filter(ticket=ticket, kind="satisfaction", data__score=1).get()
    assert event.data["follow_up"] == task.pk
    # Answering low again does not make a second task.
    satisfaction_answer(token=row.token, score=2)
    assert Activity.objects.filter(related_id=str(ticket.pk)).count() == 1


def test_the_follow_up_is_due_at_the_end_of_the_next_working_day(resolved, sent, manager_a):
    _ticket, row = resolved()
    # A Wednesday afternoon in Tehran: Thursday is a half day by default, so due at its noon.
    wednesday = timezone.make_aware(timezone.datetime(2026, 11, 25, 15, 0))
    TicketSatisfaction.objects.filter(pk=row.pk).update(created_at=wednesday)
    answered = satisfaction_answer(token=row.token, score=1, now=wednesday)
    due = timezone.localtime(answered.follow_up.due_at)
    assert (due.date().isoformat(), due.hour) == ("2026-11-26", 12)


def test_the_low_score_threshold_is_the_desks_setting(resolved, sent):
    settings_row = service_settings()
    settings_row.low_satisfaction = 3
    settings_row.save()
    _ticket, row = resolved()
    assert satisfaction_answer(token=row.token, score=3).follow_up is not None
    _ticket, other = resolved()
    assert satisfaction_answer(token=other.token, score=4).follow_up is None


def test_without_a_manager_the_agent_follows_up(make_ticket, sent, team_b, agent_b, customer_b):
    ticket = make_ticket(customer=customer_b, assignee=agent_b, status=TicketStatus.RESOLVED)
    row = satisfaction_request(ticket)
    assert satisfaction_answer(token=row.token, score=1).follow_up.assigned_to == agent_b


def test_resolving_again_asks_again(resolved, sent, agent_a_sub):
    ticket, row = resolved()
    old_token = row.token
    satisfaction_answer(token=row.token, score=2)
    ticket.assignee = agent_a_sub
    again = satisfaction_request(ticket)
    assert again.pk == row.pk
    assert again.token != old_token
    assert (again.score, again.comment, again.answered_at, again.follow_up) == (None, "", None, None)
    assert again.agent == agent_a_sub
    assert TicketSatisfaction.objects.filter(token=old_token).count() == 0


# --- results ---------------------------------------------------------------------------------------------


@pytest.fixture
def answered(resolved, sent, agent_a, team_a, make_ticket, customer_b, agent_b):
    """Three answers for agent A (5, 4, 1) and one for agent B of team B (2)."""
    for score in (5, 4, 1):
        _t, row = resolved()
        satisfaction_answer(token=row.token, score=score)
    ticket = make_ticket(customer=customer_b, assignee=agent_b, status=TicketStatus.RESOLVED)
    satisfaction_answer(token=satisfaction_request(ticket).token, score=2)


def test_results_per_agent_and_team(answered, admin, agent_a, agent_b, team_a, team_b):
    by_agent = {row.key: (row.count, row.average, row.low) for row in satisfaction_by(user=admin, group="agent")}
    assert by_agent == {agent_a.pk: (3, 3.33, 1), agent_b.pk: (1, 2.0, 1)}
    by_team = {row.key: row.count for row in satisfaction_by(user=admin, group="team")}
    assert by_team == {team_a.pk: 3, team_b.pk: 1}
    overall = satisfaction_overall(user=admin)
    assert (overall["count"], overall["asked"], overall["csat"], overall["low"]) == (4, 4, 50, 2)


def test_results_keep_to_what_the_reader_may_see(answered, manager_a, agent_a):
    assert [row.key for row in satisfaction_by(user=manager_a, group="agent")] == [agent_a.pk]


def test_results_per_category(answered, admin, technical):
    rows = satisfaction_by(user=admin, group="category")
    assert {row.key: row.count for row in rows} == {technical.pk: 3, None: 1}


def test_the_results_page_is_for_managers(answered, client, manager_a, agent_a):
    client.force_login(agent_a)
    assert client.get("/service/satisfaction/").status_code == 403
    client.force_login(manager_a)
    response = client.get("/service/satisfaction/")
    assert response.status_code == 200
    assert response.context["by_agent"][0].key == agent_a.pk


def test_the_ticket_page_card_shows_the_answer(resolved, sent, manager_a):
    from django.template.loader import render_to_string

    ticket, row = resolved()
    assert "bi-hourglass" in render_to_string("service/_ticket_satisfaction.html", {"ticket": ticket})
    answer = satisfaction_answer(token=row.token, score=1, comment="<script>x</script>")
    ticket = Ticket.objects.get(pk=ticket.pk)
    html = render_to_string("service/_ticket_satisfaction.html", {"ticket": ticket})
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert reverse("sales:activity_detail", args=[answer.follow_up_id]) in html
    unasked = Ticket.objects.exclude(pk=ticket.pk).first()
    assert unasked is None or render_to_string("service/_ticket_satisfaction.html", {"ticket": unasked}).strip() == ""


def test_another_teams_manager_is_not_chosen(resolved, sent, team_b):
    UserFactory(role=Role.MANAGER, team=team_b)
    _ticket, row = resolved()
    task = satisfaction_answer(token=row.token, score=1).follow_up
    assert task.assigned_to.team_id != team_b.pk


def test_one_resolution_is_asked_about_once(make_ticket, customer_a, sent):
    ticket = make_ticket(customer=customer_a, status=TicketStatus.RESOLVED, resolved_at=timezone.now())
    first = satisfaction_request(ticket)
    second = satisfaction_request(ticket)
    assert second.token == first.token
    assert len(sent) == 1
