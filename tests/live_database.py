"""The test database as another process (a server, a worker) can open it: PostgreSQL's test database as it is;
SQLite's in-memory one copied whole to a file. Rows the test wants the process to see must be committed first
(`transactional_db`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def database_url_for_process(tmp_path: Path) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    connection.ensure_connection()
    target = tmp_path / "process.sqlite3"
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return f"sqlite:///{target}"


def rows_in(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of `sql` as the other process left them in the database `database_url_for_process` gave it."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return list(db.execute(sql))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())
