"""Reads of the service desk: the tickets a user may see (the one scope every ticket read uses)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from peyvand.accounts.models import User
from peyvand.customers.selectors import scope_branches
from peyvand.service.models import Ticket

__all__ = ["ticket_scope", "tickets_visible_to"]


def ticket_scope(user: User | Any) -> Q | None:
    """What `user` may see of tickets, as one condition: the customers' scope read from the ticket's assignee
    and team (own tickets; their team's, or their team's and its sub-teams' for a manager; everything for an
    administrator). None: nothing at all."""
    branches = scope_branches(user)
    if not branches:
        return None
    scope = Q()
    for branch in branches:
        scope |= Q(**{("assignee_id" if field == "owner_id" else field): value for field, value in branch.items()})
    return scope


def tickets_visible_to(user: User | Any) -> QuerySet[Ticket]:
    """Tickets `user` may see; those of a deleted customer are hidden with it. An invisible ticket answers 404."""
    scope = ticket_scope(user)
    if scope is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(scope).filter(Q(customer_id__isnull=True) | Q(customer__deleted_at__isnull=True))
