"""`peyvand import_customers FILE`: import customers from a CSV or Excel file in the foreground."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.customers.importing.engine import run_import
from peyvand.customers.importing.jobs import import_job_cancel, import_job_create
from peyvand.customers.importing.readers import ImportFileError
from peyvand.customers.importing.rejected import rejected_rows_xlsx
from peyvand.customers.models import ImportJob, ImportMapping, ImportStatus, OnDuplicate

# Without a terminal (cron, CI logs) a line every this many rows instead of a redrawn bar.
LOG_EVERY = 5000


class Command(BaseCommand):
    help = "Import customers from a CSV (UTF-8 or Windows-1256) or Excel .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", help="the staff user the import runs as (default: the first administrator)")
        parser.add_argument("--mapping", help="the name of a saved column mapping")
        parser.add_argument("--mapping-file", help='a JSON file of heading → field, e.g. {"Mobile": "mobile"}')
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.SKIP)
        parser.add_argument("--dry-run", action="store_true", help="check every row and count, write nothing")
        parser.add_argument("--sheet", default="", help="the Excel sheet to read (default: the first with data)")
        parser.add_argument("--errors", help="where to write the rejected rows (default: FILE.rejected.xlsx)")

    def _fail(self, message: str) -> CommandError:
        return CommandError(message, returncode=2)

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise self._fail(_("There is no active user “%(name)s”.") % {"name": username})
            return user
        user = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if user is None:
            raise self._fail(_("Name the user to import as with --user."))
        return user

    def _mapping(self, options: dict[str, Any], user: User) -> tuple[ImportMapping | None, dict[str, str] | None]:
        if options["mapping"]:
            saved = ImportMapping.objects.filter(name=options["mapping"]).filter(created_by=user).first()
            if saved is None:
                saved = ImportMapping.objects.filter(name=options["mapping"], team=user.team).first()
            if saved is None:
                raise self._fail(_("There is no saved mapping “%(name)s”.") % {"name": options["mapping"]})
            return saved, None
        if options["mapping_file"]:
            try:
                raw = json.loads(Path(options["mapping_file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise self._fail(_("The mapping file cannot be read: %(reason)s") % {"reason": exc}) from None
            if not isinstance(raw, dict):
                raise self._fail(_("The mapping file must be a JSON object of heading → field."))
            from peyvand.core.text import search_key

            return ImportMapping(name="file", columns={search_key(str(k)): str(v) for k, v in raw.items()}), None
        return None, None

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise self._fail(_("There is no file %(path)s.") % {"path": path})
        user = self._user(options["user"])
        saved, _columns = self._mapping(options, user)
        try:
            with path.open("rb") as stream:
                job = import_job_create(
                    by=user,
                    stream=stream,
                    file_name=path.name,
                    on_duplicate=options["on_duplicate"],
                    dry_run=options["dry_run"],
                    sheet=options["sheet"],
                    saved_mapping=saved,
                )
        except ImportFileError as exc:
            raise self._fail(exc.message) from None
        unmapped = [h for i, h in enumerate(job.headers) if str(i) not in job.mapping]
        if unmapped:
            self.stderr.write(_("Columns left out: %(columns)s") % {"columns": "، ".join(unmapped)})
        job, interrupted = self._run(job, user)
        self._summary(job, path, options["errors"])
        if interrupted:
            self._interrupted(job)

    def _run(self, job: ImportJob, user: User) -> tuple[ImportJob, bool]:
        """Run the job; Ctrl-C cancels it after the batch being written (a second Ctrl-C at once, that batch
        rolled back). Either way the committed batches stay. Returns the job and whether it was cancelled."""
        asked, cancelled = threading.Event(), threading.Event()
        show = self._progress(job.total_rows or 0)

        def progress(current: ImportJob) -> None:
            show(current)
            if asked.is_set() and not cancelled.is_set():
                # Called between batches, outside their transactions: the engine sees the cancellation before
                # its next batch, stops, and records how many rows were kept. A copy is cancelled: the engine's
                # own object is its to save.
                cancelled.set()
                import_job_cancel(job=ImportJob.objects.get(pk=current.pk), by=user)

        def on_interrupt(signum: int, frame: Any) -> None:
            if asked.is_set():
                raise KeyboardInterrupt
            asked.set()
            self.stderr.write(
                "\n" + _("Stopping after the rows being written now (press Ctrl-C again to stop at once)…")
            )

        # Signal handlers can only be set from the main thread (not, say, when called from a test's thread).
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
        try:
            job = run_import(job.pk, progress=progress)
        except KeyboardInterrupt:
            # The batch being written was rolled back; the job is marked cancelled so that it is not left
            # «running» with no one running it.
            job.refresh_from_db()
            if job.status in (ImportStatus.PENDING, ImportStatus.RUNNING):
                import_job_cancel(job=job, by=user)
            # No run is left to close the job (the engine does that when it stops on its own); without this the
            # job page would wait for it.
            ImportJob.objects.filter(pk=job.pk, finished_at=None).update(
                finished_at=timezone.now(),
                message=_("Cancelled; the %(count)s rows already processed are kept.") % {"count": job.processed_rows},
            )
            job.refresh_from_db()
            return job, True
        finally:
            if in_main:
                # None: the handler before was not set from Python; Python's own is the right one to go back to.
                signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        return job, job.status == ImportStatus.CANCELLED

    def _interrupted(self, job: ImportJob) -> None:
        if job.dry_run:  # nothing was saved, so there is nothing to say about running it again
            raise CommandError(_("The import was cancelled."), returncode=130)
        saved = job.created_count + job.updated_count
        self.stderr.write(
            _("Cancelled: %(saved)d customers were saved (created or updated) from the first %(done)d rows.")
            % {"saved": saved, "done": job.processed_rows}
        )
        if job.on_duplicate == OnDuplicate.CREATE:
            self.stderr.write(
                _(
                    "This import created customers even when they existed: running the same file again with "
                    "--on-duplicate create adds those rows a second time; use --on-duplicate skip to add only "
                    "the rest."
                )
            )
        else:
            self.stderr.write(
                _(
                    "Running the same file again finds those customers by mobile, e-mail or national code and "
                    "skips or updates them instead of adding them twice (rows with none of these are added "
                    "again)."
                )
            )
        raise CommandError(_("The import was cancelled."), returncode=130)

    def _progress(self, total: int) -> Any:
        tty = sys.stderr.isatty()
        last = [0]

        def show(job: ImportJob) -> None:
            done = job.processed_rows
            if tty:
                width = 30
                filled = int(width * done / total) if total else width
                bar = "█" * filled + "░" * (width - filled)
                self.stderr.write(f"\r{bar} {done}/{total}", ending="")
                self.stderr.flush()
            elif done - last[0] >= LOG_EVERY:
                last[0] = done
                self.stderr.write(_("%(done)d of %(total)d rows") % {"done": done, "total": total})

        return show

    def _summary(self, job: ImportJob, path: Path, errors_path: str | None) -> None:
        if sys.stderr.isatty():
            self.stderr.write("")
        prefix = _("Dry run, nothing written: ") if job.dry_run else ""
        self.stdout.write(
            prefix
            + _(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(skipped)d skipped, "
                "%(rejected)d rejected."
            )
            % {
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "skipped": job.skipped_count,
                "rejected": job.error_count,
            }
        )
        if job.error_count:
            out = Path(errors_path) if errors_path else path.with_name(path.name + ".rejected.xlsx")
            with out.open("wb") as stream:
                rejected_rows_xlsx(job, stream)
            self.stdout.write(_("Rejected rows, with the reason for each: %(path)s") % {"path": out})
        if job.status not in (ImportStatus.DONE, ImportStatus.CANCELLED):
            raise CommandError(job.message, returncode=1)
