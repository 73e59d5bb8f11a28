"""Reads of tickets: the queue (filters, orders, keyset pages, counts per status), one ticket with its thread,
files and history, and the category tree. Every read goes through tickets_visible_to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, paginate
from peyvand.core.text import clean_text, normalize_digits
from peyvand.customers.selectors import deleted_customer_ids
from peyvand.service.models import (
    OPEN_STATUSES,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.selectors import ticket_scope, tickets_visible_to

# A ticket without a resolution due time sorts after every one with it, at a moment no due time reaches.
NEVER = dt.datetime(2199, 12, 31, tzinfo=dt.UTC)
PRIORITY_RANK = {TicketPriority.URGENT: 0, TicketPriority.HIGH: 1, TicketPriority.NORMAL: 2, TicketPriority.LOW: 3}
# The orders of the queue; each ends on the unique id so keyset pagination is exact.
TICKET_ORDERS: dict[str, tuple[str, ...]] = {
    "urgent": ("due_sort", "priority_rank", "id"),
    "newest": ("-id",),
    "oldest": ("id",),
}
CUSTOMER_TICKETS = 10


def _ranked(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.annotate(
        due_sort=Coalesce("resolution_due_at", Value(NEVER)),
        priority_rank=Case(
            *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
            default=Value(9),
            output_field=IntegerField(),
        ),
    )


@dataclass(frozen=True)
class TicketFilters:
    """The queue's filters. `status` is a status or "open" (every open status); `assignee` an id, "mine" or
    "unassigned"; `category` takes its sub-categories with it."""

    status: str = ""
    team_id: int | None = None
    assignee: str = ""
    category_id: int | None = None
    priority: str = ""
    kind: str = ""
    customer_id: int | None = None
    q: str = ""

    def where(self, user: User, *, with_status: bool = True) -> Q:
        where = Q()
        if with_status and self.status == "open":
            where &= Q(status__in=OPEN_STATUSES)
        elif with_status and self.status in TicketStatus.values:
            where &= Q(status=self.status)
        if self.team_id:
            where &= Q(team_id=self.team_id)
        if self.assignee == "mine":
            where &= Q(assignee_id=user.pk)
        elif self.assignee == "unassigned":
            where &= Q(assignee__isnull=True)
        elif self.assignee.isdigit():
            where &= Q(assignee_id=int(self.assignee))
        if self.category_id:
            category = TicketCategory.objects.filter(pk=self.category_id).first()
            where &= Q(category__path__startswith=category.path) if category else Q(pk__in=[])
        if self.priority in TicketPriority.values:
            where &= Q(priority=self.priority)
        if self.kind:
            where &= Q(kind=self.kind)
        if self.customer_id:
            where &= Q(customer_id=self.customer_id)
        text = clean_text(self.q).strip()
        if text:
            digits = normalize_digits(text)
            where &= Q(number__icontains=digits) | Q(subject__icontains=text)
        return where


def ticket_list(
    *, user: User, filters: TicketFilters, order: str = "urgent", cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of the visible tickets matching `filters`. Raises ValidationError for a cursor not ours.

    The page is found on narrow rows (the id and the sort keys; a deleted customer's tickets left out by a NOT IN
    over the few deleted customers), then its tickets are read whole: the most-urgent order sorts every open
    ticket an administrator can see, and sorting them with four joined tables' columns cost twice as much."""
    narrow = _ranked(_visible_unjoined(user)).filter(filters.where(user)).only("id", "resolution_due_at", "priority")
    page = paginate(narrow, order=TICKET_ORDERS[order], cursor=cursor, limit=limit)
    ids = [ticket.pk for ticket in page.items]
    whole = Ticket.objects.filter(pk__in=ids).select_related("customer", "category", "team", "assignee").in_bulk()
    return Page([whole[pk] for pk in ids], page.next_cursor)


def _visible_unjoined(user: User) -> QuerySet[Ticket]:
    """The same tickets as tickets_visible_to(user), without joining each to its customer: a deleted customer's
    tickets are left out by a NOT IN over the few deleted customers (for reads that go over many tickets)."""
    scope = ticket_scope(user)
    if scope is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(scope).exclude(customer_id__in=deleted_customer_ids())


# Resolved and closed tickets pile up for ever; their tabs count up to this many and then say "more".
COUNT_CAP = 999


def ticket_counts(*, user: User, filters: TicketFilters) -> dict[str, int]:
    """How many visible tickets match the filters in each status (the queue's tabs), and "open" in all. The
    open statuses are counted exactly; resolved and closed up to COUNT_CAP: a value above it means "more".

    Counting every ticket ever closed would read the whole table (seconds at a million tickets) for a number
    nobody acts on. A deleted customer's tickets are left out by a NOT IN over the few deleted customers rather
    than by joining every ticket to its customer, so the counts are read from the status indexes."""
    counts = {status: 0 for status in TicketStatus.values}
    tickets = _visible_unjoined(user).filter(filters.where(user, with_status=False)).order_by()
    for row in tickets.filter(status__in=OPEN_STATUSES).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        counts[status] = tickets.filter(status=status)[: COUNT_CAP + 1].count()
    counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
    return counts


def ticket_get(*, user: User, pk: int) -> Ticket:
    """One visible ticket or Ticket.DoesNotExist, whether it is missing or someone else's."""
    return (
        tickets_visible_to(user)
        .select_related("customer", "category", "team", "assignee", "order", "contract", "sla_policy", "created_by")
        .get(pk=pk)
    )


def ticket_thread(ticket: Ticket, *, notes: bool = True) -> list[TicketMessage]:
    """The conversation in order, each message with its files; without the internal notes for the customer."""
    messages = ticket.messages.select_related("author", "kb_article").prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
    )
    if not notes:
        messages = messages.exclude(kind=MessageKind.NOTE)
    return list(messages.order_by("id"))


def ticket_attachments(ticket: Ticket) -> list[TicketAttachment]:
    return list(ticket.attachments.select_related("uploaded_by").order_by("id"))


def ticket_history(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("by").order_by("id"))


def attachment_get(*, user: User, ticket_id: int, attachment_id: int) -> TicketAttachment:
    """A file of a visible ticket, or TicketAttachment.DoesNotExist (also when the ticket is not visible)."""
    # Each id is looked up on its own primary key: Django answers "no such row" for an id beyond the database's
    # 64-bit keys there, where a foreign-key comparison would reach SQLite and overflow.
    try:
        ticket = tickets_visible_to(user).get(pk=ticket_id)
    except Ticket.DoesNotExist as missing:
        raise TicketAttachment.DoesNotExist from missing
    return ticket.attachments.select_related("ticket").get(pk=attachment_id)


def customer_tickets(*, user: User, customer_id: int, limit: int = CUSTOMER_TICKETS) -> list[Ticket]:
    """A customer's latest visible tickets (the 360° page)."""
    return list(
        tickets_visible_to(user)
        .filter(customer_id=customer_id)
        .select_related("category", "assignee")
        .order_by("-id")[:limit]
    )


def category_tree(*, active_only: bool = False) -> list[TicketCategory]:
    """Every category in tree order (by path: each parent before its children)."""
    categories = TicketCategory.objects.select_related("default_team", "parent")
    if active_only:
        categories = categories.filter(is_active=True)
    rows = list(categories)
    # Siblings by position, then name: the path orders by id, which is the order they were made in.
    by_parent: dict[int | None, list[TicketCategory]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    out: list[TicketCategory] = []
    ids = {row.pk for row in rows}

    def walk(parent: int | None) -> None:
        for row in sorted(by_parent.get(parent, []), key=lambda c: (c.position, c.name, c.pk)):
            out.append(row)
            walk(row.pk)

    walk(None)
    # A child whose parent is filtered out (an active child of a retired parent) still appears.
    for row in rows:
        if row.parent_id is not None and row.parent_id not in ids:
            out.append(row)
            walk(row.pk)
    return out


def ticket_queue_users(user: User) -> Any:
    """People the queue's assignee filter offers."""
    from peyvand.accounts.selectors import users_visible_to

    return users_visible_to(user).order_by("first_name", "last_name", "username")
