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
from django.db.models import QuerySet
from django_tasks import TaskResult, task
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from peyvand.accounts.models import User
from peyvand.core.periodic import queue_when_due
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


def duplicate_scan_schedule(
    *, now: datetime | None = None, backend: str = DEFAULT_TASK_BACKEND_ALIAS
) -> TaskResult[dict[str, int]] | None:
    """Queue the duplicate scan if none is queued, running, or was queued, started or finished within the last
    PEYVAND_DUPLICATE_SCAN_HOURS (0 turns the schedule off); returns the queued task's result, or None. Once
    among several workers, and never stopped by a crashed run: see core.periodic.queue_when_due."""
    hours: int = settings.PEYVAND_DUPLICATE_SCAN_HOURS
    if hours <= 0:
        return None
    return queue_when_due(scan_duplicates_task, every=timedelta(hours=hours), now=now, backend=backend)


# --- reads for the review queue -------------------------------------------------------------------------


def open_duplicates_visible_to(user: User) -> QuerySet[DuplicateCandidate]:
    """Open pairs whose two customers are both live and both visible to `user` (only those can be merged)."""
    visible = customers_visible_to(user).values("pk")
    return DuplicateCandidate.objects.filter(
        status=DuplicateStatus.OPEN, first_id__in=visible, second_id__in=visible
    ).select_related("first", "second")
