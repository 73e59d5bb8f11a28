"""Reads of automation: the rules in the order they run, and the log of their runs scoped to the reader."""

from __future__ import annotations

from django.db.models import QuerySet

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, paginate
from peyvand.service.models import AutomationRule, AutomationRun
from peyvand.service.selectors import tickets_visible_to

__all__ = ["automation_rule_list", "automation_run_list", "automation_runs_visible_to"]


def automation_rule_list() -> QuerySet[AutomationRule]:
    return AutomationRule.objects.order_by("position", "id")


def automation_runs_visible_to(user: User) -> QuerySet[AutomationRun]:
    """Every run for an administrator; for anyone else the runs on the tickets they may see (a run names its
    ticket, and another team's ticket does not exist for them)."""
    runs = AutomationRun.objects.select_related("ticket", "rule")
    if user.is_admin_role:
        return runs
    return runs.filter(ticket__in=tickets_visible_to(user).values("pk"))


def automation_run_list(
    *,
    user: User,
    rule_id: int | None = None,
    status: str | None = None,
    event: str | None = None,
    ticket_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """The runs `user` may see, newest first, filtered by rule, status, event and ticket."""
    runs = automation_runs_visible_to(user)
    if rule_id is not None:
        runs = runs.filter(rule_id=rule_id)
    if status:
        runs = runs.filter(status=status)
    if event:
        runs = runs.filter(event=event)
    if ticket_id is not None:
        runs = runs.filter(ticket_id=ticket_id)
    return paginate(runs, order=["-id"], cursor=cursor, limit=limit)
