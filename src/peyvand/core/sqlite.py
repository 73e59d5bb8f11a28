"""SQLite for a long run of writes: its write-ahead log checkpointed beside the writer instead of inside its
commits, and a larger page cache."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)


class WriteAheadLog:
    """The log of a database written under checkpoints_beside: see after_commit."""

    def __init__(self, connection: Any, path: str, *, limit: int) -> None:
        self.connection, self.path, self.limit = connection, path, limit
        self.page_bytes = 4096
        self.frames = 0  # in the log at the thread's last checkpoint (each a page and a 24-byte header)
        self.restarts = 0

    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def after_commit(self) -> None:
        """Call between transactions. A checkpoint beside the writer never catches up with a writer that keeps
        adding to the log, and SQLite starts the log again only from a checkpoint that did: left alone, the
        log grew by everything an import wrote (1.35 GB for 100,000 rows into a 1M-customer file). Once it
        holds `limit` bytes, the writer checkpoints the rest itself (about a second for a transaction into
        a 1M-customer file; readers may hold it off, and it is tried again after the next commit), and the
        next transaction writes the log from its start; the file keeps its size for that, and is
        truncated when the run ends."""
        if self.connection is None or self.frames * (self.page_bytes + 24) < self.limit:
            return
        with self.connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(RESTART)")
            busy = cursor.fetchone()[0]
        if not busy:
            self.frames = 0
            self.restarts += 1

    def truncate(self) -> None:
        if self.connection is not None:
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def checkpoints_beside(connection: Any, *, every: float = 0.5, limit: int = 2**30) -> Iterator[WriteAheadLog]:
    """While inside, `connection` (a Django connection) commits without checkpointing, and a thread with its
    own connection to the same file copies the log into the database every `every` seconds; the caller
    calls `after_commit()` of what this yields between its transactions, which keeps the log under about
    `limit` bytes.

    A commit that crosses SQLite's auto-checkpoint threshold copies the whole log into the database and
    syncs it before returning: a quarter of a large import's time into a 1M-customer file went there. A
    PASSIVE checkpoint from another connection neither waits for nor blocks the writer, and its work (in
    SQLite's C code, without the GIL, and mostly waiting for the disk) overlaps the next batch. On any other
    database, or an in-memory one, this does nothing."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        yield WriteAheadLog(None, "", limit=limit)
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.execute("PRAGMA page_size")
        page_bytes = int(cursor.fetchone()[0])
    stop = threading.Event()
    log = WriteAheadLog(connection, name + "-wal", limit=limit)
    log.page_bytes = page_bytes

    def checkpoint() -> None:
        try:
            side = sqlite3.connect(name, timeout=0, check_same_thread=False)
        except sqlite3.Error:
            logger.warning("No second connection to checkpoint %s", name, exc_info=True)
            return
        try:
            while not stop.wait(every):
                _busy, frames, _done = side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                log.frames = max(int(frames), 0)  # -1 when it could not run
        except sqlite3.Error:
            logger.warning("Checkpointing %s beside the writer stopped", name, exc_info=True)
        finally:
            side.close()

    thread = threading.Thread(target=checkpoint, name="sqlite-checkpoint", daemon=True)
    thread.start()
    try:
        yield log
    finally:
        stop.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {before:d}")
        log.truncate()  # the disk back at the end rather than at some later commit


@contextmanager
def page_cache(connection: Any, *, kib: int) -> Iterator[None]:
    """While inside, `connection` (a Django connection to SQLite) keeps up to `kib` KiB of pages in memory
    (SQLite's default is 2,000 KiB), then goes back to what it had.

    A large import's transaction touches leaf pages of every index across a 1M-customer file; with room for
    the pages it comes back to within the transaction, fewer are read again and fewer dirty pages spill to
    the log before the commit (measured: 16 MiB made a 100,000-row import 8 % faster; 64 MiB no faster
    than 16). On any other database this does nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-int(kib):d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before:d}")
