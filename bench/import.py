"""Customer import at scale: rows/s, CPU and peak memory of `peyvand import_customers`, against
django-import-export and against the database's own bulk load (the floor), into an empty and into a
1M-customer database, on SQLite and/or PostgreSQL.

    .venv/bin/python bench/import.py [--rows 100000] [--iie-rows 10000] [--memory-rows 1000000] [--skip-1m]
                                     [--database sqlite|postgres|both]

Every command runs in a child process; its wall time, CPU time (user + system, its reaped child processes
included) and peak memory (the sum of the resident sets of the command and all its descendants, sampled
every 0.1 s) are measured. Prints its figures and PASS/MISS against the targets per database; see
bench/README.md for what each figure means and where the databases come from.
"""

# ruff: noqa: S603, RUF005 - it runs itself, the CLI and psql with arguments it builds; tuples are joined

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PEYVAND = ROOT / ".venv" / "bin" / "peyvand"
SOURCE_1M = VAR / "customers-1000000.sqlite3"
KEPT_CLUSTER = VAR / "postgres"  # where `bench/customers.py --database postgres --reuse` keeps its 1M database
HEADER = ["نام", "نام خانوادگی", "موبایل", "کد ملی", "ایمیل", "شهر", "تاریخ تولد"]
TARGETS = {"vs_iie": 10.0, "vs_floor": 5.0, "peak_mb_1m_rows": 500.0}
DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
KINDS = {"empty": "empty", "1m": "1M customers"}
# Mobile numbers come from demo.mobile_number(serial); the demo database uses serials up to ~1.1M, so the
# file's start far above them: its rows are new customers, as in a real import of a new list.
SERIAL_BASE = 20_000_000
# --- the file -----------------------------------------------------------------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
    import django

    django.setup()


def generate_rows(count: int, seed: int = 7) -> Any:
    """(file cells, canonical values) per row: what a person's spreadsheet holds, and what it means."""
    import jdatetime

    from peyvand.core.national_id import generate_national_code
    from peyvand.core.text import to_persian_digits
    from peyvand.customers.demo import EMAIL_DOMAINS, FEMALE, LAST, MALE, PLACES, mobile_number

    rng = random.Random(seed)
    codes: set[str] = set()
    cities = [p[1] for p in PLACES]
    weights = [p[3] for p in PLACES]
    for i in range(count):
        serial = SERIAL_BASE + i
        first, first_en = rng.choice(MALE) if rng.random() < 0.52 else rng.choice(FEMALE)
        last, last_en = rng.choice(LAST)
        e164 = mobile_number(serial)
        local = "0" + e164[3:]
        spelling = rng.random()
        if spelling < 0.6:
            mobile = local
        elif spelling < 0.75:
            mobile = f"+98 {e164[3:6]} {e164[6:9]} {e164[9:]}"
        elif spelling < 0.9:
            mobile = to_persian_digits(local)
        else:
            mobile = f"{local[:4]}-{local[4:7]}-{local[7:]}"
        code = ""
        if rng.random() < 0.8:
            while not code or code in codes:
                code = generate_national_code(rng)
            codes.add(code)
        email = f"{first_en}.{last_en}{serial}@{rng.choice(EMAIL_DOMAINS)}" if rng.random() < 0.35 else ""
        city = rng.choices(cities, weights)[0]
        birth: date | None = None
        birth_text = ""
        if rng.random() < 0.85:
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(55 * 365))
            jalali = jdatetime.date.fromgregorian(date=birth).strftime("%Y/%m/%d")
            birth_text = to_persian_digits(jalali) if rng.random() < 0.3 else jalali
        cells = [first, last, mobile, code, email, city, birth_text]
        yield (
            cells,
            {"first": first, "last": last, "e164": e164, "code": code, "email": email, "city": city, "birth": birth},
        )


def write_files(count: int) -> tuple[Path, Path]:
    import xlsxwriter

    csv_path, xlsx_path = VAR / f"import-{count}.csv", VAR / f"import-{count}.xlsx"
    if csv_path.exists() and xlsx_path.exists():
        return csv_path, xlsx_path
    started = time.monotonic()
    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    sheet = book.add_worksheet("مشتریان")
    with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        sheet.write_row(0, 0, HEADER)
        for n, (cells, _canonical) in enumerate(generate_rows(count), start=1):
            writer.writerow(cells)
            sheet.write_row(n, 0, cells)  # all text: a mobile keeps its leading 0 as people's files do
    book.close()
    print(f"generated {count:,} rows as CSV and XLSX in {time.monotonic() - started:.1f} s", flush=True)
    return csv_path, xlsx_path


# --- measuring one command (parent process) -----------------------------------------------------------------

CLOCK_TICKS, PAGE_SIZE = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, int, float]]:
    """Every process's parent, resident bytes (VmRSS) and CPU seconds so far, from /proc/<pid>/stat."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                text = stat.read()
        except OSError:  # it ended meanwhile
            continue
        # After "pid (command) ", which may hold spaces: proc(5) fields 4 ppid, 14 utime, 15 stime, 24 rss.
        fields = text[text.rindex(b")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        found[int(entry.name)] = (int(fields[1]), int(fields[21]) * PAGE_SIZE, cpu)
    return found


class TreeSampler(threading.Thread):
    """Every `interval` seconds, the resident memory of a process and all its descendants (the import's
    reading process among them): the peak of their sum, and each one's CPU time as last seen."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_bytes, self.most_processes = 0, 0
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)

    def sample(self) -> None:
        table = _processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _rss, _cpu) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            if pid in table:
                tree.append(pid)
                todo += children.get(pid, [])
        self.peak_bytes = max(self.peak_bytes, sum(table[pid][1] for pid in tree))
        self.most_processes = max(self.most_processes, len(tree))
        self.cpu.update((pid, table[pid][2]) for pid in tree)

    def stop(self) -> None:
        self.done.set()
        self.join()


def _measured(cmd: list[str], env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Wall seconds, CPU seconds, peak memory of the process tree and of the largest single process (wait4's
    ru_maxrss), and the stdout of one command."""
    started = time.monotonic()
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        sampler = TreeSampler(proc.pid)
        sampler.start()
        out = proc.stdout.read() if proc.stdout else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{out}")
    # wait4's usage holds the command's own CPU and that of the children it waited for (the import joins its
    # reading process); the samples cover a descendant nobody waited for.
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    figures = {
        "process_seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(sampler.peak_bytes / 2**20, 1),
        "peak_mb_main": round(usage.ru_maxrss / 1024, 1),
        "processes": sampler.most_processes,
    }
    return figures, out


def _env(url: str) -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=url, PEYVAND_DEBUG="0")


def _import(url: str, path: Path, rows: int) -> dict[str, Any]:
    """peyvand's own command, timed as a whole: start-up, row count and hashing included."""
    figures, out = _measured([str(PEYVAND), "import_customers", str(path), "--user", "admin"], _env(url))
    figures["seconds"], figures["cpu_timed_s"] = figures["process_seconds"], figures["cpu_s"]
    figures["rows_per_s"] = round(rows / figures["seconds"])
    figures["summary"] = out.strip().splitlines()[-1]
    return figures


def _worker(kind: str, url: str, rows: int, *extra: str) -> dict[str, Any]:
    """A worker of this script, timed by itself around the work (`seconds`, `cpu_timed_s`)."""
    figures, out = _measured([sys.executable, __file__, "--worker", kind, *extra], _env(url))
    figures.update(json.loads(out.strip().splitlines()[-1]))
    figures["rows_per_s"] = round(rows / figures["seconds"])
    return figures


# --- the databases each run starts from (parent process) ----------------------------------------------------


def _prepare(url: str) -> None:
    """Bring a database to the current schema and give it the demo staff (`admin` imports)."""
    subprocess.run([str(PEYVAND), "migrate", "-v0"], env=_env(url), check=True)
    subprocess.run([sys.executable, __file__, "--worker", "staff"], env=_env(url), check=True)


class SqliteDatabases:
    """Each run gets a copy of a template file, migrated once and given the demo staff: an empty database, or
    one made from var/bench/customers-1000000.sqlite3 (bench/customers.py). All are deleted at the end."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    @staticmethod
    def _path(name: str) -> Path:
        return VAR / f"import-{name}.sqlite3"

    @staticmethod
    def _remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def open(self, kinds: list[str]) -> None:
        for kind in kinds:
            if kind == "1m" and not SOURCE_1M.exists():
                print(
                    f"[sqlite] no {SOURCE_1M.relative_to(ROOT)}, skipping the 1M case; make it with "
                    "`.venv/bin/python bench/customers.py --customers 1000000 --database sqlite --reuse`",
                    flush=True,
                )
                continue
            template = self._path(f"template-{kind}")
            self._remove(template)
            if kind == "1m":
                shutil.copyfile(SOURCE_1M, template)
            _prepare(f"sqlite:///{template}")
            self.kinds.append(kind)

    def fresh(self, kind: str) -> str:
        template, target = self._path(f"template-{kind}"), self._path(kind)
        self._remove(target)
        for suffix in ("", "-wal"):  # a write-ahead log not yet checkpointed is part of the database
            if Path(f"{template}{suffix}").exists():
                shutil.copyfile(f"{template}{suffix}", f"{target}{suffix}")
        return f"sqlite:///{target}"

    def close(self) -> None:
        for kind in KINDS:
            self._remove(self._path(kind))
            self._remove(self._path(f"template-{kind}"))


class PostgresDatabases:
    """Each run gets `CREATE DATABASE peyvand_import_run TEMPLATE …` (a file copy) of a template database,
    migrated once and given the demo staff: `peyvand_import_empty`, and `peyvand_import_1m` copied from the 1M
    database bench/customers.py leaves. The server: $BENCH_DATABASE_URL's (its database is the 1M one); else
    the kept cluster in var/bench/postgres (database `peyvand_bench`) when the 1M case is wanted and that
    cluster exists; else a throw-away cluster. The databases made here are dropped at the end."""

    RUN = "peyvand_import_run"

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.server: Any = None
        self.created: list[str] = []
        self.base = self.source = ""

    def open(self, kinds: list[str]) -> None:
        url = os.environ.get("BENCH_DATABASE_URL") or self._start(want_1m="1m" in kinds)
        self.base, self.source = url.split("?")[0].rsplit("/", 1)
        for kind in kinds:
            if kind == "1m" and not self._has_1m():
                continue
            template = f"peyvand_import_{kind}"
            self._create(template, template=self.source if kind == "1m" else "template1")
            _prepare(f"{self.base}/{template}")
            self.kinds.append(kind)

    def _start(self, *, want_1m: bool) -> str:
        # The cluster helper of bench/_common.py: the same server settings as the customer measurements.
        from _common import PostgresServer

        if want_1m and (KEPT_CLUSTER / "data" / "PG_VERSION").exists():
            try:
                self.server = PostgresServer(keep=True)
                return str(self.server.start())
            except subprocess.CalledProcessError:
                self.server = None
                print("[postgres] the kept cluster in var/bench/postgres did not start (running already?)", flush=True)
        self.server = PostgresServer(keep=False)
        return str(self.server.start())

    def _psql(self, sql: str, database: str = "postgres", *, check: bool = True) -> str | None:
        from customers import PG_BIN

        done = subprocess.run(
            [str(PG_BIN / "psql"), f"{self.base}/{database}", "-XtAqc", sql], capture_output=True, text=True
        )
        if done.returncode != 0:
            if check:
                raise SystemExit(f"psql {sql!r} failed: {done.stderr}")
            return None
        return done.stdout.strip()

    def _has_1m(self) -> bool:
        count = self._psql("SELECT count(*) FROM customers_customer", self.source, check=False)
        if count and int(count) >= 1_000_000:
            return True
        print(
            f"[postgres] no 1M-customer database ({self.source!r} holds {count or 'no customers table'}), skipping "
            "the 1M case; make it with `.venv/bin/python bench/customers.py --customers 1000000 --database "
            "postgres --reuse` (kept in var/bench/postgres)",
            flush=True,
        )
        return False

    def _create(self, name: str, *, template: str) -> None:
        # FILE_COPY copies the template's files; the default (WAL_LOG) would write a 1M database through the WAL.
        self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._psql(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        if name not in self.created:
            self.created.append(name)

    def fresh(self, kind: str) -> str:
        self._create(self.RUN, template=f"peyvand_import_{kind}")
        return f"{self.base}/{self.RUN}"

    def close(self) -> None:
        try:
            for name in reversed(self.created):
                self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)
        finally:
            if self.server is not None:
                self.server.stop()


# --- the run (parent process) -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iie-rows", type=int, default=10_000, help="rows django-import-export imports")
    parser.add_argument("--memory-rows", type=int, default=1_000_000, help="0 to skip the 1M-row memory run")
    parser.add_argument("--skip-1m", action="store_true", help="only the empty database")
    parser.add_argument(
        "--database", choices=["sqlite", "postgres", "both"], default="sqlite", help="default sqlite: see README"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("worker_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _setup_django()
        WORKERS[args.worker](*args.worker_args)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    VAR.mkdir(parents=True, exist_ok=True)
    _setup_django()
    from peyvand.customers.importing.engine import BATCH_SIZE

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{' and '.join(DATABASES[d] for d in databases)}, {args.rows:,} rows, batches of {BATCH_SIZE:,}",
        flush=True,
    )
    files = write_files(args.rows)
    iie_path = VAR / f"import-{args.rows}-first-{args.iie_rows}.csv"
    with files[0].open(encoding="utf-8-sig") as src, iie_path.open("w", encoding="utf-8-sig") as dst:
        for n, line in enumerate(src):
            if n > args.iie_rows:
                break
            dst.write(line)
    big_csv = files[0]
    if args.memory_rows and args.memory_rows != args.rows:
        big_csv = write_files(args.memory_rows)[0]
    results: dict[str, Any] = {"rows": args.rows, "iie_rows": args.iie_rows, "batch_size": BATCH_SIZE}
    kinds = ["empty"] if args.skip_1m else ["empty", "1m"]
    for database in databases:
        place = SqliteDatabases() if database == "sqlite" else PostgresDatabases()
        try:
            place.open(kinds)
            results[database] = _measure(database, place, args, files, iie_path, big_csv)
        finally:
            place.close()
    _report(results, databases)


def _measure(
    database: str, place: Any, args: argparse.Namespace, files: tuple[Path, Path], iie_path: Path, big_csv: Path
) -> dict[str, Any]:
    """Every run on one database: peyvand (CSV, XLSX), django-import-export and the floor per starting
    database, then the memory run."""
    out: dict[str, Any] = {}

    def say(kind: str, what: str, figures: dict[str, Any]) -> None:
        shown = {k: v for k, v in figures.items() if k not in ("totals",)}
        print(f"[{database} {kind}] {what}: {shown}", flush=True)

    for kind in place.kinds:
        figures: dict[str, Any] = {}
        for label, path in zip(("csv", "xlsx"), files, strict=True):
            figures[label] = _import(place.fresh(kind), path, args.rows)
            say(kind, f"peyvand {label}", figures[label])
        figures["iie"] = _worker("iie", place.fresh(kind), args.iie_rows, str(iie_path))
        say(kind, f"django-import-export ({args.iie_rows:,} rows)", figures["iie"])
        figures["floor"] = _worker("floor", place.fresh(kind), args.rows, str(args.rows))
        say(kind, "floor (bulk load of pre-built rows)", figures["floor"])
        out[kind] = figures
    if args.memory_rows:
        out["memory"] = _import(place.fresh("empty"), big_csv, args.memory_rows)
        out["memory"]["rows"] = args.memory_rows
        say("empty", f"peyvand csv {args.memory_rows:,} rows", out["memory"])
    return out


def _row(database: str, kind: str, what: str, f: dict[str, Any], vs_iie: str = "", vs_floor: str = "") -> str:
    return (
        f"| {DATABASES[database]} | {KINDS[kind]} | {what} | {f['rows_per_s']:,} | {f['seconds']:.1f} | "
        f"{f['cpu_timed_s']:.1f} | {f['peak_mb']:.0f} | {f['peak_mb_main']:.0f} | {vs_iie} | {vs_floor} |"
    )


def _report(results: dict[str, Any], databases: list[str]) -> None:
    print()
    print(
        "| database | start | run | rows/s | s | CPU s | peak MB (tree) | peak MB (1 process) | "
        f"× django-import-export (≥ {TARGETS['vs_iie']:g}×) | floor / peyvand (≤ {TARGETS['vs_floor']:g}×) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts: dict[str, bool] = {}
    for database in databases:
        met: list[bool] = []
        for kind in KINDS:
            if kind not in results[database]:
                continue
            f = results[database][kind]
            for label in ("csv", "xlsx"):
                vs_iie = f[label]["rows_per_s"] / f["iie"]["rows_per_s"]
                vs_floor = f["floor"]["rows_per_s"] / f[label]["rows_per_s"]
                met += [vs_iie >= TARGETS["vs_iie"], vs_floor <= TARGETS["vs_floor"]]
                iie_cell = f"{vs_iie:.1f}× {'PASS' if met[-2] else 'MISS'}"
                floor_cell = f"{vs_floor:.1f}× {'PASS' if met[-1] else 'MISS'}"
                print(_row(database, kind, f"peyvand {label.upper()}", f[label], iie_cell, floor_cell))
            print(_row(database, kind, f"django-import-export, {results['iie_rows']:,} rows", f["iie"]))
            print(_row(database, kind, "floor (pre-built rows)", f["floor"]))
        if "memory" in results[database]:
            memory = results[database]["memory"]
            met.append(memory["peak_mb"] <= TARGETS["peak_mb_1m_rows"])
            verdict = f"peak {'PASS' if met[-1] else 'MISS'} (≤ {TARGETS['peak_mb_1m_rows']:g} MB)"
            print(_row(database, "empty", f"peyvand CSV, {memory['rows']:,} rows", memory, verdict))
        verdicts[database] = all(met)
    print()
    for database, met_all in verdicts.items():
        print(f"{DATABASES[database]}: {'ALL TARGETS MET' if met_all else 'SOME TARGETS MISSED'}")
    results["verdicts"] = verdicts
    print("RESULT " + json.dumps(results, ensure_ascii=False))


# --- workers (child processes, Django set up against DATABASE_URL) ----------------------------------------


def worker_staff() -> None:
    from peyvand.customers.demo import ensure_staff

    ensure_staff()


def worker_iie(path: str) -> None:
    """django-import-export importing the same file into Customer, as a Django project would set it up: a
    ModelResource with the name columns, national code as the duplicate key, a Jalali date widget, the
    model's own validation, and the phone and e-mail saved after each customer."""
    import tablib
    from import_export import fields, resources, widgets

    from peyvand.core.jalali import parse_date
    from peyvand.core.phone import normalize_phone
    from peyvand.core.text import sort_key_of_search_key
    from peyvand.customers.models import Customer, CustomerAddress, CustomerEmail, CustomerPhone
    from peyvand.customers.services import display_name_for, search_key_for

    class JalaliDate(widgets.DateWidget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return parse_date(str(value)) if value else None

    class CustomerResource(resources.ModelResource):
        first_name = fields.Field(attribute="first_name", column_name="نام")
        last_name = fields.Field(attribute="last_name", column_name="نام خانوادگی")
        national_id = fields.Field(attribute="national_id", column_name="کد ملی")
        birth_date = fields.Field(attribute="birth_date", column_name="تاریخ تولد", widget=JalaliDate())

        class Meta:
            model = Customer
            fields = ("id", "first_name", "last_name", "national_id", "birth_date")
            import_id_fields = ("national_id",)
            clean_model_instances = True
            skip_unchanged = True

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.display_name = display_name_for(
                kind="person", first_name=instance.first_name, last_name=instance.last_name, name=""
            )
            instance.search_key = search_key_for(instance.display_name)
            instance.sort_key = sort_key_of_search_key(instance.search_key)
            instance.source = "import"

        def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            if row.get("موبایل"):
                number = normalize_phone(str(row["موبایل"]))
                CustomerPhone.objects.get_or_create(customer=instance, number=number, defaults={"is_primary": True})
            if row.get("ایمیل"):
                email = str(row["ایمیل"]).lower()
                CustomerEmail.objects.get_or_create(customer=instance, email=email, defaults={"is_primary": True})
            if row.get("شهر"):
                CustomerAddress.objects.get_or_create(customer=instance, city=row["شهر"], defaults={"kind": "home"})

    with open(path, encoding="utf-8-sig") as stream:
        dataset = tablib.Dataset().load(stream.read(), format="csv")
    started, cpu = time.monotonic(), time.process_time()
    result = CustomerResource().import_data(dataset, dry_run=False, use_transactions=True)
    timed = {"seconds": round(time.monotonic() - started, 2), "cpu_timed_s": round(time.process_time() - cpu, 2)}
    print(json.dumps({**timed, "errors": result.has_errors(), "totals": dict(result.totals)}))


def worker_floor(count: str) -> None:
    """The database's own bulk load of the same rows, already converted: customers, phones, e-mails and
    addresses in batches of the import's BATCH_SIZE, one transaction each; executemany and the FTS index
    filled per batch on SQLite, COPY on PostgreSQL (whose trigram index is an ordinary index, kept up by the
    load). No revision rows, no validation, no look-ups. Ids are taken before the timing (SQLite: after the
    largest id; PostgreSQL: from the customers' sequence), so the timed part is the load alone."""
    from django.db import connection, transaction
    from django.utils import timezone

    from peyvand.accounts.models import User
    from peyvand.core.text import sort_key_of_search_key
    from peyvand.customers import search_index
    from peyvand.customers.importing.engine import BATCH_SIZE
    from peyvand.customers.services import display_name_for, search_key_for

    rows, sqlite = int(count), connection.vendor == "sqlite"
    admin = User.objects.get(username="admin")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM customers_customer")
            first = cursor.fetchone()[0]
            ids = list(range(first, first + rows))
        else:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('customers_customer', 'id')) FROM generate_series(1, %s)",
                [rows],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
    batches: list[tuple[list[Any], ...]] = []
    for n, (_cells, v) in enumerate(generate_rows(rows)):
        if n % BATCH_SIZE == 0:
            batches.append(([], [], [], []))
        customers, phones, emails, addresses = batches[-1]
        pk = ids[n]
        display = display_name_for(kind="person", first_name=v["first"], last_name=v["last"], name="")
        key = search_key_for(display)
        birth = v["birth"].isoformat() if v["birth"] else None
        customers.append(
            (pk, now, now, "person", v["first"], v["last"], "", display, key, sort_key_of_search_key(key), birth)
            + (v["code"], "prospect", "import", admin.pk, "{}", "", "", "", "", "", "", "")
        )
        phones.append((now, now, pk, v["e164"], "mobile", True))
        if v["email"]:
            emails.append((now, now, pk, v["email"], "work", True))
        addresses.append((now, now, pk, "work", "", v["city"], "", "", True))
    started, cpu = time.monotonic(), time.process_time()
    for tables in batches:
        with transaction.atomic(), connection.cursor() as cursor:
            if sqlite:
                cursor.execute(f"DROP TRIGGER IF EXISTS {search_index.FTS_TABLE}_ai")
            for (table, columns), table_rows in zip(FLOOR_TABLES, tables, strict=True):
                if not table_rows:
                    continue
                if sqlite:
                    marks = ", ".join(["%s"] * len(columns.split(",")))
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", table_rows)
                else:
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in table_rows:
                            copy.write_row(row)
            if sqlite:
                cursor.execute(
                    f"INSERT INTO {search_index.FTS_TABLE}(rowid, search_key) "
                    "SELECT id, search_key FROM customers_customer WHERE id BETWEEN %s AND %s",
                    [tables[0][0][0], tables[0][-1][0]],
                )
                search_index.ensure_search_index(connection)
    timed = {"seconds": round(time.monotonic() - started, 2), "cpu_timed_s": round(time.process_time() - cpu, 2)}
    print(json.dumps(timed))


FLOOR_TABLES = [  # (table, columns) in the order of the floor's pre-built tuples
    (
        "customers_customer",
        "id, created_at, updated_at, kind, first_name, last_name, name, display_name, search_key, sort_key, "
        "birth_date, national_id, lifecycle_stage, source, owner_id, custom_fields, "
        "gender, income_bracket, job_title, preferred_channel, settlement_habit, tier, notes",
    ),
    ("customers_customerphone", "created_at, updated_at, customer_id, number, kind, is_primary"),
    ("customers_customeremail", "created_at, updated_at, customer_id, email, kind, is_primary"),
    (
        "customers_customeraddress",
        "created_at, updated_at, customer_id, kind, province, city, line, postal_code, is_primary",
    ),
]


WORKERS = {"staff": worker_staff, "iie": worker_iie, "floor": worker_floor}


if __name__ == "__main__":
    main()
