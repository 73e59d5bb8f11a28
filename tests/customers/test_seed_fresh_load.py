"""A large demo load into an empty database drops the secondary indexes and builds them once at the end, in
one transaction: afterwards every index is back, and a load that fails half-way leaves nothing behind."""

import pytest
from django.db import connection

from peyvand.customers import demo, search_index, selectors
from peyvand.customers.models import Customer, CustomerPhone, Interaction

pytestmark = pytest.mark.django_db


def indexes() -> dict[str, set[str]]:
    """Every index on the demo tables, by table (as the database reports them)."""
    with connection.cursor() as cursor:
        return {
            table: {
                name
                for name, info in connection.introspection.get_constraints(cursor, table).items()
                if info["index"] or info["unique"] or info["primary_key"]
            }
            for table in demo.TABLES
        }


def test_a_fresh_load_builds_every_index_again_and_the_data_is_searchable(admin):
    before = indexes()
    assert sum(len(names) for names in before.values()) > 20  # the list indexes, the phone index, …
    staff = demo.ensure_staff()
    notes: list[str] = []
    during: list[dict[str, set[str]]] = []
    demo.seed_customers(
        count=250,
        seed=3,
        staff=staff,
        batch_size=100,
        fresh_load_min=1,
        note=notes.append,
        progress=lambda *_: during.append(indexes()),
    )
    assert "customer_name" in before[demo.CUSTOMERS]
    assert all("customer_name" not in seen[demo.CUSTOMERS] for seen in during)  # dropped while loading
    assert indexes() == before
    assert notes and notes[0].startswith("building ")
    assert Customer.objects.count() == 250
    number = CustomerPhone.objects.order_by("id").first()
    assert number is not None
    found = selectors.customer_lookup_by_phone(user=admin, phone=number.number)
    assert number.customer_id in {match.id for match in found}


def test_a_fresh_load_that_fails_half_way_leaves_the_database_as_it_was():
    before = indexes()
    staff = demo.ensure_staff()

    def fail_after_the_second_batch(done: int, _seconds: float) -> None:
        if done >= 200:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        demo.seed_customers(
            count=500, seed=4, staff=staff, batch_size=100, fresh_load_min=1, progress=fail_after_the_second_batch
        )
    assert Customer.objects.count() == 0 and Interaction.objects.count() == 0
    assert indexes() == before


def test_adding_to_existing_customers_keeps_the_indexes_in_place_batch_by_batch():
    staff = demo.ensure_staff()
    demo.seed_customers(count=50, seed=5, staff=staff, batch_size=50, fresh_load_min=1)
    before = indexes()
    seen: list[dict[str, set[str]]] = []
    demo.seed_customers(
        count=100, seed=6, staff=staff, batch_size=50, fresh_load_min=1, progress=lambda *_: seen.append(indexes())
    )
    # Never dropped while loading into a database that has customers (PostgreSQL's search indexes aside:
    # those are built again at the end of every load).
    kept = [{t: names - set(search_index.POSTGRES_INDEXES) for t, names in s.items()} for s in [before, *seen]]
    assert kept[1:] == [kept[0], kept[0]]
    assert indexes() == before
    assert Customer.objects.count() == 150
