"""Reads of the customer database, always scoped to what the caller may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from peyvand.accounts.models import Role, Team, User
from peyvand.core.national_id import normalize_national_code
from peyvand.core.phone import try_normalize_phone
from peyvand.core.text import normalize_digits, search_key
from peyvand.customers.models import Customer, CustomerRevision, Interaction

SEARCH_LIMIT = 50
_PHONEISH = re.compile(r"^[+()\d\s\-]{4,}$")


def customers_visible_to(user: User | Any) -> QuerySet[Customer]:
    """The one scope every page and endpoint uses: admins see all; a manager their team's subtree and
    their own customers; an agent the customers they own or their team holds."""
    live = Customer.objects.filter(deleted_at__isnull=True)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return live.none()
    if user.is_admin_role:
        return live
    own = Q(owner_id=user.pk)
    if user.team_id is None:
        return live.filter(own)
    if user.role == Role.MANAGER:
        subtree = Team.objects.filter(path__startswith=user.team.path).values("pk")
        return live.filter(own | Q(team_id__in=subtree))
    return live.filter(own | Q(team_id=user.team_id))


def customer_get(*, user: User, pk: int) -> Customer:
    """One visible customer or Customer.DoesNotExist, whether it is missing or someone else's."""
    return customers_visible_to(user).select_related("owner", "team", "organization", "parent").get(pk=pk)


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(customer__in=customers_visible_to(user))


def customer_lookup_by_phone(*, user: User, phone: str) -> QuerySet[Customer]:
    """Caller-ID: the visible customers owning `phone`, written in any form. Empty if it is not a number."""
    number = try_normalize_phone(phone)
    if number is None:
        return Customer.objects.none()
    return customers_visible_to(user).filter(phones__number=number).distinct()


def _name_match(words: list[str]) -> Q:
    """Every word must occur in the search key; uses the trigram index of each database."""
    condition = Q()
    if connection.vendor == "sqlite":
        long_words = [w for w in words if len(w) >= 3]
        if long_words:
            # FTS5 trigram index: a phrase per word, all required.
            match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
            condition &= Q(pk__in=RawSQL("SELECT rowid FROM customers_customer_fts WHERE search_key MATCH %s",
                                         [match]))
        short = [w for w in words if len(w) < 3]
        if short and not long_words:
            # Too short for trigrams: a prefix range on the B-tree index of search_key.
            condition &= _prefix("search_key", short[0])
            short = short[1:]
        for w in short:
            condition &= Q(search_key__contains=w)
        return condition
    for w in words:
        if len(w) >= 3:
            condition &= Q(search_key__contains=w)  # LIKE '%w%' served by the pg_trgm GIN index
        else:
            condition &= Q(search_key__startswith=w) if condition == Q() else Q(search_key__contains=w)
    return condition


@dataclass(frozen=True)
class SearchQuery:
    text: str
    phone_prefix: str | None
    email: str | None
    national_id: str | None
    words: list[str]


def parse_search(text: str) -> SearchQuery:
    text = (text or "").strip()
    ascii_text = normalize_digits(text)
    phone_prefix = None
    if _PHONEISH.match(ascii_text):
        digits = re.sub(r"\D", "", ascii_text)
        full = try_normalize_phone(ascii_text)
        if full:
            phone_prefix = full
        elif digits.startswith("0098"):
            phone_prefix = "+98" + digits[4:]
        elif digits.startswith("98") and ascii_text.lstrip().startswith("+"):
            phone_prefix = "+" + digits
        elif digits.startswith("0") and len(digits) >= 4:
            phone_prefix = "+98" + digits[1:]
        elif digits.startswith("9") and len(digits) >= 4:
            phone_prefix = "+98" + digits
    email = ascii_text.lower() if "@" in ascii_text else None
    national_id = None
    bare = re.sub(r"[\s\-]", "", ascii_text)
    if bare.isdigit() and 8 <= len(bare) <= 11:
        national_id = normalize_national_code(bare) if len(bare) <= 10 else bare
    words = [k for k in (search_key(w) for w in re.split(r"[\s\u200c]+", text)) if k]
    return SearchQuery(text, phone_prefix, email, national_id, words)


def customer_search(*, user: User, text: str, base: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Find visible customers by any part of a name (Arabic or Persian letters, with or without ZWNJ),
    by phone in any form, e-mail or national code. Best matches first: exact identifiers, then names that
    are exactly the query, then names starting with it, then the rest alphabetically."""
    scope = base if base is not None else customers_visible_to(user)
    query = parse_search(text)
    # Every result carries `rank`, even when there is nothing to rank: callers order and page by it
    # (a query of only spaces or punctuation used to be a 500 for want of it).
    unranked = Value(3, output_field=IntegerField())
    if not query.text:
        return scope.annotate(rank=unranked)
    condition = Q()
    exact_id = Q()
    if query.phone_prefix:
        if len(query.phone_prefix) >= 12:
            hit = Q(phones__number=query.phone_prefix)
        else:
            hit = _prefix("phones__number", query.phone_prefix)
        condition |= Q(pk__in=_customer_ids(hit))
        exact_id |= Q(pk__in=_customer_ids(Q(phones__number=query.phone_prefix)))
    if query.email:
        condition |= Q(pk__in=_customer_ids(_prefix("emails__email", query.email)))
        exact_id |= Q(pk__in=_customer_ids(Q(emails__email=query.email)))
    if query.national_id:
        condition |= Q(national_id=query.national_id)
        exact_id |= Q(national_id=query.national_id)
    if query.words and not query.phone_prefix and not query.email:
        condition |= _name_match(query.words)
    if condition == Q():
        return scope.none().annotate(rank=unranked)
    whole = "".join(query.words)
    rank_cases = []
    if exact_id != Q():
        rank_cases.append(When(exact_id, then=Value(0)))
    if whole:
        rank_cases += [
            When(search_key=whole, then=Value(1)),
            When(search_key__startswith=whole, then=Value(2)),
        ]
    rank = Case(*rank_cases, default=Value(3), output_field=IntegerField())
    return scope.filter(condition).annotate(rank=rank).order_by("rank", "display_name", "id")


def _prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, in the form each database answers from an index: LIKE 'v%' on
    PostgreSQL (text_pattern_ops index, correct under any collation), a range on SQLite (whose LIKE is
    case-insensitive and so skips the B-tree index)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": value})
    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff"})


def _customer_ids(condition: Q) -> QuerySet[Customer]:
    return Customer.objects.filter(condition).values("pk")


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


def organization_tree(*, user: User, root: Customer | None = None) -> list[tuple[Customer, int]]:
    """Visible organisations as (organisation, depth) in tree order, from `root` or from every top level."""
    orgs = list(customers_visible_to(user).filter(kind="organization").order_by("display_name"))
    children: dict[int | None, list[Customer]] = {}
    ids = {o.pk for o in orgs}
    for org in orgs:
        parent = org.parent_id if org.parent_id in ids else None
        children.setdefault(parent, []).append(org)
    out: list[tuple[Customer, int]] = []

    def walk(node_id: int | None, depth: int) -> None:
        for child in children.get(node_id, []):
            out.append((child, depth))
            walk(child.pk, depth + 1)

    if root is not None:
        out.append((root, 0))
        walk(root.pk, 1)
    else:
        walk(None, 0)
    return out
