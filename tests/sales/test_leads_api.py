"""The leads API as a client uses it: record and change leads, qualify them, see only one's own scope, and
convert a lead into a customer and a deal in one step that is written whole or not at all."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from factories import CustomerFactory, OrganizationFactory
from peyvand.customers.models import Customer, CustomerKind, Interaction
from peyvand.sales.models import Activity, Deal, Lead, LeadStatus
from peyvand.sales.services.leads import lead_convert

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(api_client, agent_a):
    return api_client(agent_a)


@pytest.fixture
def client_b(api_client, agent_b):
    return api_client(agent_b)


@pytest.fixture
def lead_a(agent_a, team_a):
    return Lead.objects.create(
        first_name="مریم",
        last_name="احمدی",
        company_name="شرکت آسمان",
        phone="+989121234567",
        email="maryam@aseman.example",
        city="تهران",
        source="exhibition",
        source_detail="الکامپ ۱۴۰۵",
        interest="۲۰ دستگاه سرور\nو پشتیبانی",
        notes="در غرفه صحبت شد",
        estimated_amount=5_000_000_000,
        owner=agent_a,
        team=team_a,
    )


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


# --- record and read --------------------------------------------------------------------------------------


def test_it_records_a_lead_with_the_phone_in_e164_and_source_api(client_a, agent_a, team_a):
    response = post(
        client_a,
        "/api/v1/leads",
        {"first_name": " علی ", "last_name": "رضایی", "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "email": "Ali@Example.COM"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+989121234567"
    assert body["email"] == "ali@example.com"
    assert body["first_name"] == "علی"
    assert body["source"] == "api"
    assert body["status"] == "new"
    assert (body["owner_id"], body["team_id"]) == (agent_a.pk, team_a.pk)
    assert Lead.objects.get(pk=body["id"]).created_by == agent_a


def test_it_keeps_the_source_the_client_gives(client_a):
    body = post(client_a, "/api/v1/leads", {"company_name": "شرکت نمونه", "source": "web_form"}).json()
    assert body["source"] == "web_form"


def test_a_lead_needs_a_name_company_phone_or_email(client_a):
    fields = error_fields(post(client_a, "/api/v1/leads", {"city": "تهران", "notes": "..."}))
    assert "__all__" in fields
    assert not Lead.objects.exists()


def test_bad_phone_email_and_amount_are_refused_per_field(client_a):
    fields = error_fields(
        post(
            client_a,
            "/api/v1/leads",
            {"first_name": "علی", "phone": "abc", "email": "not-an-address", "estimated_amount": -5},
        )
    )
    assert {"phone", "email", "estimated_amount"} <= set(fields)
    assert not Lead.objects.exists()


def test_an_amount_must_be_a_json_integer(client_a):
    fields = error_fields(post(client_a, "/api/v1/leads", {"first_name": "علی", "estimated_amount": "100"}))
    assert "estimated_amount" in fields


def test_an_agent_cannot_hand_a_lead_to_another_team(client_a, agent_b, team_b):
    fields = error_fields(post(client_a, "/api/v1/leads", {"first_name": "علی", "owner_id": agent_b.pk}))
    assert "owner_id" in fields
    fields = error_fields(post(client_a, "/api/v1/leads", {"first_name": "علی", "team_id": team_b.pk}))
    assert "team_id" in fields


def test_unknown_fields_are_refused(client_a):
    fields = error_fields(post(client_a, "/api/v1/leads", {"first_name": "علی", "status": "converted"}))
    assert list(fields) == ["status"]


# --- scope ------------------------------------------------------------------------------------------------


def test_another_teams_agent_cannot_see_change_or_convert_the_lead(client_b, lead_a):
    base = f"/api/v1/leads/{lead_a.pk}"
    assert client_b.get(base).status_code == 404
    assert patch(client_b, base, {"notes": "x"}).status_code == 404
    assert post(client_b, f"{base}/status", {"status": "qualified"}).status_code == 404
    assert post(client_b, f"{base}/convert", {}).status_code == 404
    assert client_b.get(f"{base}/matches").status_code == 404
    assert client_b.get("/api/v1/leads").json()["items"] == []
    lead_a.refresh_from_db()
    assert lead_a.status == LeadStatus.NEW
    assert not Customer.objects.exists()


def test_a_team_mate_and_the_manager_see_the_lead(api_client, lead_a, team_a):
    from factories import UserFactory
    from peyvand.accounts.models import Role

    mate = UserFactory(role=Role.AGENT, team=team_a)
    manager = UserFactory(role=Role.MANAGER, team=team_a)
    assert api_client(mate).get(f"/api/v1/leads/{lead_a.pk}").status_code == 200
    assert api_client(manager).get(f"/api/v1/leads/{lead_a.pk}").status_code == 200


def test_anonymous_callers_are_refused(api_client, lead_a):
    assert api_client(None).get("/api/v1/leads").status_code == 401


# --- list -------------------------------------------------------------------------------------------------


def test_the_list_filters_searches_and_pages(client_a, agent_a, team_a, lead_a):
    other = Lead.objects.create(
        company_name="صنایع البرز", phone="+989351112233", source="referral", owner=agent_a, team=team_a
    )
    Lead.objects.create(last_name="کریمی", status="qualified", source="referral", owner=agent_a, team=team_a)

    def ids(query):
        response = client_a.get("/api/v1/leads" + query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("?source=referral&status=new") == [other.pk]
    assert ids("?q=البرز") == [other.pk]
    assert ids("?q=09351112233") == [other.pk]
    assert ids("?q=0935111") == [other.pk]
    assert ids("?q=maryam@") == [lead_a.pk]
    assert ids("?q=مریم احمدی") == [lead_a.pk]
    assert len(ids("")) == 3
    today = timezone.localdate()
    assert len(ids(f"?created_from={today.isoformat()}&created_to={today.isoformat()}")) == 3
    assert ids(f"?created_to={(today - dt.timedelta(days=1)).isoformat()}") == []

    first = client_a.get("/api/v1/leads?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client_a.get(f"/api/v1/leads?limit=2&cursor={first['next_cursor']}").json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert client_a.get("/api/v1/leads?cursor=nonsense").status_code == 422


# --- change and qualify -----------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(client_a, lead_a):
    response = patch(client_a, f"/api/v1/leads/{lead_a.pk}", {"phone": "09351112233", "notes": "تماس گرفته شد"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+989351112233"
    assert body["notes"] == "تماس گرفته شد"
    assert body["company_name"] == "شرکت آسمان"


def test_patch_cannot_empty_every_way_to_know_the_lead(client_a, agent_a, team_a):
    lead = Lead.objects.create(phone="+989121234567", owner=agent_a, team=team_a)
    fields = error_fields(patch(client_a, f"/api/v1/leads/{lead.pk}", {"phone": ""}))
    assert "__all__" in fields


def test_status_moves_through_qualification(client_a, lead_a):
    url = f"/api/v1/leads/{lead_a.pk}/status"
    assert post(client_a, url, {"status": "contacted"}).json()["status"] == "contacted"
    assert post(client_a, url, {"status": "qualified"}).json()["status"] == "qualified"


def test_disqualifying_needs_a_reason_and_coming_back_clears_it(client_a, lead_a):
    url = f"/api/v1/leads/{lead_a.pk}/status"
    fields = error_fields(post(client_a, url, {"status": "disqualified"}))
    assert "reason" in fields
    body = post(client_a, url, {"status": "disqualified", "reason": "بودجه ندارد"}).json()
    assert (body["status"], body["disqualified_reason"]) == ("disqualified", "بودجه ندارد")
    body = post(client_a, url, {"status": "contacted"}).json()
    assert (body["status"], body["disqualified_reason"]) == ("contacted", "")


def test_converted_cannot_be_set_by_hand(client_a, lead_a):
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/status", {"status": "converted"}))
    assert "status" in fields


def test_a_converted_lead_no_longer_changes(client_a, lead_a, agent_a):
    lead_convert(lead=lead_a, by=agent_a)
    assert "status" in error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/status", {"status": "new"}))
    assert "status" in error_fields(patch(client_a, f"/api/v1/leads/{lead_a.pk}", {"notes": "x"}))


# --- conversion -------------------------------------------------------------------------------------------


def test_converting_makes_an_organisation_its_person_and_a_deal(client_a, lead_a, agent_a, team_a, stages):
    activity = Activity.objects.create(
        subject="تماس پیگیری", due_at=timezone.now(), lead=lead_a, assigned_to=agent_a, team=team_a
    )
    response = post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created_customer"] is True
    organisation = Customer.objects.get(pk=body["customer_id"])
    person = Customer.objects.get(pk=body["person_id"])
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (organisation.kind, organisation.name) == (CustomerKind.ORGANIZATION, "شرکت آسمان")
    assert (person.kind, person.first_name, person.last_name) == (CustomerKind.PERSON, "مریم", "احمدی")
    assert person.organization_id == organisation.pk
    assert [p.number for p in person.phones.all()] == ["+989121234567"]
    assert [e.email for e in person.emails.all()] == ["maryam@aseman.example"]
    assert (organisation.owner_id, organisation.team_id) == (agent_a.pk, team_a.pk)
    assert organisation.source == "exhibition"
    assert deal.customer_id == organisation.pk
    assert deal.title == "۲۰ دستگاه سرور"
    assert deal.amount == 5_000_000_000
    assert deal.stage == stages["introduction"]
    assert body["lead"]["status"] == "converted"
    assert body["lead"]["converted_customer_id"] == organisation.pk
    assert body["lead"]["converted_deal_id"] == deal.pk
    assert body["lead"]["converted_at"]

    lead_type = ContentType.objects.get_for_model(Lead)
    [history] = Interaction.objects.filter(related_type=lead_type, related_id=str(lead_a.pk))
    assert history.customer_id == organisation.pk
    assert "مریم احمدی" in history.subject
    assert "در غرفه صحبت شد" in history.body and "الکامپ" in history.body and "سرور" in history.body
    assert Interaction.objects.filter(customer=organisation, subject__contains=deal.title).exists()

    activity.refresh_from_db()
    assert (activity.customer_id, activity.deal_id, activity.lead_id) == (organisation.pk, deal.pk, lead_a.pk)


def test_a_lead_with_only_a_company_becomes_an_organisation(client_a, agent_a, team_a):
    lead = Lead.objects.create(company_name="صنایع البرز", phone="+982188776655", owner=agent_a, team=team_a)
    body = post(client_a, f"/api/v1/leads/{lead.pk}/convert", {"create_deal": False}).json()
    customer = Customer.objects.get(pk=body["customer_id"])
    assert customer.kind == CustomerKind.ORGANIZATION
    assert body["person_id"] is None and body["deal_id"] is None
    assert not Deal.objects.exists()
    assert [p.number for p in customer.phones.all()] == ["+982188776655"]


def test_a_lead_can_be_linked_to_an_existing_customer(client_a, lead_a, customer_a):
    response = post(
        client_a,
        f"/api/v1/leads/{lead_a.pk}/convert",
        {"customer_id": customer_a.pk, "deal_title": "پروژه شبکه", "deal_amount": 7_000},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer_id"], body["created_customer"]) == (customer_a.pk, False)
    assert Customer.objects.count() == 1
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (deal.customer_id, deal.title, deal.amount) == (customer_a.pk, "پروژه شبکه", 7_000)


def test_another_teams_customer_cannot_be_linked(client_a, lead_a, customer_b):
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {"customer_id": customer_b.pk}))
    assert "customer_id" in fields
    lead_a.refresh_from_db()
    assert lead_a.status == LeadStatus.NEW


def test_converting_twice_is_refused(client_a, lead_a):
    assert post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {}).status_code == 201
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {}))
    assert "status" in fields
    assert Deal.objects.count() == 1
    assert Customer.objects.count() == 2


def test_a_failed_deal_leaves_nothing_behind(client_a, lead_a, agent_a, team_a):
    activity = Activity.objects.create(subject="جلسه", due_at=timezone.now(), lead=lead_a, assigned_to=agent_a)
    # A pipeline that does not exist: the customer is made first, then the deal fails.
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {"pipeline_id": 999_999}))
    assert "pipeline_id" in fields
    assert not Customer.objects.exists()
    assert not Deal.objects.exists()
    assert not Interaction.objects.exists()
    lead_a.refresh_from_db()
    assert (lead_a.status, lead_a.converted_customer_id) == (LeadStatus.NEW, None)
    activity.refresh_from_db()
    assert activity.customer_id is None


def test_a_negative_deal_amount_is_refused(client_a, lead_a):
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {"deal_amount": -1}))
    assert "deal_amount" in fields
    assert not Customer.objects.exists()


def test_a_disqualified_lead_is_not_converted(client_a, lead_a):
    Lead.objects.filter(pk=lead_a.pk).update(status="disqualified", disqualified_reason="x")
    fields = error_fields(post(client_a, f"/api/v1/leads/{lead_a.pk}/convert", {}))
    assert "status" in fields


# --- matches ----------------------------------------------------------------------------------------------


def test_matches_are_visible_customers_with_the_same_phone_email_or_company(client_a, lead_a, team_a, team_b):
    by_phone = CustomerFactory(team=team_a, phone="+989121234567")
    by_email = CustomerFactory(team=team_a)
    by_email.emails.create(email="maryam@aseman.example", kind="work", is_primary=True)
    by_name = OrganizationFactory(team=team_a, name="شركت  آسمان")  # the same name, spelt differently
    CustomerFactory(team=team_b, phone="+989121234567")  # another team's: not shown
    CustomerFactory(team=team_a, phone="+989350000000")  # another number: not shown
    response = client_a.get(f"/api/v1/leads/{lead_a.pk}/matches")
    assert response.status_code == 200
    found = {row["id"] for row in response.json()}
    assert found == {by_phone.pk, by_email.pk, by_name.pk}


def test_a_manager_converting_a_sub_teams_lead_leaves_it_with_its_owner(api_client, manager_a, agent_a_sub):
    lead = Lead.objects.create(last_name="نمونه", owner=agent_a_sub, team=agent_a_sub.team)
    body = post(api_client(manager_a), f"/api/v1/leads/{lead.pk}/convert", {}).json()
    customer = Customer.objects.get(pk=body["customer_id"])
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (customer.owner_id, customer.team_id) == (agent_a_sub.pk, agent_a_sub.team_id)
    assert (deal.owner_id, deal.team_id) == (agent_a_sub.pk, agent_a_sub.team_id)
    assert deal.created_by == manager_a


def test_an_agent_converting_a_team_mates_lead_gives_the_customer_to_the_team_mate(api_client, agent_a, team_a):
    from factories import UserFactory
    from peyvand.accounts.models import Role

    mate = UserFactory(role=Role.AGENT, team=team_a)
    lead = Lead.objects.create(phone="+989121112233", owner=mate, team=team_a)
    body = post(api_client(agent_a), f"/api/v1/leads/{lead.pk}/convert", {"create_deal": False}).json()
    customer = Customer.objects.get(pk=body["customer_id"])
    assert (customer.owner_id, customer.team_id) == (mate.pk, team_a.pk)
    assert [p.number for p in customer.phones.all()] == ["+989121112233"]
