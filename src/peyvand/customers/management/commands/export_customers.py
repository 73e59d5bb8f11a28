"""`peyvand export_customers FILE.xlsx|FILE.csv`: write the customers a user may see, with filters, to a file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from peyvand.accounts.models import Role, User
from peyvand.customers import exporting
from peyvand.customers.health import PROBLEMS as HEALTH_PROBLEMS
from peyvand.customers.models import CustomerKind, LifecycleStage
from peyvand.customers.schemas import MAX_ID

# A mistake in the arguments, as argparse itself exits on one.
BAD_ARGUMENTS = 2


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_ARGUMENTS)


class Command(BaseCommand):
    help = (
        "Export the customers a user may see (all of them for an administrator) to FILE.xlsx or FILE.csv, "
        "optionally filtered like the customer list. Written here and now, whatever the size (the page and "
        "the API hand large exports to the worker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write; .xlsx (Excel) or .csv (UTF-8 with a BOM)")
        parser.add_argument("--user", help="export what this user may see (default: the first active administrator)")
        parser.add_argument("--q", default="", help="text search, as in the list's search box")
        parser.add_argument("--stage", choices=LifecycleStage.values, help="lifecycle stage")
        parser.add_argument("--kind", choices=CustomerKind.values, help="person or organization")
        parser.add_argument("--team", type=int, metavar="ID", help="team id")
        parser.add_argument("--owner", type=int, metavar="ID", help="account manager's user id")
        parser.add_argument("--organization", type=int, metavar="ID", help="the organisation's customer id")
        parser.add_argument("--tag", default="", help="tag name")
        parser.add_argument("--city", default="", help="city")
        parser.add_argument(
            "--health", choices=list(HEALTH_PROBLEMS), help="only customers with this data-health problem"
        )
        parser.add_argument("--months", type=int, metavar="N", help="months without activity, with --health inactive")
        parser.add_argument(
            "--lang",
            choices=["fa", "en"],
            default=(settings.LANGUAGE_CODE or "fa").split("-")[0],
            help="headers, labels and dates: fa (Jalali, sheet right to left) or en",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            raise _bad(f"Cannot tell the format of {str(path)!r}: the file name must end in .xlsx or .csv.")
        fmt: exporting.Format = "xlsx" if suffix == ".xlsx" else "csv"
        if path.is_dir():
            raise _bad(f"{str(path)!r} is a directory; give a file name ending in .{fmt}.")
        for name in ("team", "owner", "organization"):
            if options[name] is not None and not 0 < options[name] <= MAX_ID:
                raise _bad(f"--{name} must be a positive id.")
        if options["months"] is not None and not 0 < options["months"] < 1000:
            raise _bad("--months must be between 1 and 999.")
        user = self._user(options["user"])
        filters = exporting.ExportFilters(
            q=options["q"].strip(),
            kind=options["kind"] or "",
            stage=options["stage"] or "",
            owner=options["owner"],
            team=options["team"],
            tag=options["tag"].strip(),
            city=options["city"].strip(),
            organization=options["organization"],
            health=options["health"] or "",
            months=options["months"],
        )
        # Written beside the target and renamed at the end, so a failed export never leaves half a file
        # where a good one was expected (or was before).
        partial = path.with_name(f".{path.name}.partial")
        started = time.monotonic()
        try:
            with partial.open("wb") as out:
                rows = exporting.export_customers(
                    user=user, filters=filters, fmt=fmt, out=out, language=options["lang"]
                )
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Could not write {str(path)!r}: {exc.strerror or exc}.") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        seconds = time.monotonic() - started
        self.stdout.write(f"Wrote {rows:,} customers to {path} in {seconds:.1f} s.")

    def _user(self, username: str | None) -> User:
        if username is not None:
            try:
                return User.objects.get(username=username, is_active=True)
            except User.DoesNotExist:
                raise _bad(f"No active user named {username!r}.") from None
        admin = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("pk").first()
        if admin is None:
            raise _bad("There is no active administrator; name the user to export for with --user USERNAME.")
        self.stderr.write(f"No --user given: exporting what administrator {admin.username!r} sees.")
        return admin
