"""Who sees which customers: the scope as parts (own customers, each team), and the scoped reads of a customer,
its interactions and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.customers.models import Customer, CustomerRevision, Interaction


def deleted_customer_ids() -> QuerySet[Customer, Any]:
    """The ids of deleted customers, as a subquery: `.exclude(customer_id__in=deleted_customer_ids())` leaves a
    deleted customer's records out of a count or sum over many records without joining each to its customer.
    Written as `deleted_at IS NOT NULL`, the condition of the `customer_deleted` partial index, which SQLite uses
    only when the query states it the same way; the list is short and read from that index."""
    return Customer.objects.filter(deleted_at__isnull=False).values("id")


def scope_branches(user: User | Any) -> list[dict[str, int]]:
    """customers_visible_to's scope as parts (own customers, each team) whose union is the scope, each a
    set of customer field values. Lists read each part along its own (owner or team, name) index: one OR
    would make the database gather and sort the whole scope before it could return the first page."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_admin_role:
        return [{}]
    own = {"owner_id": user.pk}
    team = user.team
    if team is None:
        return [own]
    if user.role == Role.MANAGER:
        teams = Team.objects.filter(path__startswith=team.path).values_list("pk", flat=True)
        return [own, *({"team_id": pk} for pk in teams)]
    return [own, {"team_id": team.pk}]


def branch_q(branch: dict[str, int], prefix: str = "") -> Q:
    return Q(**{prefix + field: value for field, value in branch.items()})


def customers_visible_to(user: User | Any, *, include_deleted: bool = False) -> QuerySet[Customer]:
    """The one scope every page and endpoint uses: admins see all; a manager the customers they own and
    those of their team and its sub-teams; an agent the customers they own or their team holds. Deleted
    customers only with `include_deleted` (a merged record is deleted but still someone's, for undo)."""
    customers = Customer.objects.all() if include_deleted else Customer.objects.filter(deleted_at__isnull=True)
    branches = scope_branches(user)
    if not branches:
        return customers.none()
    scope = Q()
    for branch in branches:
        scope |= branch_q(branch)
    return customers.filter(scope)


def customer_get(*, user: User, pk: int) -> Customer:
    """One visible customer or Customer.DoesNotExist, whether it is missing or someone else's."""
    return customers_visible_to(user).select_related("owner", "team", "organization", "parent").get(pk=pk)


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(customer__in=customers_visible_to(user))


def interactions_recent(*, user: User, limit: int = 10, days: int = 30) -> list[Interaction]:
    """The newest interactions of the last `days` with visible customers, one index walk per scope part.
    The window bounds the walk for a scope with few customers, whose interactions are far apart."""
    rows: dict[int, Interaction] = {}
    since = timezone.now() - timedelta(days=days)
    for branch in scope_branches(user):
        qs = Interaction.objects.filter(customer__deleted_at__isnull=True, occurred_at__gte=since)
        for field, value in branch.items():
            # "+column" keeps the database from driving the query from the scope's customers (all of a
            # team's interactions, then a sort): it walks the newest interactions and stops at `limit`.
            qs = qs.filter(
                RawSQL(f'+"customers_customer"."{field}" = %s', [value], output_field=BooleanField())  # noqa: S611
            )
        for row in qs.select_related("customer", "by").order_by("-occurred_at", "-id")[:limit]:
            rows[row.pk] = row
    return sorted(rows.values(), key=lambda r: (r.occurred_at, r.pk), reverse=True)[:limit]


def customer_stage_counts(*, user: User) -> dict[str, int]:
    """Visible customers per lifecycle stage, counted per scope part with the parts made disjoint."""
    counts: dict[str, int] = {}
    earlier = Q()
    live = Customer.objects.filter(deleted_at__isnull=True).order_by()
    for branch in scope_branches(user):
        part = live.filter(branch_q(branch))
        if earlier != Q():
            part = part.exclude(earlier)
        for row in part.values("lifecycle_stage").annotate(n=Count("id")):
            counts[row["lifecycle_stage"]] = counts.get(row["lifecycle_stage"], 0) + row["n"]
        earlier |= branch_q(branch)
    return counts


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "interaction" | "revision"
    at: datetime
    item: Interaction | CustomerRevision


def customer_timeline(*, customer: Customer, limit: int = 100, before: datetime | None = None) -> list[TimelineEntry]:
    """One newest-first timeline: every interaction on any channel merged with the record's own changes."""
    interactions = customer.interactions.select_related("by").order_by("-occurred_at", "-id")
    revisions = customer.revisions.select_related("by").order_by("-created_at")
    if before is not None:
        interactions = interactions.filter(occurred_at__lt=before)
        revisions = revisions.filter(created_at__lt=before)
    entries = [TimelineEntry("interaction", i.occurred_at, i) for i in interactions[:limit]]
    entries += [TimelineEntry("revision", r.created_at, r) for r in revisions[:limit]]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
