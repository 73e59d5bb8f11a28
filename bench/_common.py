"""What the bench scripts share: the private PostgreSQL server, running one worker process per database, the
bulk loader and the timing helpers. The scripts import it as a sibling (`python bench/x.py` puts bench/ first
on sys.path)."""

# ruff: noqa: S603, S607 - it runs the PostgreSQL tools and the scripts with arguments it builds, never user input

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent

# bench/channels.py shares its name with the Django Channels package: with bench/ first on sys.path, Django's
# `import channels` would load the script. bench/ goes last, so packages win and siblings still import.
_BENCH = str(Path(__file__).resolve().parent)
if sys.path and os.path.abspath(sys.path[0] or ".") == _BENCH:
    sys.path.append(sys.path.pop(0))
VAR = ROOT / "var" / "bench"
PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))


# --- orchestration (parent process) ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` system user (or nobody)."""
    if os.geteuid() != 0:
        return cmd
    user = "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
    return ["runuser", "-u", user, "--", *cmd]


class PostgresServer:
    """A private PostgreSQL on a free loopback port; the data directory is temporary unless `keep`."""

    def __init__(self, keep: bool) -> None:
        self.dir = VAR / "postgres" if keep else Path(tempfile.mkdtemp(prefix="peyvand-bench-pg-"))
        self.keep, self.port = keep, _free_port()
        self.data = self.dir / "data"

    def start(self) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"
            shutil.chown(self.dir, owner)
        if not (self.data / "PG_VERSION").exists():
            initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
            subprocess.run(_as_pg_user([*initdb, "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c shared_buffers=1GB "
            "-c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=16MB -c effective_cache_size=8GB "
            "-c random_page_cost=1.1"
        )
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o", options]
        subprocess.run(_as_pg_user([*pg_ctl, "start"]), check=True, capture_output=True)
        base = f"postgres://postgres@127.0.0.1:{self.port}/"
        subprocess.run(
            [str(PG_BIN / "psql"), base + "postgres", "-qc", "CREATE DATABASE peyvand_bench"], capture_output=True
        )
        return base + "peyvand_bench"

    def stop(self) -> None:
        subprocess.run(
            _as_pg_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]), capture_output=True
        )
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def machine_line() -> str:
    """The start of a run's first line: when, where, how many CPUs, which Python."""
    return (
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def sqlite_remove(path: Path) -> None:
    """Delete a SQLite database file with its journal files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_worker(script: str, database: str, url: str) -> int:
    """Run `script` again as the worker for one database (Django settings are per process). The worker gets
    the same options (any a part adds included), less the choice of database."""
    env = dict(os.environ, DATABASE_URL=url, PEYVAND_API_RATE_LIMIT="100000000", PEYVAND_DEBUG="0")
    forwarded, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--database":
            skip = True
        elif not arg.startswith("--database="):
            forwarded.append(arg)
    cmd = [sys.executable, script, "--worker", database, *forwarded]
    return subprocess.run(cmd, env=env, check=False).returncode


def run_on_postgres(script: str, args: argparse.Namespace) -> int:
    """The worker on $BENCH_DATABASE_URL if set, else on a private server started (and stopped) for it."""
    url = os.environ.get("BENCH_DATABASE_URL")
    server = None if url else PostgresServer(keep=args.reuse)
    try:
        url = url or server.start()  # type: ignore[union-attr]
        return run_worker(script, "postgres", url)
    finally:
        if server:
            server.stop()


def run_databases(
    script: str,
    args: argparse.Namespace,
    *,
    sqlite_path: Path,
    fresh: bool,
    fill: Callable[[Path], None] | None = None,
) -> NoReturn:
    """The worker on each database `--database` names, then exit: 1 if any failed. The SQLite file is deleted
    first when `fresh`, then handed to `fill` (if given) to start from a copy."""
    failed = 0
    if args.database in ("sqlite", "both"):
        VAR.mkdir(parents=True, exist_ok=True)
        if fresh:
            sqlite_remove(sqlite_path)
            if fill is not None:
                fill(sqlite_path)
        failed |= run_worker(script, "sqlite", f"sqlite:///{sqlite_path}")
    if args.database in ("postgres", "postgresql", "both"):
        failed |= run_on_postgres(script, args)
    sys.exit(failed)


# --- measuring (worker process, one database) -----------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Each of `repeat` runs' time in milliseconds."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def rows_insert(model: Any, columns: list[str], batches: Iterator[list[tuple[Any, ...]]]) -> float:
    """Load the rows into `model`'s table with its secondary indexes dropped and built once at the end,
    in one transaction: executemany on SQLite, COPY on PostgreSQL. Returns seconds."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    table = model._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = %s",
                [table],
            )
        else:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
                [table],
            )
        dropped = [(n, sql) for n, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]
        for name, _sql in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        names = ", ".join(columns)
        for rows in batches:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        if connection.vendor == "postgresql":
            # The foreign keys are checked at commit; PostgreSQL refuses CREATE INDEX while checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, sql in dropped:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
    return time.perf_counter() - started


class BenchWorker:
    """The worker process's common state: its arguments, its database's name, the figures and a seeded rng.
    A subclass names its `targets`; `verdict` reads them as ceilings (a script whose targets are floors
    overrides it)."""

    targets: dict[str, float] = {}

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.db = args, args.worker
        self.results: dict[str, Any] = {"database": self.db}
        self.rng = random.Random(42)

    def say(self, text: str) -> None:
        print(f"[{self.db}] {text}", flush=True)

    def verdict(self, name: str, value: float, target: str) -> str:
        ok = value <= self.targets[target]
        self.results.setdefault("verdicts", {})[name] = ok
        return f"{'PASS' if ok else 'MISS'} (target ≤ {self.targets[target]:g})"

    def database_ready(self) -> None:
        """Django set up in this process and its database (DATABASE_URL) migrated."""
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
