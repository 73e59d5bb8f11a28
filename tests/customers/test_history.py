"""Customer history: every change is a revision (who, when, before → after), and managers can restore one."""

import datetime as dt

import pytest
from django.utils import timezone

from factories import CustomerFactory
from peyvand.customers.models import Customer, CustomerRevision

pytestmark = pytest.mark.django_db


ORIGINAL = {
    "first_name": "سارا",
    "last_name": "نوری",
    "job_title": "کارشناس خرید",
    "lifecycle_stage": "active",
    "birth_date": "1370/05/12",
    "phones": [{"number": "09121234567"}, {"number": "02188880000", "kind": "work"}],
    "emails": [{"email": "sara@example.com"}],
    "addresses": [{"city": "تهران", "line": "خیابان آزادی"}],
    "tags": ["وفادار", "عمده"],
}
CHANGED = {
    "last_name": "نوری‌زاده",
    "job_title": "مدیر خرید",
    "lifecycle_stage": "key_account",
    "birth_date": None,
    "phones": [{"number": "09351112233"}],
    "emails": [],
    "addresses": [{"city": "اصفهان"}],
    "tags": ["جدید"],
}


@pytest.fixture
def agent(api_client, agent_a):
    return api_client(agent_a)


@pytest.fixture
def manager(api_client, manager_a):
    return api_client(manager_a)


def create(client, data):
    response = client.post("/api/v1/customers", data, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def update(client, pk, data):
    return client.patch(f"/api/v1/customers/{pk}", data, content_type="application/json")


def history(client, pk):
    response = client.get(f"/api/v1/customers/{pk}/history")
    assert response.status_code == 200
    return response.json()


def restore(client, pk, number):
    return client.post(f"/api/v1/customers/{pk}/history/{number}/restore")


def test_creating_a_customer_records_who_created_it_when_and_with_what(agent, agent_a):
    before = timezone.now()
    created = create(agent, ORIGINAL)
    [revision] = history(agent, created["id"])
    assert (revision["number"], revision["action"], revision["by_id"]) == (1, "create", agent_a.pk)
    assert before - dt.timedelta(seconds=1) <= dt.datetime.fromisoformat(revision["created_at"]) <= timezone.now()
    changes = revision["changes"]
    assert changes["last_name"] == [None, "نوری"]
    assert changes["birth_date"] == [None, "1991-08-03"]
    assert changes["phones"][1] == [
        {"number": "+989121234567", "kind": "mobile", "is_primary": True},
        {"number": "+982188880000", "kind": "work", "is_primary": False},
    ]
    assert changes["tags"] == [None, ["عمده", "وفادار"]]


def test_an_update_records_only_what_changed_before_and_after(agent, manager, manager_a):
    created = create(agent, ORIGINAL)
    assert (
        update(manager, created["id"], {"job_title": "مدیر خرید", "phones": [{"number": "09351112233"}]}).status_code
        == 200
    )
    newest = history(agent, created["id"])[0]
    assert (newest["number"], newest["action"], newest["by_id"]) == (2, "update", manager_a.pk)
    assert set(newest["changes"]) == {"job_title", "phones"}
    assert newest["changes"]["job_title"] == ["کارشناس خرید", "مدیر خرید"]
    assert newest["changes"]["phones"][1] == [{"number": "+989351112233", "kind": "mobile", "is_primary": True}]


def test_each_change_is_numbered_and_history_lists_newest_first(agent):
    created = create(agent, {"last_name": "نوری"})
    for note in ("یک", "دو", "سه"):
        update(agent, created["id"], {"notes": note})
    revisions = history(agent, created["id"])
    assert [r["number"] for r in revisions] == [4, 3, 2, 1]
    assert [r["changes"]["notes"][1] for r in revisions[:3]] == ["سه", "دو", "یک"]


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"last_name": "نوری"},
        {"last_name": " نوری "},  # cleaned to the same value
        {"phones": [{"number": "+98 912 123 4567"}, {"number": "021 8888 0000", "kind": "work"}]},
        {"tags": ["عمده", "وفادار", "عمده"]},
        {"birth_date": "1991-08-03"},  # the same day written in the other calendar
        {"emails": [{"email": "SARA@example.com"}]},
        {"lifecycle_stage": "active", "job_title": "کارشناس خرید"},
    ],
)
def test_a_patch_that_changes_nothing_makes_no_revision(agent, same):
    created = create(agent, ORIGINAL)
    response = update(agent, created["id"], same)
    assert response.status_code == 200
    assert response.json()["updated_at"] >= created["updated_at"]
    assert [r["number"] for r in history(agent, created["id"])] == [1]


def test_a_refused_change_makes_no_revision(agent):
    created = create(agent, ORIGINAL)
    assert update(agent, created["id"], {"phones": [{"number": "123"}]}).status_code == 422
    assert len(history(agent, created["id"])) == 1


def test_manager_restores_fields_phones_emails_addresses_and_tags(agent, manager, manager_a):
    created = create(agent, ORIGINAL)
    assert update(agent, created["id"], CHANGED).status_code == 200
    response = restore(manager, created["id"], 1)
    assert response.status_code == 200, response.content
    restored = response.json()
    for field in (
        "first_name",
        "last_name",
        "display_name",
        "job_title",
        "lifecycle_stage",
        "birth_date",
        "phones",
        "emails",
        "addresses",
        "tags",
        "owner_id",
        "team_id",
    ):
        assert restored[field] == created[field], field
    assert restored == manager.get(f"/api/v1/customers/{created['id']}").json()
    newest = history(manager, created["id"])[0]
    assert (newest["number"], newest["action"], newest["restored_from"], newest["by_id"]) == (
        3,
        "restore",
        1,
        manager_a.pk,
    )
    assert newest["changes"]["last_name"] == ["نوری‌زاده", "نوری"]


def test_restore_can_be_undone_by_restoring_the_version_before_it(agent, manager):
    created = create(agent, ORIGINAL)
    update(agent, created["id"], CHANGED)
    changed = agent.get(f"/api/v1/customers/{created['id']}").json()
    restore(manager, created["id"], 1)
    again = restore(manager, created["id"], 2).json()
    assert (again["last_name"], again["phones"], again["tags"]) == (changed["last_name"], changed["phones"], ["جدید"])
    assert [r["action"] for r in history(manager, created["id"])] == ["restore", "restore", "update", "create"]


def test_restored_customer_is_found_by_its_old_name_again(agent, manager):
    created = create(agent, ORIGINAL)
    update(agent, created["id"], {"last_name": "تهرانی"})
    restore(manager, created["id"], 1)
    assert [c["id"] for c in manager.get("/api/v1/customers", {"q": "نوری"}).json()["items"]] == [created["id"]]
    assert manager.get("/api/v1/customers", {"q": "تهرانی"}).json()["items"] == []


def test_admin_can_restore(api_client, admin, agent):
    created = create(agent, ORIGINAL)
    update(agent, created["id"], CHANGED)
    assert restore(api_client(admin), created["id"], 1).json()["last_name"] == "نوری"


def test_agent_cannot_restore(agent):
    created = create(agent, ORIGINAL)
    update(agent, created["id"], CHANGED)
    response = restore(agent, created["id"], 1)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert agent.get(f"/api/v1/customers/{created['id']}").json()["last_name"] == "نوری‌زاده"
    assert len(history(agent, created["id"])) == 2


def test_restoring_a_revision_that_does_not_exist_is_not_found(agent, manager):
    created = create(agent, ORIGINAL)
    assert restore(manager, created["id"], 99).status_code == 404


def test_a_revision_of_another_customer_cannot_be_restored_onto_this_one(agent, manager):
    first = create(agent, {"last_name": "یکم"})
    second = create(agent, {"last_name": "دوم"})
    update(agent, second["id"], {"notes": "x"})
    # revision 2 exists only for the second customer
    assert restore(manager, first["id"], 2).status_code == 404
    assert manager.get(f"/api/v1/customers/{first['id']}").json()["last_name"] == "یکم"


def test_restore_drops_a_team_that_no_longer_exists(api_client, admin, manager_a, team_a):
    from factories import TeamFactory

    temporary = TeamFactory(name="موقت")
    client = api_client(admin)
    created = create(client, {"last_name": "نوری", "team_id": temporary.pk})
    update(client, created["id"], {"team_id": team_a.pk})
    temporary.delete()
    response = restore(client, created["id"], 1)
    assert response.status_code == 200
    assert response.json()["team_id"] is None


def test_deleting_a_customer_is_recorded_in_its_history(api_client, manager_a, team_a):
    customer = CustomerFactory(team=team_a)
    api_client(manager_a).delete(f"/api/v1/customers/{customer.pk}")
    revision = CustomerRevision.objects.get(customer=customer)
    assert (revision.action, revision.by) == ("delete", manager_a)


def test_revision_keeps_a_whole_snapshot_to_restore_from(agent):
    created = create(agent, ORIGINAL)
    snapshot = Customer.objects.get(pk=created["id"]).revisions.get().snapshot
    assert snapshot["phones"][0]["number"] == "+989121234567"
    assert snapshot["addresses"][0]["city"] == "تهران"
    assert snapshot["tags"] == ["عمده", "وفادار"]
