"""Merging customers: field-by-field choice, every related record moved, history kept, and undo."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from factories import UserFactory
from peyvand.accounts.models import Role
from peyvand.customers import services
from peyvand.customers.duplicates import open_duplicates_visible_to
from peyvand.customers.models import (
    Consent,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerRevision,
    DuplicateCandidate,
    DuplicateStatus,
    Interaction,
)
from peyvand.customers.services.merge import consent_conflicts

pytestmark = pytest.mark.django_db

SHARED_PHONE = "+989121234567"


def org(by, team, name, **data):
    return services.customer_create(by=by, data={"kind": "organization", "name": name, "team_id": team.pk, **data})


def ownership():
    """Who every related row belongs to, by model."""
    tags = Customer.tags.through.objects
    return {
        "interactions": dict(Interaction.objects.values_list("pk", "customer_id")),
        "phones": dict(CustomerPhone.objects.values_list("pk", "customer_id")),
        "emails": dict(CustomerEmail.objects.values_list("pk", "customer_id")),
        "addresses": dict(CustomerAddress.objects.values_list("pk", "customer_id")),
        "consents": dict(Consent.objects.values_list("pk", "customer_id")),
        "tags": dict(tags.values_list("pk", "customer_id")),
        "contacts": dict(Customer.objects.filter(kind="person").values_list("pk", "organization_id")),
        "sub_organizations": dict(Customer.objects.filter(kind="organization").values_list("pk", "parent_id")),
    }


@pytest.fixture
def two_orgs(manager_a, team_a):
    """Two organisations that are one, each with a full set of related records."""
    survivor = org(
        manager_a,
        team_a,
        "شرکت آلفا",
        notes="قدیمی",
        phones=[{"number": "09121234567"}, {"number": "02188880000", "kind": "work"}],
        emails=[{"email": "info@alfa.ir"}],
        addresses=[{"city": "تهران", "line": "خیابان آزادی"}],
        tags=["وفادار"],
    )
    merged = org(
        manager_a,
        team_a,
        "شرکت آلفا",
        notes="تازه",
        lifecycle_stage="active",
        phones=[{"number": "09121234567"}, {"number": "09351112233"}],
        emails=[{"email": "sales@alfa.ir"}, {"email": "ceo@alfa.ir"}],
        addresses=[{"city": "تهران", "line": "میدان ونک"}],
        tags=["وفادار", "عمده"],
    )
    services.customer_update(customer=merged, by=manager_a, data={"job_title": "", "notes": "تازه‌تر"})
    for customer, channel in ((survivor, "sms"), (merged, "sms"), (merged, "email")):
        services.consent_set(customer=customer, by=manager_a, channel=channel, granted=True, method="written")
    for customer, subject in ((survivor, "تماس اول"), (merged, "جلسه"), (merged, "پیگیری")):
        services.interaction_create(customer=customer, by=manager_a, channel="call", direction="in", subject=subject)
    for first_name, organisation in (("مریم", survivor), ("رضا", merged), ("سارا", merged)):
        services.customer_create(
            by=manager_a,
            data={
                "first_name": first_name,
                "last_name": "کارمند",
                "organization_id": organisation.pk,
                "team_id": team_a.pk,
            },
        )
    for name, parent in (("آلفا شرق", merged), ("آلفا غرب", survivor)):
        org(manager_a, team_a, name, parent_id=parent.pk)
    return survivor, merged


def test_a_merge_moves_every_related_record_and_undo_puts_each_back(two_orgs, manager_a):
    survivor, merged = two_orgs
    candidate = DuplicateCandidate.objects.get(first=survivor, second=merged)
    before = ownership()
    merged_revisions = list(CustomerRevision.objects.filter(customer=merged).values_list("pk", flat=True))
    survivor_revisions = CustomerRevision.objects.filter(customer=survivor).count()
    assert len(merged_revisions) == 2

    merge = services.customer_merge(
        survivor=survivor,
        merged=merged,
        by=manager_a,
        chosen={"notes": "merged", "lifecycle_stage": "merged", "name": "survivor"},
        candidate=candidate,
    )

    after = ownership()
    shared_phone = CustomerPhone.objects.get(customer=merged, number=SHARED_PHONE)
    shared_tag = Customer.tags.through.objects.get(customer=merged, tag__name="وفادار")
    sms_consent = Consent.objects.get(customer=merged, channel="sms")
    # The rows the survivor already had (the same number, tag and consent channel) stay with the merged record.
    kept = {("phones", shared_phone.pk), ("tags", shared_tag.pk), ("consents", sms_consent.pk)}
    for model, rows in before.items():
        for pk, owner in rows.items():
            if owner == merged.pk and (model, pk) not in kept:
                assert after[model][pk] == survivor.pk, (model, pk)
            else:
                assert after[model][pk] == owner, (model, pk)
    # 4 interactions (2 written by consent), 2 phones, 2 e-mails, 1 address, 2 consents, 2 tags, 2 contacts,
    # 1 sub-organisation
    assert sum(1 for rows in before.values() for owner in rows.values() if owner == merged.pk) == 16
    moved = sum(len(ids) for ids in merge.moved.values())
    assert moved == 16 - len(kept)
    assert set(merge.moved) == {
        "customers.interaction:customer",
        "customers.customerphone:customer",
        "customers.customeremail:customer",
        "customers.customeraddress:customer",
        "customers.consent:customer",
        "customers.customer_tags:customer",
        "customers.customer:organization",
        "customers.customer:parent",
    }

    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.deleted_at is not None and merged.merged_into_id == survivor.pk
    # The merged record keeps its own history, plus the deletion.
    assert set(merged_revisions) <= set(CustomerRevision.objects.filter(customer=merged).values_list("pk", flat=True))
    assert merged.revisions.first().action == "delete"
    assert (survivor.notes, survivor.lifecycle_stage) == ("تازه‌تر", "active")
    revision = survivor.revisions.first()
    assert survivor.revisions.count() == survivor_revisions + 1
    assert revision.changes["notes"] == ["قدیمی", "تازه‌تر"]
    assert revision.changes["lifecycle_stage"] == ["prospect", "active"]
    assert survivor.interactions.filter(subject__contains=f"#{merged.pk}").exists()
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.MERGED
    assert merge.candidate_id == candidate.pk

    services.customer_merge_undo(merge=merge, by=manager_a)

    restored = ownership()
    for model, rows in before.items():
        for pk, owner in rows.items():
            assert restored[model][pk] == owner, (model, pk)
    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.deleted_at is None and merged.merged_into_id is None
    assert (survivor.notes, survivor.lifecycle_stage) == ("قدیمی", "prospect")
    assert survivor.revisions.first().changes["notes"] == ["تازه‌تر", "قدیمی"]
    assert merged.revisions.first().action == "restore"
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == manager_a
    # The timeline's last activity follows the interactions back.
    assert merged.last_interaction_at == merged.interactions.order_by("-occurred_at").first().occurred_at


def test_an_undo_happens_once(two_orgs, manager_a):
    survivor, merged = two_orgs
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    services.customer_merge_undo(merge=merge, by=manager_a)
    with override("en"), pytest.raises(ValidationError, match="already been undone"):
        services.customer_merge_undo(merge=merge, by=manager_a)


def test_an_undo_waits_for_a_later_merge_of_the_same_customers(two_orgs, manager_a, team_a):
    survivor, merged = two_orgs
    third = org(manager_a, team_a, "شرکت سوم")
    first = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    second = services.customer_merge(survivor=third, merged=survivor, by=manager_a, chosen={})
    with override("fa"), pytest.raises(ValidationError, match="ادغام دیگری پس از این"):
        services.customer_merge_undo(merge=first, by=manager_a)
    services.customer_merge_undo(merge=second, by=manager_a)
    services.customer_merge_undo(merge=first, by=manager_a)
    assert Customer.objects.filter(pk__in=[survivor.pk, merged.pk, third.pk], deleted_at__isnull=True).count() == 3


def test_an_agent_cannot_merge(two_orgs, agent_a):
    survivor, merged = two_orgs
    with pytest.raises(PermissionDenied):
        services.customer_merge(survivor=survivor, merged=merged, by=agent_a, chosen={})


def test_a_manager_of_another_team_cannot_merge(two_orgs, team_b):
    survivor, merged = two_orgs
    manager_b = UserFactory(role=Role.MANAGER, team=team_b)
    with pytest.raises(Customer.DoesNotExist):
        services.customer_merge(survivor=survivor, merged=merged, by=manager_b, chosen={})


def test_a_person_and_an_organisation_cannot_be_merged(two_orgs, manager_a):
    survivor, _merged = two_orgs
    contact = Customer.objects.filter(organization=survivor).first()
    with pytest.raises(ValidationError):
        services.customer_merge(survivor=survivor, merged=contact, by=manager_a, chosen={})


def test_unknown_fields_and_sides_are_refused(two_orgs, manager_a):
    survivor, merged = two_orgs
    with pytest.raises(ValidationError) as caught:
        services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={"x": "merged", "notes": "?"})
    assert set(caught.value.message_dict) == {"x", "notes"}


# --- through the API ------------------------------------------------------------------------------------


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_api_merges_and_undoes(two_orgs, manager_a, api_client):
    survivor, merged = two_orgs
    client = api_client(manager_a)
    listed = client.get("/api/v1/data-quality/duplicates").json()["items"]
    assert [(p["first"]["id"], p["second"]["id"]) for p in listed] == [(survivor.pk, merged.pk)]
    response = post(
        client,
        "/api/v1/data-quality/merges",
        {"survivor_id": survivor.pk, "merged_id": merged.pk, "chosen": {"notes": "merged"}},
    )
    assert response.status_code == 201, response.content
    merge_id = response.json()["id"]
    assert client.get(f"/api/v1/customers/{merged.pk}").status_code == 404
    assert post(client, f"/api/v1/data-quality/merges/{merge_id}/undo").status_code == 200
    assert client.get(f"/api/v1/customers/{merged.pk}").status_code == 200
    again = post(client, f"/api/v1/data-quality/merges/{merge_id}/undo")
    assert again.status_code == 422


def test_the_api_refuses_agents_and_other_teams(two_orgs, manager_a, agent_a, team_b, api_client):
    survivor, merged = two_orgs
    body = {"survivor_id": survivor.pk, "merged_id": merged.pk}
    assert post(api_client(agent_a), "/api/v1/data-quality/merges", body).status_code == 403
    manager_b = UserFactory(role=Role.MANAGER, team=team_b)
    assert post(api_client(manager_b), "/api/v1/data-quality/merges", body).status_code == 404
    assert api_client(manager_b).get("/api/v1/data-quality/duplicates").json()["items"] == []
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    assert post(api_client(agent_a), f"/api/v1/data-quality/merges/{merge.pk}/undo").status_code == 403
    assert post(api_client(manager_b), f"/api/v1/data-quality/merges/{merge.pk}/undo").status_code == 404


def test_the_api_dismisses_a_pair(two_orgs, manager_a, agent_a, api_client):
    candidate = DuplicateCandidate.objects.get()
    assert post(api_client(agent_a), f"/api/v1/data-quality/duplicates/{candidate.pk}/dismiss").status_code == 403
    response = post(api_client(manager_a), f"/api/v1/data-quality/duplicates/{candidate.pk}/dismiss")
    assert response.json()["status"] == "dismissed"
    assert post(api_client(manager_a), f"/api/v1/data-quality/duplicates/{candidate.pk}/dismiss").status_code == 404


# --- through the pages ----------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_review_queue_is_for_managers(two_orgs, manager_a, agent_a):
    page = client_for(manager_a).get(reverse("customers:duplicates"))
    assert page.status_code == 200
    assert reverse("customers:duplicate_merge", args=[DuplicateCandidate.objects.get().pk]) in page.content.decode()
    assert client_for(agent_a).get(reverse("customers:duplicates")).status_code == 403


def test_the_merge_page_merges_then_undo_restores(two_orgs, manager_a):
    survivor, merged = two_orgs
    candidate = DuplicateCandidate.objects.get()
    client = client_for(manager_a)
    form = client.get(reverse("customers:duplicate_merge", args=[candidate.pk]))
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="field_notes" value="survivor" checked' in body
    response = client.post(
        reverse("customers:duplicate_merge", args=[candidate.pk]),
        {"survivor": survivor.pk, "field_notes": "merged"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[survivor.pk])
    merge = CustomerMerge.objects.get()
    page = response.content.decode()
    assert reverse("customers:merge_undo", args=[merge.pk]) in page
    # The message that holds the Undo button stays until it is closed; others fade after a few seconds.
    assert 'data-bs-autohide="false"' in page
    survivor.refresh_from_db()
    assert survivor.notes == "تازه‌تر"
    client.post(reverse("customers:merge_undo", args=[merge.pk]))
    survivor.refresh_from_db()
    assert survivor.notes == "قدیمی"
    assert Customer.objects.get(pk=merged.pk).deleted_at is None


def test_dismissing_on_the_page(two_orgs, manager_a):
    candidate = DuplicateCandidate.objects.get()
    client_for(manager_a).post(reverse("customers:duplicate_dismiss", args=[candidate.pk]))
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISMISSED


# --- detection after undo -------------------------------------------------------------------------------


def test_undo_puts_the_pair_back_in_the_review_queue(two_orgs, manager_a):
    survivor, merged = two_orgs
    candidate = DuplicateCandidate.objects.get()
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    assert not open_duplicates_visible_to(manager_a).exists()
    services.customer_merge_undo(merge=merge, by=manager_a)
    assert list(open_duplicates_visible_to(manager_a)) == [candidate]
    candidate.refresh_from_db()
    assert (candidate.status, candidate.reasons) == (DuplicateStatus.OPEN, ["phone", "name"])


def test_undo_finds_the_pair_again_when_the_merge_had_none(manager_a, team_a):
    survivor = org(manager_a, team_a, "شرکت بتا", phones=[{"number": "09121234567"}])
    merged = org(manager_a, team_a, "بازرگانی گاما", phones=[{"number": "09121234567"}])
    DuplicateCandidate.objects.all().delete()  # merged by hand, never suspected
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    assert merge.candidate_id is None
    services.customer_merge_undo(merge=merge, by=manager_a)
    pair = open_duplicates_visible_to(manager_a).get()
    assert (pair.first_id, pair.second_id, pair.reasons) == (survivor.pk, merged.pk, ["phone"])


def test_a_merge_and_its_undo_keep_the_third_party_pairs_right(manager_a, team_a):
    survivor = org(manager_a, team_a, "شرکت بتا", phones=[{"number": "09121234567"}])
    merged = org(manager_a, team_a, "شرکت بتا", phones=[{"number": "09121234567"}], emails=[{"email": "b@beta.ir"}])
    third = org(manager_a, team_a, "پخش دلتا", emails=[{"email": "b@beta.ir"}])

    def open_pairs():
        return set(DuplicateCandidate.objects.filter(status="open").values_list("first_id", "second_id"))

    assert open_pairs() == {(survivor.pk, merged.pk), (merged.pk, third.pk)}
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    # The survivor now holds the shared e-mail; the merged record, gone, is nobody's duplicate.
    assert open_pairs() == {(survivor.pk, third.pk)}
    services.customer_merge_undo(merge=merge, by=manager_a)
    assert open_pairs() == {(survivor.pk, merged.pk), (merged.pk, third.pk)}


# --- consent --------------------------------------------------------------------------------------------

CONSENT_FIELDS = ("pk", "customer_id", "channel", "granted", "recorded_at", "method", "note", "recorded_by_id")


def consents():
    return {row[0]: row for row in Consent.objects.values_list(*CONSENT_FIELDS)}


@pytest.fixture
def conflicting_consent(manager_a, team_a):
    """Two records of one company: SMS granted long ago on one, refused last week on the other; e-mail granted
    on both the same way; calls refused on the survivor only."""
    survivor = org(manager_a, team_a, "شرکت امگا", phones=[{"number": "09121234567"}])
    merged = org(manager_a, team_a, "شرکت امگا", phones=[{"number": "09121234567"}])
    now = timezone.now()
    for customer, channel, granted, days, method in (
        (survivor, "sms", True, 400, "written"),
        (merged, "sms", False, 7, "keyword"),
        (survivor, "email", True, 30, "web_form"),
        (merged, "email", True, 30, "web_form"),
        (survivor, "call", False, 2, "verbal"),
    ):
        services.consent_set(
            customer=customer,
            by=manager_a,
            channel=channel,
            granted=granted,
            method=method,
            recorded_at=now.replace(microsecond=0) - timedelta(days=days),
        )
    return survivor, merged


def test_the_latest_decision_is_the_default(conflicting_consent):
    survivor, merged = conflicting_consent
    conflicts = consent_conflicts(survivor=survivor, merged=merged)
    assert [(c.channel, c.default) for c in conflicts] == [("sms", "merged")]
    # Seen from the other side, the latest is still the refusal.
    assert [(c.channel, c.default) for c in consent_conflicts(survivor=merged, merged=survivor)] == [
        ("sms", "survivor")
    ]


def test_an_opt_out_recorded_at_the_same_moment_wins(manager_a, team_a):
    survivor = org(manager_a, team_a, "شرکت یک")
    merged = org(manager_a, team_a, "شرکت دو")
    when = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for customer, granted in ((survivor, False), (merged, True)):
        services.consent_set(
            customer=customer, by=manager_a, channel="sms", granted=granted, method="written", recorded_at=when
        )
    assert [c.default for c in consent_conflicts(survivor=survivor, merged=merged)] == ["survivor"]
    assert [c.default for c in consent_conflicts(survivor=merged, merged=survivor)] == ["merged"]


def test_a_merge_keeps_the_latest_consent_by_default_and_undo_restores_both(conflicting_consent, manager_a):
    survivor, merged = conflicting_consent
    before = consents()
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    assert merge.chosen == {"consent:sms": "merged"}
    sms = Consent.objects.get(customer=survivor, channel="sms")
    assert (sms.granted, sms.method) == (False, "keyword")
    assert Consent.objects.get(customer=merged, channel="sms").granted is False  # the merged record keeps its own
    assert Consent.objects.get(customer=survivor, channel="call").granted is False
    services.customer_merge_undo(merge=merge, by=manager_a)
    assert consents() == before


def test_a_merge_keeps_the_chosen_consent(conflicting_consent, manager_a):
    survivor, merged = conflicting_consent
    before = consents()
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={"consent:sms": "survivor"})
    assert merge.chosen == {"consent:sms": "survivor"}
    assert Consent.objects.get(customer=survivor, channel="sms").granted is True
    services.customer_merge_undo(merge=merge, by=manager_a)
    assert consents() == before


def test_undo_leaves_a_consent_recorded_after_the_merge(conflicting_consent, manager_a):
    survivor, merged = conflicting_consent
    merge = services.customer_merge(survivor=survivor, merged=merged, by=manager_a, chosen={})
    services.consent_set(customer=survivor, by=manager_a, channel="sms", granted=True, method="verbal")
    services.customer_merge_undo(merge=merge, by=manager_a)
    sms = Consent.objects.get(customer=survivor, channel="sms")
    assert (sms.granted, sms.method) == (True, "verbal")


def test_unknown_consent_channels_are_refused(conflicting_consent, manager_a):
    survivor, merged = conflicting_consent
    with pytest.raises(ValidationError) as caught:
        services.customer_merge(
            survivor=survivor, merged=merged, by=manager_a, chosen={"consent:fax": "merged", "consent:sms": "both"}
        )
    assert set(caught.value.message_dict) == {"consent:fax", "consent:sms"}


def test_the_api_takes_a_consent_choice(conflicting_consent, manager_a, api_client):
    survivor, merged = conflicting_consent
    before = consents()
    client = api_client(manager_a)
    body = {"survivor_id": survivor.pk, "merged_id": merged.pk, "chosen": {"consent:sms": "survivor"}}
    response = post(client, "/api/v1/data-quality/merges", body)
    assert response.status_code == 201, response.content
    assert response.json()["chosen"] == {"consent:sms": "survivor"}
    assert Consent.objects.get(customer=survivor, channel="sms").granted is True
    assert post(client, f"/api/v1/data-quality/merges/{response.json()['id']}/undo").status_code == 200
    assert consents() == before
    assert "consent:sms" in client.get("/api/v1/openapi.json").content.decode()


def test_the_merge_page_offers_the_consent_choice(conflicting_consent, manager_a):
    survivor, _merged = conflicting_consent
    candidate = DuplicateCandidate.objects.get()
    client = client_for(manager_a)
    url = reverse("customers:duplicate_merge", args=[candidate.pk])
    body = client.get(url).content.decode()
    assert 'name="consent_sms" value="merged" checked' in body
    assert 'name="consent_sms" value="survivor">' in body
    assert 'name="consent_email"' not in body and 'name="consent_call"' not in body
    client.post(url, {"survivor": survivor.pk, "consent_sms": "survivor"})
    assert CustomerMerge.objects.get().chosen == {"consent:sms": "survivor"}
    assert Consent.objects.get(customer=survivor, channel="sms").granted is True
