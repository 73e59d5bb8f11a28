"""Activities through the API: planning against customers, deals and leads, the assignee and team rules,
reminder times, completion onto the customer's timeline, cancellation, filters, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from factories import CustomerFactory
from peyvand.accounts.models import Notification
from peyvand.customers.models import Interaction
from peyvand.sales.models import Activity, Lead

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def later(**delta) -> dt.datetime:
    return (timezone.now() + dt.timedelta(**delta)).replace(microsecond=0)


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


def plan(client, **fields):
    data = {"subject": "تماس پیگیری", "due_at": iso(later(days=1)), **fields}
    response = post(client, "/api/v1/activities", data)
    assert response.status_code == 201, response.content
    return response.json()


# --- planning ---------------------------------------------------------------------------------------------


def test_it_plans_a_call_for_a_customer_with_the_default_reminder(api_client, agent_a, customer_a, settings):
    settings.PEYVAND_REMINDER_MINUTES = 30
    due = later(days=2)
    body = plan(api_client(agent_a), kind="call", customer_id=customer_a.pk, due_at=iso(due), duration_minutes=20)
    assert body["kind"] == "call"
    assert body["status"] == "planned"
    assert body["customer_id"] == customer_a.pk
    assert body["assigned_to_id"] == agent_a.pk
    assert body["team_id"] == agent_a.team_id
    assert body["remind_minutes_before"] == 30
    assert dt.datetime.fromisoformat(body["remind_at"]) == due - dt.timedelta(minutes=30)
    assert body["reminded_at"] is None
    activity = Activity.objects.get(pk=body["id"])
    assert activity.created_by == agent_a
    # Planning is not yet an event on the timeline; doing it is.
    assert not Interaction.objects.exists()


def test_no_reminder_when_asked_for_none(api_client, agent_a):
    body = plan(api_client(agent_a), remind_minutes_before=None)
    assert body["remind_minutes_before"] is None
    assert body["remind_at"] is None


def test_a_deal_brings_its_customer(api_client, agent_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    body = plan(api_client(agent_a), kind="meeting", deal_id=deal.pk, location="دفتر مشتری")
    assert (body["deal_id"], body["customer_id"], body["deal_title"]) == (deal.pk, customer_a.pk, deal.title)


def test_a_deal_of_another_customer_is_refused(api_client, agent_a, customer_a, team_a, make_deal):
    other = CustomerFactory(team=team_a, owner=agent_a)
    deal = make_deal(customer=other)
    response = post(
        api_client(agent_a),
        "/api/v1/activities",
        {"subject": "x", "due_at": iso(later(days=1)), "customer_id": customer_a.pk, "deal_id": deal.pk},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"deal_id"}
    assert not Activity.objects.exists()


def test_bad_input_is_reported_per_field_and_nothing_is_written(api_client, agent_a):
    response = post(
        api_client(agent_a),
        "/api/v1/activities",
        {
            "subject": "  ",
            "kind": "call",
            "due_at": iso(later(days=1)),
            "duration_minutes": 0,
            "remind_minutes_before": 10**6,
            "assigned_to_id": 999999,
        },
    )
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"subject", "duration_minutes", "remind_minutes_before", "assigned_to_id"}
    assert not Activity.objects.exists()


def test_unknown_fields_and_a_missing_due_time_are_refused(api_client, agent_a):
    client = api_client(agent_a)
    response = post(client, "/api/v1/activities", {"subject": "x", "due_at": iso(later(hours=1)), "colour": "red"})
    assert response.status_code == 422
    assert "colour" in response.json()["error"]["fields"]
    response = post(client, "/api/v1/activities", {"subject": "x"})
    assert response.status_code == 422
    assert "due_at" in response.json()["error"]["fields"]


def test_an_agent_assigns_to_a_team_mate_who_is_told(api_client, agent_a, manager_a):
    body = plan(api_client(agent_a), assigned_to_id=manager_a.pk)
    assert body["assigned_to_id"] == manager_a.pk
    notice = Notification.objects.get(user=manager_a)
    assert notice.kind == "activity_assigned"
    assert notice.url == f"/sales/activities/{body['id']}/"
    # Planning one's own activity tells nobody.
    plan(api_client(agent_a))
    assert Notification.objects.count() == 1


def test_an_agent_cannot_assign_to_another_team(api_client, agent_a, agent_b, team_b):
    client = api_client(agent_a)
    response = post(
        client, "/api/v1/activities", {"subject": "x", "due_at": iso(later(days=1)), "assigned_to_id": agent_b.pk}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"assigned_to_id"}
    response = post(client, "/api/v1/activities", {"subject": "x", "due_at": iso(later(days=1)), "team_id": team_b.pk})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"team_id"}
    assert not Activity.objects.exists()


def test_a_manager_assigns_to_a_sub_team_member_on_their_team(api_client, manager_a, agent_a_sub):
    body = plan(api_client(manager_a), assigned_to_id=agent_a_sub.pk)
    assert (body["assigned_to_id"], body["team_id"]) == (agent_a_sub.pk, agent_a_sub.team_id)


def test_a_lead_activity_needs_a_visible_lead(api_client, agent_a, agent_b, team_a):
    lead = Lead.objects.create(first_name="رضا", owner=agent_a, team=team_a)
    body = plan(api_client(agent_a), lead_id=lead.pk)
    assert (body["lead_id"], body["customer_id"]) == (lead.pk, None)
    response = post(
        api_client(agent_b), "/api/v1/activities", {"subject": "x", "due_at": iso(later(days=1)), "lead_id": lead.pk}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"lead_id"}


# --- permissions ------------------------------------------------------------------------------------------


def test_an_agent_of_another_team_cannot_see_change_or_complete_an_activity(api_client, agent_a, agent_b, customer_a):
    body = plan(api_client(agent_a), customer_id=customer_a.pk)
    url = f"/api/v1/activities/{body['id']}"
    client = api_client(agent_b)
    assert_not_found(client.get(url))
    assert_not_found(patch(client, url, {"subject": "دزدیده"}))
    assert_not_found(post(client, url + "/complete", {"outcome": "x"}))
    assert_not_found(post(client, url + "/cancel", {}))
    assert client.get("/api/v1/activities").json()["items"] == []
    activity = Activity.objects.get(pk=body["id"])
    assert (activity.subject, activity.status) == ("تماس پیگیری", "planned")
    assert not Interaction.objects.exists()


def test_an_agent_cannot_plan_against_another_teams_customer_or_deal(api_client, agent_b, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    client = api_client(agent_b)
    for field, value in (("customer_id", customer_a.pk), ("deal_id", deal.pk)):
        response = post(client, "/api/v1/activities", {"subject": "x", "due_at": iso(later(days=1)), field: value})
        assert response.status_code == 422, response.content
        assert set(response.json()["error"]["fields"]) == {field}
    assert not Activity.objects.exists()


def test_team_mates_and_managers_see_an_activity_other_teams_do_not(
    api_client, agent_a, manager_a, agent_a_sub, agent_b, admin
):
    own = plan(api_client(agent_a))["id"]
    below = plan(api_client(agent_a_sub))["id"]
    elsewhere = plan(api_client(agent_b))["id"]

    def listed(user):
        return {item["id"] for item in api_client(user).get("/api/v1/activities").json()["items"]}

    assert listed(agent_a) == {own}
    assert listed(manager_a) == {own, below}
    assert listed(agent_b) == {elsewhere}
    assert listed(admin) == {own, below, elsewhere}


def test_anonymous_callers_are_refused(api_client):
    assert api_client(None).get("/api/v1/activities").status_code == 401


# --- changing ---------------------------------------------------------------------------------------------


def test_a_new_due_time_moves_the_reminder_and_owes_it_again(api_client, agent_a):
    client = api_client(agent_a)
    body = plan(client, remind_minutes_before=60)
    Activity.objects.filter(pk=body["id"]).update(reminded_at=timezone.now())
    new_due = later(days=5)
    response = patch(client, f"/api/v1/activities/{body['id']}", {"due_at": iso(new_due)})
    assert response.status_code == 200, response.content
    changed = response.json()
    assert dt.datetime.fromisoformat(changed["remind_at"]) == new_due - dt.timedelta(minutes=60)
    assert changed["reminded_at"] is None
    # A change that leaves the reminder's time alone keeps it as sent.
    Activity.objects.filter(pk=body["id"]).update(reminded_at=timezone.now())
    response = patch(client, f"/api/v1/activities/{body['id']}", {"subject": "جلسه حضوری"})
    assert response.json()["reminded_at"] is not None
    assert response.json()["subject"] == "جلسه حضوری"


def test_reassigning_moves_it_to_the_new_assignees_team(api_client, manager_a, agent_a_sub, agent_a):
    client = api_client(manager_a)
    body = plan(client)
    response = patch(client, f"/api/v1/activities/{body['id']}", {"assigned_to_id": agent_a_sub.pk})
    assert response.status_code == 200, response.content
    assert (response.json()["assigned_to_id"], response.json()["team_id"]) == (agent_a_sub.pk, agent_a_sub.team_id)
    assert Notification.objects.filter(user=agent_a_sub, kind="activity_assigned").count() == 1


def test_a_done_activity_cannot_be_changed(api_client, agent_a):
    client = api_client(agent_a)
    body = plan(client)
    assert post(client, f"/api/v1/activities/{body['id']}/complete", {}).status_code == 200
    response = patch(client, f"/api/v1/activities/{body['id']}", {"subject": "دیگر"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"status"}


# --- completing and cancelling ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "channel", "direction"),
    [("call", "call", "out"), ("meeting", "meeting", "out"), ("task", "note", "internal")],
)
def test_completing_writes_the_activity_to_the_customers_timeline(
    api_client, agent_a, customer_a, kind, channel, direction
):
    client = api_client(agent_a)
    body = plan(client, kind=kind, customer_id=customer_a.pk, duration_minutes=25)
    done_at = later(minutes=-10)
    response = post(
        client,
        f"/api/v1/activities/{body['id']}/complete",
        {"outcome": "قرار شد پیش‌فاکتور بفرستیم", "completed_at": iso(done_at)},
    )
    assert response.status_code == 200, response.content
    done = response.json()
    assert done["status"] == "done"
    assert dt.datetime.fromisoformat(done["completed_at"]) == done_at
    entry = Interaction.objects.get(customer=customer_a)
    assert done["interaction_id"] == entry.pk
    assert (entry.channel, entry.direction) == (channel, direction)
    assert entry.subject == "تماس پیگیری"
    assert entry.body == "قرار شد پیش‌فاکتور بفرستیم"
    assert entry.duration_seconds == 25 * 60
    assert entry.occurred_at == done_at
    assert entry.related_id == str(body["id"])
    assert entry.by == agent_a
    customer_a.refresh_from_db()
    assert customer_a.last_interaction_at == done_at


def test_completing_twice_is_refused_and_writes_one_timeline_entry(api_client, agent_a, customer_a):
    client = api_client(agent_a)
    body = plan(client, customer_id=customer_a.pk)
    assert post(client, f"/api/v1/activities/{body['id']}/complete", {}).status_code == 200
    response = post(client, f"/api/v1/activities/{body['id']}/complete", {})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"status"}
    assert Interaction.objects.count() == 1


def test_it_cannot_be_done_in_the_future(api_client, agent_a):
    client = api_client(agent_a)
    body = plan(client)
    response = post(client, f"/api/v1/activities/{body['id']}/complete", {"completed_at": iso(later(days=1))})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"completed_at"}
    assert Activity.objects.get(pk=body["id"]).status == "planned"


def test_a_lead_activity_is_done_without_a_timeline_entry(api_client, agent_a, team_a):
    lead = Lead.objects.create(first_name="رضا", owner=agent_a, team=team_a)
    client = api_client(agent_a)
    body = plan(client, lead_id=lead.pk)
    response = post(client, f"/api/v1/activities/{body['id']}/complete", {"outcome": "علاقه‌مند است"})
    assert response.status_code == 200
    assert response.json()["interaction_id"] is None
    assert not Interaction.objects.exists()


def test_a_task_of_ones_own_is_done_without_a_timeline_entry(api_client, agent_a):
    client = api_client(agent_a)
    body = plan(client, subject="گزارش هفتگی")
    assert post(client, f"/api/v1/activities/{body['id']}/complete", {}).json()["status"] == "done"
    assert not Interaction.objects.exists()


def test_a_team_mate_may_complete_it_for_the_assignee(api_client, agent_a, manager_a, customer_a):
    body = plan(api_client(agent_a), customer_id=customer_a.pk)
    response = post(api_client(manager_a), f"/api/v1/activities/{body['id']}/complete", {})
    assert response.status_code == 200
    assert Interaction.objects.get().by == manager_a


def test_cancelling_takes_it_off_and_keeps_the_reason(api_client, agent_a, customer_a):
    client = api_client(agent_a)
    body = plan(client, customer_id=customer_a.pk)
    response = post(client, f"/api/v1/activities/{body['id']}/cancel", {"reason": "مشتری جلسه را لغو کرد"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("cancelled", "مشتری جلسه را لغو کرد")
    assert post(client, f"/api/v1/activities/{body['id']}/complete", {}).status_code == 422
    assert not Interaction.objects.exists()


# --- lists ------------------------------------------------------------------------------------------------


def test_the_list_filters_by_time_person_customer_deal_and_status(
    api_client, manager_a, agent_a, customer_a, make_deal
):
    client = api_client(manager_a)
    deal = make_deal(customer=customer_a)
    soon = plan(client, due_at=iso(later(hours=2)), customer_id=customer_a.pk)["id"]
    far = plan(client, due_at=iso(later(days=20)), assigned_to_id=agent_a.pk, deal_id=deal.pk)["id"]
    done = plan(client, due_at=iso(later(days=3)))["id"]
    post(client, f"/api/v1/activities/{done}/complete", {})

    def ids(**query):
        response = client.get("/api/v1/activities", query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [soon, done, far]
    assert ids(to=iso(later(days=10))) == [soon, done]
    assert ids(**{"from": iso(later(days=10))}) == [far]
    assert ids(assigned_to=agent_a.pk) == [far]
    assert ids(customer=customer_a.pk) == [soon, far]
    assert ids(deal=deal.pk) == [far]
    assert ids(status="done") == [done]
    assert ids(status="planned", limit=1) == [soon]


def test_the_list_pages_by_cursor(api_client, agent_a):
    client = api_client(agent_a)
    made = [plan(client, due_at=iso(later(days=n + 1)))["id"] for n in range(3)]
    first = client.get("/api/v1/activities", {"limit": 2}).json()
    second = client.get("/api/v1/activities", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]] == made
    assert second["next_cursor"] is None
    assert client.get("/api/v1/activities", {"cursor": "garbage"}).status_code == 422


def test_a_far_off_due_time_is_a_422_not_a_server_error(api_client, agent_a):
    response = api_client(agent_a).post(
        "/api/v1/activities", {"due_at": "0001-01-01T00:00:00.0Z", "subject": "x"}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert "due_at" in response.json()["error"]["fields"]
