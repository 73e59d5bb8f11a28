"""The deals API as a client uses it: create, read, list, change with the version read, move through the
pipeline (won, lost, reopened), name the decision-makers, and the refusal of bad input (422 naming the field)."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from factories import CustomerFactory, OrganizationFactory
from peyvand.customers.models import Interaction
from peyvand.sales.models import Deal, DealContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


def post(client, url, data, **extra):
    return client.post(url, data, content_type="application/json", **extra)


def patch(client, url, data, **extra):
    return client.patch(url, data, content_type="application/json", **extra)


def error_fields(response, status=422, code="invalid"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error["fields"]


def deal_events(deal_id):
    """The timeline entries written for a deal, oldest first."""
    deal_type = ContentType.objects.get_for_model(Deal)
    return list(Interaction.objects.filter(related_type=deal_type, related_id=str(deal_id)).order_by("id"))


# --- create and read ------------------------------------------------------------------------------------


def test_agent_creates_a_deal_in_the_default_pipelines_first_stage(client_a, agent_a, team_a, customer_a, stages):
    response = post(
        client_a,
        "/api/v1/deals",
        {
            "title": "  فروش ۲۰ دستگاه سرور ",
            "customer_id": customer_a.pk,
            "amount": 12_500_000_000,
            "expected_close_date": "1405/10/15",
            "next_step": "ارسال پیش‌فاکتور",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "فروش ۲۰ دستگاه سرور"
    assert body["amount"] == 12_500_000_000
    assert isinstance(body["amount"], int)
    assert body["currency"] == "IRR"
    assert body["stage_id"] == stages["introduction"].pk
    assert body["status"] == "open"
    assert body["expected_close_date"] == "2027-01-05"
    assert (body["owner_id"], body["team_id"]) == (agent_a.pk, team_a.pk)
    assert body["customer_name"] == customer_a.display_name
    assert body["version"] == 1
    assert body["closed_at"] is None
    assert body["contacts"] == []


def test_creating_a_deal_writes_it_on_the_customers_timeline(client_a, customer_a):
    deal = post(client_a, "/api/v1/deals", {"title": "قرارداد پشتیبانی", "customer_id": customer_a.pk}).json()
    [event] = deal_events(deal["id"])
    assert event.customer_id == customer_a.pk
    assert (event.channel, event.direction) == ("system", "internal")
    assert "قرارداد پشتیبانی" in event.subject
    timeline = client_a.get(f"/api/v1/customers/{customer_a.pk}/timeline").json()
    assert timeline[0]["interaction"]["related_type"] == "sales.deal"
    assert timeline[0]["interaction"]["related_id"] == str(deal["id"])


def test_a_deal_can_start_in_a_chosen_open_stage(client_a, customer_a, stages):
    body = post(
        client_a,
        "/api/v1/deals",
        {"title": "تمدید", "customer_id": customer_a.pk, "stage_id": stages["negotiation"].pk},
    ).json()
    assert body["stage_id"] == stages["negotiation"].pk


def test_a_new_deal_cannot_start_won_or_lost(client_a, customer_a, stages):
    for code in ("won", "lost"):
        response = post(
            client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "stage_id": stages[code].pk}
        )
        assert set(error_fields(response)) == {"stage_id"}
    assert not Deal.objects.exists()


def test_get_returns_the_whole_deal(client_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a, amount=5000)
    body = client_a.get(f"/api/v1/deals/{deal.pk}").json()
    assert body["id"] == deal.pk
    assert {"lost_reason", "lost_to_id", "contacts", "version", "next_step_due_at", "pipeline_id"} <= set(body)


def test_unknown_deal_is_404_in_the_error_shape(client_a):
    assert set(error_fields(client_a.get("/api/v1/deals/987654"), 404, "not_found")) == set()


# --- list ------------------------------------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_list_filters_by_pipeline_stage_owner_customer_status_and_close_date(
    api_client, manager_a, agent_a, agent_a_sub, customer_a, team_a_sub, make_deal, other_pipeline
):
    sub_customer = CustomerFactory(team=team_a_sub, owner=agent_a_sub)
    soon = make_deal(customer=customer_a, expected_close_date=dt.date(2026, 12, 1))
    later = make_deal(customer=customer_a, stage="contract", expected_close_date=dt.date(2027, 3, 1))
    won = make_deal(customer=sub_customer, stage="won", closed_at=timezone.now())
    lost = make_deal(customer=sub_customer, stage="lost", closed_at=timezone.now(), lost_reason="قیمت")
    project = Deal.objects.create(
        title="پروژه",
        customer=customer_a,
        pipeline=other_pipeline,
        stage=other_pipeline.stages.get(code="start"),
        owner=agent_a,
        team=customer_a.team,
    )
    client = api_client(manager_a)
    everything = {soon.pk, later.pk, won.pk, lost.pk, project.pk}
    assert set(_ids(client.get("/api/v1/deals"))) == everything
    assert set(_ids(client.get("/api/v1/deals", {"pipeline_id": other_pipeline.pk}))) == {project.pk}
    assert _ids(client.get("/api/v1/deals", {"stage_id": later.stage_id})) == [later.pk]
    assert set(_ids(client.get("/api/v1/deals", {"owner_id": agent_a_sub.pk}))) == {won.pk, lost.pk}
    assert set(_ids(client.get("/api/v1/deals", {"customer_id": sub_customer.pk}))) == {won.pk, lost.pk}
    assert set(_ids(client.get("/api/v1/deals", {"status": "open"}))) == {soon.pk, later.pk, project.pk}
    assert _ids(client.get("/api/v1/deals", {"status": "won"})) == [won.pk]
    assert _ids(client.get("/api/v1/deals", {"status": "lost"})) == [lost.pk]
    in_range = {"expected_close_from": "2026-12-01", "expected_close_to": "2027-02-28"}
    assert _ids(client.get("/api/v1/deals", in_range)) == [soon.pk]
    assert _ids(client.get("/api/v1/deals", {"expected_close_from": "2027-03-01"})) == [later.pk]


def test_list_pages_with_a_cursor_in_the_order_asked(client_a, customer_a, make_deal):
    deals = [make_deal(customer=customer_a, amount=amount) for amount in (300, 100, 500, 200, 400)]
    first = client_a.get("/api/v1/deals", {"limit": 2}).json()
    assert [d["id"] for d in first["items"]] == [deals[4].pk, deals[3].pk]
    second = client_a.get("/api/v1/deals", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["id"] for d in second["items"]] == [deals[2].pk, deals[1].pk]
    last = client_a.get("/api/v1/deals", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert ([d["id"] for d in last["items"]], last["next_cursor"]) == ([deals[0].pk], None)
    by_amount = _ids(client_a.get("/api/v1/deals", {"order": "-amount"}))
    assert by_amount == [deals[i].pk for i in (2, 4, 0, 3, 1)]


def test_a_forged_cursor_is_422(client_a):
    assert set(error_fields(client_a.get("/api/v1/deals", {"cursor": "bm90LWEtY3Vyc29y"}))) == {"cursor"}


# --- change with the version read -----------------------------------------------------------------------


def test_patch_changes_the_fields_sent_and_moves_the_version_on(client_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a, amount=1000, next_step="تماس")
    due = "2026-12-10T09:30:00+03:30"
    response = patch(
        client_a, f"/api/v1/deals/{deal.pk}", {"version": 1, "amount": 2500, "next_step_due_at": due, "title": "نو"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["amount"], body["title"], body["next_step"], body["version"]) == (2500, "نو", "تماس", 2)
    assert body["next_step_due_at"] == "2026-12-10T06:00:00Z"
    deal.refresh_from_db()
    assert (deal.amount, deal.version) == (2500, 2)


def test_a_new_next_step_due_time_owes_its_overdue_reminder_again(client_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a, next_step="تماس")
    reminded = timezone.now()
    Deal.objects.filter(pk=deal.pk).update(next_step_reminded_at=reminded)
    response = patch(client_a, f"/api/v1/deals/{deal.pk}", {"version": 1, "title": "نو"})
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert deal.next_step_reminded_at == reminded  # other changes leave the reminder as sent
    due = "2026-12-10T09:30:00+03:30"
    response = patch(client_a, f"/api/v1/deals/{deal.pk}", {"version": 2, "next_step_due_at": due})
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert deal.next_step_reminded_at is None


def test_two_clients_with_the_same_version_the_second_gets_409_and_nothing_is_overwritten(
    api_client, agent_a, manager_a, customer_a, make_deal
):
    deal = make_deal(customer=customer_a, amount=1000)
    first, second = api_client(agent_a), api_client(manager_a)
    version_first = first.get(f"/api/v1/deals/{deal.pk}").json()["version"]
    version_second = second.get(f"/api/v1/deals/{deal.pk}").json()["version"]
    assert version_first == version_second == 1

    ok = patch(first, f"/api/v1/deals/{deal.pk}", {"version": version_first, "amount": 2000, "next_step": "جلسه"})
    assert ok.status_code == 200, ok.content
    stale = patch(
        second,
        f"/api/v1/deals/{deal.pk}",
        {"version": version_second, "amount": 9999, "title": "بازنویسی"},
        headers={"Accept-Language": "en"},
    )
    fields = error_fields(stale, 409, "conflict")
    assert "version" in fields
    assert "2" in fields["version"][0]
    deal.refresh_from_db()
    assert (deal.amount, deal.next_step, deal.title, deal.version) == (2000, "جلسه", "فروش سرور", 2)


def test_a_stale_version_cannot_move_a_deal_either(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    assert patch(client_a, f"/api/v1/deals/{deal.pk}", {"version": 1, "amount": 10}).status_code == 200
    response = post(client_a, f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages["won"].pk, "version": 1})
    error_fields(response, 409, "conflict")
    deal.refresh_from_db()
    assert (deal.stage_id, deal.closed_at, deal.version) == (stages["introduction"].pk, None, 2)
    assert deal_events(deal.pk) == []


def test_patch_needs_the_version(client_a, customer_a, make_deal):
    deal = make_deal(customer=customer_a)
    assert set(error_fields(patch(client_a, f"/api/v1/deals/{deal.pk}", {"amount": 5}))) == {"version"}


def test_patch_cannot_change_the_customer_or_the_stage(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = patch(
        client_a, f"/api/v1/deals/{deal.pk}", {"version": 1, "customer_id": 1, "stage_id": stages["won"].pk}
    )
    assert set(error_fields(response)) == {"customer_id", "stage_id"}


# --- bad input ------------------------------------------------------------------------------------------


def test_a_negative_amount_is_refused_naming_the_field(client_a, customer_a, make_deal):
    response = post(client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "amount": -1})
    assert set(error_fields(response)) == {"amount"}
    deal = make_deal(customer=customer_a, amount=700)
    response = patch(client_a, f"/api/v1/deals/{deal.pk}", {"version": 1, "amount": -5})
    assert set(error_fields(response)) == {"amount"}
    deal.refresh_from_db()
    assert (deal.amount, deal.version) == (700, 1)


def test_an_amount_must_be_a_json_integer(client_a, customer_a):
    for amount in ("1000", 10.5, True):
        response = post(client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "amount": amount})
        assert set(error_fields(response)) == {"amount"}


def test_an_absurd_amount_is_refused(client_a, customer_a):
    response = post(client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "amount": 10**18})
    assert set(error_fields(response)) == {"amount"}


def test_title_and_customer_are_required(client_a):
    assert set(error_fields(post(client_a, "/api/v1/deals", {}))) == {"title", "customer_id"}
    assert set(error_fields(post(client_a, "/api/v1/deals", {"title": "   ", "customer_id": 1}))) >= {"title"}


def test_an_unknown_customer_is_refused_as_not_found(client_a, customer_b):
    unknown = post(client_a, "/api/v1/deals", {"title": "x", "customer_id": 987654}, headers={"Accept-Language": "en"})
    hidden = post(
        client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_b.pk}, headers={"Accept-Language": "en"}
    )
    # The same answer: whether another team's customer exists is not given away.
    assert error_fields(unknown) == error_fields(hidden) == {"customer_id": ["No such customer."]}
    assert not Deal.objects.exists()


def test_a_stage_of_another_pipeline_is_refused(client_a, customer_a, other_pipeline, make_deal):
    foreign_stage = other_pipeline.stages.get(code="start")
    response = post(
        client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "stage_id": foreign_stage.pk}
    )
    assert set(error_fields(response)) == {"stage_id"}
    deal = make_deal(customer=customer_a)
    response = post(client_a, f"/api/v1/deals/{deal.pk}/move", {"stage_id": foreign_stage.pk, "version": 1})
    assert set(error_fields(response)) == {"stage_id"}
    deal.refresh_from_db()
    assert (deal.stage.code, deal.version) == ("introduction", 1)


def test_a_bad_close_date_is_refused(client_a, customer_a):
    response = post(
        client_a, "/api/v1/deals", {"title": "x", "customer_id": customer_a.pk, "expected_close_date": "1405/13/01"}
    )
    assert set(error_fields(response)) == {"expected_close_date"}


# --- moving through the pipeline ------------------------------------------------------------------------


def _move(client, deal_id, stage, version, **extra):
    return post(client, f"/api/v1/deals/{deal_id}/move", {"stage_id": stage.pk, "version": version, **extra})


def test_moving_between_open_stages_writes_the_timeline(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = _move(client_a, deal.pk, stages["negotiation"], 1)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage_id"], body["status"], body["closed_at"], body["version"]) == (
        stages["negotiation"].pk,
        "open",
        None,
        2,
    )
    [event] = deal_events(deal.pk)
    assert stages["introduction"].name in event.subject
    assert stages["negotiation"].name in event.subject


def test_winning_stamps_the_close_time_and_writes_the_timeline(client_a, agent_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a, amount=3_000_000)
    before = timezone.now()
    body = _move(client_a, deal.pk, stages["won"], 1).json()
    assert body["status"] == "won"
    closed_at = dt.datetime.fromisoformat(body["closed_at"])
    assert before <= closed_at <= timezone.now()
    [event] = deal_events(deal.pk)
    assert event.by_id == agent_a.pk
    assert deal.title in event.subject
    customer_a.refresh_from_db()
    assert customer_a.last_interaction_at == event.occurred_at


def test_losing_needs_a_reason(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    assert set(error_fields(_move(client_a, deal.pk, stages["lost"], 1))) == {"lost_reason"}
    assert set(error_fields(_move(client_a, deal.pk, stages["lost"], 1, lost_reason="   "))) == {"lost_reason"}
    deal.refresh_from_db()
    assert (deal.closed_at, deal.version) == (None, 1)


def test_losing_records_the_reason_and_the_competitor_on_the_deal_and_the_timeline(
    client_a, customer_a, make_deal, stages, competitor
):
    deal = make_deal(customer=customer_a)
    body = _move(
        client_a, deal.pk, stages["lost"], 1, lost_reason="قیمت رقیب ۱۵٪ کمتر بود", lost_to_id=competitor.pk
    ).json()
    assert (body["status"], body["lost_reason"], body["lost_to_id"]) == (
        "lost",
        "قیمت رقیب ۱۵٪ کمتر بود",
        competitor.pk,
    )
    assert body["closed_at"] is not None
    [event] = deal_events(deal.pk)
    assert "قیمت رقیب ۱۵٪ کمتر بود" in event.body
    assert competitor.name in event.body


def test_an_unknown_competitor_is_refused(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    response = _move(client_a, deal.pk, stages["lost"], 1, lost_reason="قیمت", lost_to_id=987654)
    assert set(error_fields(response)) == {"lost_to_id"}


def test_a_reason_lost_only_goes_with_a_lost_stage(client_a, customer_a, make_deal, stages, competitor):
    deal = make_deal(customer=customer_a)
    response = _move(client_a, deal.pk, stages["won"], 1, lost_reason="؟", lost_to_id=competitor.pk)
    assert set(error_fields(response)) == {"lost_reason", "lost_to_id"}


def test_reopening_a_lost_deal_clears_its_close_time_and_loss(client_a, customer_a, make_deal, stages, competitor):
    deal = make_deal(customer=customer_a)
    _move(client_a, deal.pk, stages["lost"], 1, lost_reason="بودجه نداشتند", lost_to_id=competitor.pk)
    body = _move(client_a, deal.pk, stages["approval"], 2).json()
    assert (body["status"], body["closed_at"], body["lost_reason"], body["lost_to_id"], body["version"]) == (
        "open",
        None,
        "",
        None,
        3,
    )
    assert len(deal_events(deal.pk)) == 2


def test_moving_to_the_stage_it_is_in_changes_nothing(client_a, customer_a, make_deal, stages):
    deal = make_deal(customer=customer_a)
    body = _move(client_a, deal.pk, stages["introduction"], 1).json()
    assert body["version"] == 1
    assert deal_events(deal.pk) == []


# --- decision-makers ------------------------------------------------------------------------------------


def test_naming_decision_makers_and_changing_their_roles(client_a, team_a, customer_a, make_deal):
    org = OrganizationFactory(team=team_a)
    deal = make_deal(customer=org)
    person = CustomerFactory(team=team_a, organization=org)
    url = f"/api/v1/deals/{deal.pk}/contacts/{person.pk}"
    response = client_a.put(url, {"role": "technical_evaluator"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "contact_id": person.pk,
        "display_name": person.display_name,
        "role": "technical_evaluator",
    }
    client_a.put(url, {"role": "decision_maker"}, content_type="application/json")
    contacts = client_a.get(f"/api/v1/deals/{deal.pk}").json()["contacts"]
    assert contacts == [{"contact_id": person.pk, "display_name": person.display_name, "role": "decision_maker"}]
    assert client_a.delete(url).status_code == 204
    assert not DealContact.objects.exists()
    assert client_a.delete(url).status_code == 404


def test_a_deal_contact_is_a_person_the_caller_can_see(client_a, team_a, customer_a, customer_b, make_deal):
    deal = make_deal(customer=customer_a)
    org = OrganizationFactory(team=team_a)
    for contact in (org, customer_b):
        response = client_a.put(
            f"/api/v1/deals/{deal.pk}/contacts/{contact.pk}", {"role": "user"}, content_type="application/json"
        )
        assert set(error_fields(response)) == {"contact_id"}
    response = client_a.put(
        f"/api/v1/deals/{deal.pk}/contacts/{customer_a.pk}", {"role": "boss"}, content_type="application/json"
    )
    assert set(error_fields(response)) == {"role"}


# --- with the customers' own operations -------------------------------------------------------------------


def test_merging_two_customers_moves_their_deals_and_keeps_one_role_per_person(
    api_client, manager_a, team_a, make_deal
):
    from peyvand.customers import services as customer_services

    survivor = CustomerFactory(team=team_a, first_name="علی", last_name="کریمی")
    merged = CustomerFactory(team=team_a, first_name="علي", last_name="كريمي")
    own_deal = make_deal(customer=survivor)
    their_deal = make_deal(customer=merged)
    # Both records are contacts on one deal: after the merge the person is there once.
    DealContact.objects.create(deal=own_deal, contact=survivor, role="decision_maker")
    DealContact.objects.create(deal=own_deal, contact=merged, role="influencer")

    merge = customer_services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    client = api_client(manager_a)
    assert set(_ids(client.get("/api/v1/deals", {"customer_id": survivor.pk}))) == {own_deal.pk, their_deal.pk}
    assert [c["contact_id"] for c in client.get(f"/api/v1/deals/{own_deal.pk}").json()["contacts"]] == [survivor.pk]

    customer_services.customer_merge_undo(merge=merge, by=manager_a)
    assert _ids(client.get("/api/v1/deals", {"customer_id": merged.pk})) == [their_deal.pk]
