"""Reads of import jobs and saved mappings, scoped to the caller."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from peyvand.accounts.models import Role, User
from peyvand.accounts.selectors import teams_visible_to
from peyvand.customers.models import ImportJob, ImportMapping


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """Admins see every import; a manager their own and their team's (and sub-teams'); an agent their own."""
    jobs = ImportJob.objects.all()
    if user.is_admin_role:
        return jobs
    if user.role == Role.MANAGER and user.team_id is not None:
        return jobs.filter(Q(by=user) | Q(team__in=teams_visible_to(user)))
    return jobs.filter(by=user)


def import_job_get(*, user: User, pk: int) -> ImportJob:
    """One visible job, or ImportJob.DoesNotExist whether it is missing or someone else's."""
    return import_jobs_visible_to(user).get(pk=pk)


def import_mappings_for(user: User) -> QuerySet[ImportMapping]:
    """The user's saved mappings and those shared with their team."""
    where = Q(created_by=user)
    if user.team_id is not None:
        where |= Q(team_id=user.team_id)
    return ImportMapping.objects.filter(where)
