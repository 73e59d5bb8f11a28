"""Customer work that runs in the background (`peyvand worker`): imports."""

from __future__ import annotations

from django_tasks import task

from peyvand.customers.importing.engine import run_import


@task()
def run_import_job(job_id: int) -> None:
    """Import a job's rows; progress and the outcome are on the job, which the job page polls."""
    run_import(job_id)
