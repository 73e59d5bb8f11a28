"""Reads built from the scope's parts (own customers, each team) give the same answers as the scope."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from factories import CustomerFactory, InteractionFactory, OrganizationFactory
from peyvand.customers import selectors

pytestmark = pytest.mark.django_db


def test_stage_counts_count_a_customer_in_two_scope_parts_once(agent_a, team_a, team_b):
    CustomerFactory(owner=agent_a, team=team_a, lifecycle_stage="active")  # own and team: counted once
    CustomerFactory(owner=agent_a, team=team_b, lifecycle_stage="active")  # own only
    CustomerFactory(owner=None, team=team_a, lifecycle_stage="lost")  # team only
    CustomerFactory(owner=None, team=team_b, lifecycle_stage="lost")  # not visible
    counts = selectors.customer_stage_counts(user=agent_a)
    assert counts == {"active": 2, "lost": 1}
    assert sum(counts.values()) == selectors.customers_visible_to(agent_a).count()


def test_manager_stage_counts_cover_every_sub_team(manager_a, team_a, team_a_sub, team_b):
    CustomerFactory(team=team_a, lifecycle_stage="prospect")
    CustomerFactory(team=team_a_sub, lifecycle_stage="prospect")
    CustomerFactory(team=team_b, lifecycle_stage="prospect")
    assert selectors.customer_stage_counts(user=manager_a) == {"prospect": 2}


def test_recent_interactions_are_newest_first_and_only_visible_ones(agent_a, team_a, team_b):
    mine = CustomerFactory(team=team_a)
    owned_elsewhere = CustomerFactory(owner=agent_a, team=team_b)
    hidden = CustomerFactory(team=team_b)
    now = timezone.now()
    older = InteractionFactory(customer=mine, occurred_at=now - timedelta(hours=2))
    newer = InteractionFactory(customer=owned_elsewhere, occurred_at=now - timedelta(hours=1))
    InteractionFactory(customer=hidden, occurred_at=now)
    InteractionFactory(customer=mine, occurred_at=now - timedelta(days=90))  # outside the window
    assert selectors.interactions_recent(user=agent_a, limit=10) == [newer, older]


def test_list_pages_merge_scope_parts_without_gaps_or_repeats(agent_a, team_a, team_b):
    expected = []
    for i in range(7):
        expected.append(CustomerFactory(owner=agent_a, team=team_b, first_name=f"الف{i}"))
        expected.append(CustomerFactory(owner=agent_a if i % 2 else None, team=team_a, first_name=f"ب{i}"))
    CustomerFactory(team=team_b, first_name="پنهان")
    seen, cursor = [], None
    while True:
        page = selectors.customer_list_page(user=agent_a, cursor=cursor, limit=4)
        seen += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    assert [c.pk for c in seen] == [c.pk for c in sorted(expected, key=lambda c: (c.sort_key, c.pk))]


def test_the_organisation_tree_pages_its_top_level_and_nests_the_rest(admin):
    roots = [OrganizationFactory(name=f"سازمان {i:02d}") for i in range(5)]
    child = OrganizationFactory(name="واحد فرعی", parent=roots[0])
    grandchild = OrganizationFactory(name="دفتر", parent=child)
    first = selectors.organization_roots_page(user=admin, limit=3)
    assert first.items == roots[:3]
    rest = selectors.organization_roots_page(user=admin, cursor=first.next_cursor, limit=3)
    assert rest.items == roots[3:] and rest.next_cursor is None
    tree = selectors.organization_subtree(user=admin, roots=first.items)
    assert tree[:3] == [(roots[0], 0), (child, 1), (grandchild, 2)]


def test_an_organisation_under_a_hidden_parent_is_a_top_level_one_for_that_user(agent_b, team_a, team_b):
    parent = OrganizationFactory(name="مادر", team=team_a)
    visible = OrganizationFactory(name="شعبه", team=team_b, parent=parent)
    assert selectors.organization_roots_page(user=agent_b).items == [visible]


def test_lists_are_in_persian_dictionary_order(admin, api_client):
    names = ["یاسر", "نوری", "کریم", "گلناز", "پارسا", "چنگیز", "آرش", "ژاله", "لیلا"]
    for name in names:
        CustomerFactory(first_name=name, last_name="")
    listed = [item["display_name"] for item in api_client(admin).get("/api/v1/customers").json()["items"]]
    assert listed == ["آرش", "پارسا", "چنگیز", "ژاله", "کریم", "گلناز", "لیلا", "نوری", "یاسر"]


def test_the_sort_key_migration_computes_what_the_services_store(admin):
    from django.db import connection

    from peyvand.core.text import sort_key
    from peyvand.customers.models import Customer

    people = [CustomerFactory(first_name=n, last_name="گودرزی") for n in ("پرستو", "ژیلا", "Ali", "چکاوک")]
    Customer.objects.update(sort_key="")
    migration = __import__("peyvand.customers.migrations.0004_fill_sort_key", fromlist=["forwards"])
    # A stand-in for the schema editor: the real one cannot open inside the test's transaction on SQLite.
    editor = SimpleNamespace(
        connection=connection, execute=lambda sql, params: connection.cursor().execute(sql, params)
    )
    migration.forwards(None, editor)
    for person in people:
        person.refresh_from_db()
        assert person.sort_key == sort_key(person.display_name)


def test_caller_id_gives_the_pop_up_each_visible_owner_of_the_number(agent_a, manager_a, team_a, team_a_sub, team_b):
    org = OrganizationFactory(team=team_a, name="فولاد مبارکه")
    mine = CustomerFactory(
        team=team_a, first_name="علی", last_name="رضایی", organization=org, job_title="مدیر خرید", phone="+989121234567"
    )
    below = CustomerFactory(team=team_a_sub, phone="+989121234567")
    other = CustomerFactory(team=team_b, phone="+989121234567")
    gone = CustomerFactory(team=team_a, phone="+989121234567", deleted_at=timezone.now())

    found = selectors.customer_lookup_by_phone(user=agent_a, phone="۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert found == [
        selectors.CallerMatch(
            id=mine.pk,
            kind="person",
            display_name="علی رضایی",
            lifecycle_stage=mine.lifecycle_stage,
            organization_id=org.pk,
            job_title="مدیر خرید",
            owner_id=mine.owner_id,
            team_id=team_a.pk,
            preferred_channel=mine.preferred_channel,
        )
    ]
    # A manager also sees the sub-team's customer; nobody sees another team's or a deleted one.
    assert [m.id for m in selectors.customer_lookup_by_phone(user=manager_a, phone="09121234567")] == [
        mine.pk,
        below.pk,
    ]
    assert other.pk not in {m.id for m in selectors.customer_lookup_by_phone(user=manager_a, phone="09121234567")}
    assert gone.pk not in {m.id for m in selectors.customer_lookup_by_phone(user=manager_a, phone="09121234567")}
    assert selectors.customer_lookup_by_phone(user=SimpleNamespace(is_authenticated=False), phone="09121234567") == []
