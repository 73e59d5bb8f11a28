"""The database's own substring index over Customer.search_key: FTS5 trigram (SQLite), pg_trgm (PostgreSQL)."""

# ruff: noqa: S608 - every statement here is built from the constant table name above, never from input

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

FTS_TABLE = "customers_customer_fts"

_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_key, content='customers_customer', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON customers_customer BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON customers_customer BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_key ON customers_customer BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END",
]
_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer USING gin (search_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_phone_number_pattern ON customers_customerphone (number text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customer_email_pattern ON customers_customeremail (email text_pattern_ops)",
]


# PostgreSQL's search indexes (see _POSTGRES), dropped while demo data loads and built again at the end.
POSTGRES_INDEXES = ("customer_search_trgm", "customer_phone_number_pattern", "customer_email_pattern")


def ensure_search_index(connection: BaseDatabaseWrapper, *, rebuild: bool = False) -> None:
    """Create the index if missing. SQLite drops triggers when Django rebuilds a table in a later
    migration, so this also runs after every migrate (see apps.py)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in _SQLITE:
                cursor.execute(statement)
            if rebuild:
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            for statement in _POSTGRES:
                cursor.execute(statement)


def drop_search_index(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            for name in POSTGRES_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    ensure_search_index(connection)
    if connection.vendor == "sqlite":
        # SQLite plans with the statistics ANALYZE leaves; an index a migration added has none until then,
        # and without them its planner reads whole teams where one index walk would do (seconds at 1M).
        # Sampled, so it takes well under a second at a million customers. PostgreSQL's autovacuum does this.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE")
