"""Numbers in query strings and forms: what cannot be meant as an id is ignored, never an error."""

from __future__ import annotations

import pytest

from peyvand.core.http import query_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), (" 7 ", 7), ("", None), (None, None), ("-3", None), ("4x", None), ("1" * 18, int("1" * 18))],
)
def test_it_reads_a_whole_number_or_nothing(value, expected):
    assert query_int({"n": value}, "n") == expected


def test_it_ignores_a_number_too_long_for_a_database_id():
    # 19 digits can pass 2**63 - 1; SQLite would raise OverflowError and PostgreSQL "out of range".
    assert query_int({"n": "9" * 19}, "n") is None


def test_the_customer_list_ignores_an_owner_too_long_to_be_an_id(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/customers/", {"owner": "9" * 25}).status_code == 200
