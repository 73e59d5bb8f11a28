"""Leads a channel records by itself (a web form, a mail from an unknown sender): nobody's lead, cleaned and
checked like a typed one, placed by the channel's own team and owner, and then within those people's reach."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from factories import UserFactory
from peyvand.accounts.models import Role
from peyvand.sales.models import Lead, LeadSource, LeadStatus
from peyvand.sales.services.leads import lead_create_from_channel

pytestmark = pytest.mark.django_db


def test_it_records_a_lead_with_nobody_as_its_maker(team_a, agent_a):
    lead = lead_create_from_channel(
        data={
            "first_name": " مريم ",
            "last_name": "احمدی",
            "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
            "email": "Maryam@Aseman.Example",
            "interest": "  سرور  ",
        },
        source=LeadSource.WEB_FORM,
        team=team_a,
        owner=agent_a,
    )
    lead.refresh_from_db()
    assert lead.created_by_id is None
    assert (lead.team_id, lead.owner_id) == (team_a.pk, agent_a.pk)
    assert lead.source == LeadSource.WEB_FORM
    assert lead.status == LeadStatus.NEW
    # The same cleaning as a typed lead: Arabic yeh made Persian, E.164 phone, lower-case e-mail, trimmed text.
    assert lead.first_name == "مریم"
    assert lead.phone == "+989121234567"
    assert lead.email == "maryam@aseman.example"
    assert lead.interest == "سرور"


def test_it_places_a_lead_beyond_any_users_reach_because_an_admin_chose_so(team_b, agent_a):
    # An owner of team A on a lead of team B: lead_create would refuse it to an agent, a channel's settings may.
    lead = lead_create_from_channel(data={"company_name": "شرکت آسمان"}, source=LeadSource.OTHER, team=team_b,
                                    owner=agent_a)  # fmt: skip
    assert (lead.team_id, lead.owner_id) == (team_b.pk, agent_a.pk)


def test_it_drops_an_owner_who_has_left_and_the_team_keeps_the_lead(team_a):
    gone = UserFactory(role=Role.AGENT, team=team_a, is_active=False)
    lead = lead_create_from_channel(data={"email": "a@example.ir"}, source=LeadSource.WEB_FORM, team=team_a, owner=gone)
    assert lead.owner_id is None
    assert lead.team_id == team_a.pk


def test_it_refuses_a_lead_that_is_nobody():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        lead_create_from_channel(data={"city": "تهران", "interest": "قیمت"}, source=LeadSource.WEB_FORM)
    assert "__all__" in caught.value.message_dict
    assert "at least one of" in caught.value.message_dict["__all__"][0]
    assert not Lead.objects.exists()


def test_it_refuses_bad_fields_by_name():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        lead_create_from_channel(data={"phone": "abc", "email": "not-an-address"}, source=LeadSource.WEB_FORM)
    fields = caught.value.message_dict
    assert "not a valid phone number" in fields["phone"][0]
    assert "not a valid e-mail address" in fields["email"][0]
    with pytest.raises(ValidationError) as caught:
        lead_create_from_channel(data={"first_name": "x" * 101}, source=LeadSource.WEB_FORM)
    assert set(caught.value.message_dict) == {"first_name"}
    with pytest.raises(ValidationError) as caught:
        lead_create_from_channel(data={"first_name": "علی"}, source="carrier-pigeon")
    assert set(caught.value.message_dict) == {"source"}
    assert not Lead.objects.exists()


def test_it_takes_team_and_owner_only_as_arguments(team_a, agent_b):
    # Who gets the lead is the channel's setting, never a field a sender could slip into the data.
    with pytest.raises(ValidationError) as caught:
        lead_create_from_channel(
            data={"first_name": "علی", "owner_id": agent_b.pk, "team_id": team_a.pk, "status": "converted"},
            source=LeadSource.WEB_FORM,
        )
    assert set(caught.value.message_dict) == {"owner_id", "team_id", "status"}
    assert not Lead.objects.exists()


def test_its_lead_is_seen_by_the_team_and_not_by_another(api_client, team_a, agent_a, agent_b, admin):
    lead = lead_create_from_channel(data={"first_name": "علی"}, source=LeadSource.WEB_FORM, team=team_a)
    url = f"/api/v1/leads/{lead.pk}"
    assert api_client(agent_a).get(url).status_code == 200
    assert api_client(agent_b).get(url).status_code == 404
    body = api_client(admin).get(url).json()
    assert body["team_id"] == team_a.pk
    assert body["owner_id"] is None
