"""Customer import at scale: rows/s and peak memory of `peyvand import_customers`, against django-import-export
and against the database's own bulk load (the floor), into an empty and into a 1M-customer database.

    .venv/bin/python bench/import.py [--rows 100000] [--iie-rows 10000] [--memory-rows 1000000] [--skip-1m]

Prints its figures and PASS/MISS against the targets; see bench/README.md for what each figure means.
"""

# ruff: noqa: S603, RUF005 - it runs itself and the CLI with arguments it builds; tuples are joined for line length

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
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PEYVAND = ROOT / ".venv" / "bin" / "peyvand"
SOURCE_1M = VAR / "customers-1000000.sqlite3"
HEADER = ["نام", "نام خانوادگی", "موبایل", "کد ملی", "ایمیل", "شهر", "تاریخ تولد"]
TARGETS = {"vs_iie": 10.0, "vs_floor": 5.0, "peak_mb_1m_rows": 500.0}
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


# --- orchestration (parent process) -----------------------------------------------------------------------


def _env(db: Path) -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=f"sqlite:///{db}", PEYVAND_DEBUG="0")


def _measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB (this child alone, from wait4) and stdout of one command."""
    started = time.monotonic()
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        out = proc.stdout.read() if proc.stdout else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{out}")
    return seconds, usage.ru_maxrss / 1024, out


def _fresh_db(kind: str) -> Path:
    """A database in its starting state: an empty migrated one with the demo staff, or a copy of the 1M one."""
    target = VAR / f"import-{kind}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if kind == "1m":
        shutil.copyfile(SOURCE_1M, target)
    else:
        subprocess.run([str(PEYVAND), "migrate", "-v0"], env=_env(target), check=True)
    subprocess.run([sys.executable, __file__, "--worker", "staff"], env=_env(target), check=True)
    return target


def _worker(kind: str, db: Path, *extra: str) -> dict[str, Any]:
    seconds, peak, out = _measured([sys.executable, __file__, "--worker", kind, *extra], _env(db))
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["process_seconds"], result["peak_mb"] = round(seconds, 2), round(peak, 1)
    return result


def _import(db: Path, path: Path) -> dict[str, Any]:
    seconds, peak, out = _measured([str(PEYVAND), "import_customers", str(path), "--user", "admin"], _env(db))
    return {"seconds": round(seconds, 2), "peak_mb": round(peak, 1), "summary": out.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--iie-rows", type=int, default=10_000, help="rows django-import-export imports")
    parser.add_argument("--memory-rows", type=int, default=1_000_000, help="0 to skip the 1M-row memory run")
    parser.add_argument("--skip-1m", action="store_true", help="only the empty database")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("worker_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _setup_django()
        WORKERS[args.worker](*args.worker_args)
        return
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, SQLite, {args.rows:,} rows",
        flush=True,
    )
    VAR.mkdir(parents=True, exist_ok=True)
    _setup_django()
    csv_path, xlsx_path = write_files(args.rows)
    iie_path = VAR / f"import-{args.rows}-first-{args.iie_rows}.csv"
    with csv_path.open(encoding="utf-8-sig") as src, iie_path.open("w", encoding="utf-8-sig") as dst:
        for n, line in enumerate(src):
            if n > args.iie_rows:
                break
            dst.write(line)
    results: dict[str, Any] = {"rows": args.rows, "iie_rows": args.iie_rows}
    for kind in ("empty", *(() if args.skip_1m else ("1m",))):
        figures: dict[str, Any] = {}
        for label, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            figures[label] = _import(_fresh_db(kind), path)
            figures[label]["rows_per_s"] = round(args.rows / figures[label]["seconds"])
            print(f"[{kind}] peyvand {label}: {figures[label]}", flush=True)
        figures["iie"] = _worker("iie", _fresh_db(kind), str(iie_path))
        figures["iie"]["rows_per_s"] = round(args.iie_rows / figures["iie"]["seconds"])
        print(f"[{kind}] django-import-export ({args.iie_rows:,} rows): {figures['iie']}", flush=True)
        figures["floor"] = _worker("floor", _fresh_db(kind), str(args.rows))
        figures["floor"]["rows_per_s"] = round(args.rows / figures["floor"]["seconds"])
        print(f"[{kind}] floor (executemany of pre-built rows): {figures['floor']}", flush=True)
        results[kind] = figures
    if args.memory_rows:
        big_csv, _big_xlsx = write_files(args.memory_rows) if args.memory_rows != args.rows else (csv_path, None)
        results["memory"] = _import(_fresh_db("empty"), big_csv)
        results["memory"]["rows"] = args.memory_rows
        results["memory"]["rows_per_s"] = round(args.memory_rows / results["memory"]["seconds"])
        print(f"[empty] peyvand csv {args.memory_rows:,} rows: {results['memory']}", flush=True)
    _report(results)


def _report(results: dict[str, Any]) -> None:
    print()
    print("| database | file | peyvand rows/s | peak MB | × django-import-export | floor rows/s | floor / peyvand |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for kind in ("empty", "1m"):
        if kind not in results:
            continue
        f = results[kind]
        for label in ("csv", "xlsx"):
            ours = f[label]["rows_per_s"]
            vs_iie, vs_floor = ours / f["iie"]["rows_per_s"], f["floor"]["rows_per_s"] / ours
            verdicts += [vs_iie >= TARGETS["vs_iie"], vs_floor <= TARGETS["vs_floor"]]
            print(
                f"| {kind} | {label} | {ours:,} | {f[label]['peak_mb']:.0f} | {vs_iie:.1f}× | "
                f"{f['floor']['rows_per_s']:,} | {vs_floor:.1f}× |"
            )
        print(f"| {kind} | django-import-export | {f['iie']['rows_per_s']:,} | {f['iie']['peak_mb']:.0f} | | | |")
    if "memory" in results:
        peak = results["memory"]["peak_mb"]
        verdicts.append(peak <= TARGETS["peak_mb_1m_rows"])
        print(f"\npeak memory importing {results['memory']['rows']:,} rows: {peak:.0f} MB")
    print("\nALL TARGETS MET" if all(verdicts) else "\nSOME TARGETS MISSED")
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
    started = time.monotonic()
    result = CustomerResource().import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.monotonic() - started
    print(json.dumps({"seconds": round(seconds, 2), "errors": result.has_errors(), "totals": dict(result.totals)}))


def worker_floor(count: str) -> None:
    """The database's own bulk load of the same rows, already converted: customers, phones, e-mails,
    addresses and (SQLite) the FTS index, as executemany of pre-built tuples; no validation, no look-ups."""
    from django.db import connection, transaction
    from django.utils import timezone

    from peyvand.accounts.models import User
    from peyvand.core.text import sort_key_of_search_key
    from peyvand.customers import search_index
    from peyvand.customers.services import display_name_for, search_key_for

    admin = User.objects.get(username="admin")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM customers_customer")
        first_id = cursor.fetchone()[0]
    batch = 500  # the import's batch: one transaction each
    batches: list[tuple[list[Any], ...]] = []
    for n, (_cells, v) in enumerate(generate_rows(int(count))):
        if n % batch == 0:
            batches.append(([], [], [], []))
        customers, phones, emails, addresses = batches[-1]
        pk = first_id + n
        display = display_name_for(kind="person", first_name=v["first"], last_name=v["last"], name="")
        key = search_key_for(display)
        birth = v["birth"].isoformat() if v["birth"] else None
        customers.append(
            (pk, now, now, "person", v["first"], v["last"], "", display, key, sort_key_of_search_key(key), birth)
            + (v["code"], "prospect", "import", admin.pk, "{}")
        )
        phones.append((now, now, pk, v["e164"], "mobile", True))
        if v["email"]:
            emails.append((now, now, pk, v["email"], "work", True))
        addresses.append((now, now, pk, "work", "", v["city"], "", "", True))
    c_cols = "id, created_at, updated_at, kind, first_name, last_name, name, display_name, search_key, sort_key"
    c_cols += ", birth_date, national_id, lifecycle_stage, source, owner_id, custom_fields"
    fixed = ", gender, income_bracket, job_title, preferred_channel, settlement_habit, notes"
    statements = [
        f"INSERT INTO customers_customer ({c_cols}{fixed}) VALUES ({', '.join(['%s'] * 16)}, '', '', '', '', '', '')",
        "INSERT INTO customers_customerphone (created_at, updated_at, customer_id, number, kind, is_primary) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        "INSERT INTO customers_customeremail (created_at, updated_at, customer_id, email, kind, is_primary) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        "INSERT INTO customers_customeraddress (created_at, updated_at, customer_id, kind, province, city, "
        "line, postal_code, is_primary) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    ]
    started = time.monotonic()
    for tables in batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {search_index.FTS_TABLE}_ai")
            for sql, rows in zip(statements, tables, strict=True):
                if rows:
                    cursor.executemany(sql, rows)
            cursor.execute(
                f"INSERT INTO {search_index.FTS_TABLE}(rowid, search_key) "
                "SELECT id, search_key FROM customers_customer WHERE id BETWEEN %s AND %s",
                [tables[0][0][0], tables[0][-1][0]],
            )
            search_index.ensure_search_index(connection)
    print(json.dumps({"seconds": round(time.monotonic() - started, 2)}))


WORKERS = {"staff": worker_staff, "iie": worker_iie, "floor": worker_floor}


if __name__ == "__main__":
    main()
