"""A long run of SQLite writes commits without checkpointing while a thread beside it moves the log into the
database file; afterwards the connection checkpoints as before. A larger page cache holds while inside."""

from __future__ import annotations

import os
import time

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper

from peyvand.core.sqlite import checkpoints_beside, page_cache


def _sqlite(path) -> DatabaseWrapper:
    return DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        }
    )


def _autocheckpoint(db: DatabaseWrapper) -> int:
    with db.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


def test_the_log_reaches_the_database_file_while_commits_do_not_checkpoint(tmp_path, django_db_blocker):
    # A database of its own, not the test database: pytest-django only has to let it connect.
    db = _sqlite(tmp_path / "customers.sqlite3")
    with django_db_blocker.unblock():
        _fill_beside_checkpoints(db, tmp_path / "customers.sqlite3")


def _fill_beside_checkpoints(db: DatabaseWrapper, path) -> None:
    try:
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
        before = os.path.getsize(path)
        with checkpoints_beside(db, every=0.02):
            assert _autocheckpoint(db) == 0
            for _batch in range(5):
                with db.cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.executemany("INSERT INTO t (text) VALUES (%s)", [("x" * 200,)] * 2000)
                    cursor.execute("COMMIT")
            deadline = time.monotonic() + 5
            while os.path.getsize(path) < before + 1_000_000 and time.monotonic() < deadline:
                time.sleep(0.02)
            # Two megabytes written; with commits not checkpointing, only the thread can have put them there.
            assert os.path.getsize(path) > before + 1_000_000
        assert _autocheckpoint(db) == 1000
        with db.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM t")
            assert cursor.fetchone()[0] == 10_000
    finally:
        db.close()


def test_it_leaves_an_in_memory_database_alone(django_db_blocker):
    db = _sqlite(":memory:")
    with django_db_blocker.unblock():
        try:
            with checkpoints_beside(db):
                assert _autocheckpoint(db) == 1000
        finally:
            db.close()


def _cache_size(db: DatabaseWrapper) -> int:
    with db.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


def test_a_larger_page_cache_holds_while_inside_and_the_old_size_comes_back(tmp_path, django_db_blocker):
    db = _sqlite(tmp_path / "cache.sqlite3")
    with django_db_blocker.unblock():
        try:
            db.ensure_connection()
            before = _cache_size(db)
            with page_cache(db, kib=16_384):
                assert _cache_size(db) == -16_384  # negative: KiB, not pages
            assert _cache_size(db) == before
            with pytest.raises(RuntimeError), page_cache(db, kib=4096):
                raise RuntimeError
            assert _cache_size(db) == before
        finally:
            db.close()


def test_the_log_stays_under_its_limit_however_much_is_written(tmp_path, django_db_blocker):
    # The thread beside cannot finish a log the writer keeps adding to, so without after_commit the log
    # would grow by everything written; with it, it starts again from the top once past the limit, and is
    # truncated at the end.
    path = tmp_path / "log.sqlite3"
    db = _sqlite(path)
    with django_db_blocker.unblock():
        try:
            with db.cursor() as cursor:
                cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
                cursor.execute("CREATE INDEX t_text ON t (text)")
            sizes = []
            with checkpoints_beside(db, every=0.01, limit=1_000_000) as log:
                for batch in range(40):
                    with db.cursor() as cursor:
                        cursor.execute("BEGIN")
                        rows = [(f"{batch:02d}{i:07d}" + "x" * 200,) for i in range(2000)]
                        cursor.executemany("INSERT INTO t (text) VALUES (%s)", rows)
                        cursor.execute("COMMIT")
                    # A real batch takes about a second, in which the thread (every 0.5 s) counts the log; these
                    # take milliseconds, so on a machine busy with other work the thread would not run between
                    # them at all: give it the time a real batch gives it.
                    time.sleep(0.03)
                    log.after_commit()
                    sizes.append(log.size())
                assert log.restarts >= 4
            # Written from its start again once restarted: the file stays at the limit plus the few
            # transactions (~1 MB each here) the thread had not counted yet or that a checkpoint in progress
            # held the restart off for (more of them on a busy machine, where the thread runs late); left to
            # grow, it would reach ~40 MB.
            assert max(sizes) < 12_000_000
            assert os.path.getsize(f"{path}-wal") < 1_000_000
            with db.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM t")
                assert cursor.fetchone()[0] == 80_000
        finally:
            db.close()
