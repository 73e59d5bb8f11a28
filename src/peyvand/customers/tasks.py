"""Customer work that runs in the background (`peyvand worker`): imports and large exports."""

from __future__ import annotations

from django_tasks import task

from peyvand.customers.importing.engine import run_import


@task()
def run_import_job(job_id: int) -> None:
    """Import a job's rows; progress and the outcome are on the job, which the job page polls."""
    run_import(job_id)


@task()
def run_export_job(job_id: int) -> None:
    """Write an export job's file; progress and the outcome are on the job, which the exports page polls."""
    from peyvand.customers.exporting.jobs import export_job_run

    export_job_run(job_id=job_id)
