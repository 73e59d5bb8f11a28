"""Finding customers that may be one: certain matches on identifiers, probable ones on similar names.

Three entry points share one notion of a match: `record_candidates` (on every save), `record_candidates_for`
(a batch of imported customers) and `scan_duplicates` (the periodic scan over everything, which `peyvand
worker` queues on a schedule: `duplicate_scan_schedule`). The matching lives in `matching`, the scan in
`scan`; the background tasks are defined here so that their queued paths stay
`peyvand.customers.duplicates.<task>`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import TaskResult, task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from peyvand.accounts.models import User
from peyvand.customers.duplicates.matching import (
    CERTAIN_SCORE,
    NAME_THRESHOLD,
    PREFIX_LETTERS,
    REASONS,
    SAVE_CANDIDATES,
    Duplicate,
    close_stale_pairs,
    find_duplicates_of,
    name_key,
    name_score,
    pairs_that_hold,
    record_candidates,
    record_candidates_for,
    save_pairs,
)
from peyvand.customers.duplicates.scan import MAX_BLOCK, MAX_GROUP, scan_duplicates
from peyvand.customers.models import DuplicateCandidate, DuplicateSource, DuplicateStatus
from peyvand.customers.selectors import customers_visible_to

__all__ = [
    "CERTAIN_SCORE",
    "MAX_BLOCK",
    "MAX_GROUP",
    "NAME_THRESHOLD",
    "PREFIX_LETTERS",
    "REASONS",
    "SAVE_CANDIDATES",
    "Duplicate",
    "close_stale_pairs",
    "duplicate_scan_schedule",
    "find_duplicates_of",
    "name_key",
    "name_score",
    "open_duplicates_visible_to",
    "pairs_that_hold",
    "record_candidates",
    "record_candidates_for",
    "record_candidates_task",
    "save_pairs",
    "scan_duplicates",
    "scan_duplicates_task",
]


@task()
def record_candidates_task(customer_ids: list[int]) -> int:
    """Duplicate detection for customers an import created, run after their batch is committed so that the
    import itself does not wait for it (updated customers are checked on save, like any other update)."""
    return record_candidates_for(customer_ids, found_by=DuplicateSource.IMPORT)


@task()
def scan_duplicates_task() -> dict[str, int]:
    """The periodic scan as a background task: `peyvand worker` queues it every PEYVAND_DUPLICATE_SCAN_HOURS
    (see duplicate_scan_schedule); `peyvand scan_duplicates` runs it in the foreground."""
    return scan_duplicates()


# --- the schedule ---------------------------------------------------------------------------------------

# The PostgreSQL advisory lock that serialises "is a scan due?" among workers (any fixed 64-bit number that
# nothing else in the database uses; these are the bytes of "pvdupscn").
SCAN_SCHEDULE_LOCK = 0x7076_6475_7073_636E


def duplicate_scan_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, int]] | None:
    """Queue the duplicate scan if none is queued, running, or was queued, started or finished within the last
    PEYVAND_DUPLICATE_SCAN_HOURS (0 turns the schedule off); returns the queued task's result, or None.

    The task queue's own table is the schedule's memory, so there is no table of its own and a scan queued by
    hand (or from cron) counts too. Several workers on one database queue one scan between them: the decision
    is taken again inside a transaction that holds a lock (an advisory lock on PostgreSQL; on SQLite an
    exclusive transaction, SQLite having one writer at a time), so the second worker sees the first one's row.
    A scan left "running" by a worker that died counts only for the interval after it started, so a crash
    never stops the schedule.
    """
    hours: int = settings.PEYVAND_DUPLICATE_SCAN_HOURS
    if hours <= 0:
        return None
    scan = scan_duplicates_task.using(backend=backend)
    queue = scan.get_backend()
    if not isinstance(queue, DatabaseBackend):
        return None  # the schedule is kept in the database queue; other backends have their own scheduler, or none
    since = (now or timezone.now()) - timedelta(hours=hours)
    recent = DBTaskResult.objects.filter(task_path=scan.module_path, backend_name=backend).filter(
        Q(status=TaskResultStatus.READY)
        | Q(enqueued_at__gte=since)
        | Q(started_at__gte=since)
        | Q(finished_at__gte=since)
    )
    # Checked once without a lock first: that is the answer every minute but once a day, and it takes no lock.
    if recent.exists():
        return None
    db = DBTaskResult.objects.db
    with exclusive_transaction(db):
        if connections[db].vendor == "postgresql":
            with connections[db].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCAN_SCHEDULE_LOCK])
        if recent.exists():
            return None
        return scan.enqueue()


# --- reads for the review queue -------------------------------------------------------------------------


def open_duplicates_visible_to(user: User) -> QuerySet[DuplicateCandidate]:
    """Open pairs whose two customers are both live and both visible to `user` (only those can be merged)."""
    visible = customers_visible_to(user).values("pk")
    return DuplicateCandidate.objects.filter(
        status=DuplicateStatus.OPEN, first_id__in=visible, second_id__in=visible
    ).select_related("first", "second")
