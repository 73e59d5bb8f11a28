"""Reads of the customer database, always scoped to what the caller may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.core.national_id import normalize_national_code
from peyvand.core.pagination import Page, after_cursor, decode_cursor, page_of
from peyvand.core.phone import iranian_mobile_e164, try_normalize_phone
from peyvand.core.text import clean_text, normalize_digits, search_key, sort_key_of_search_key
from peyvand.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomerRevision,
    Interaction,
)
from peyvand.customers.search_index import FTS_TABLE

SEARCH_LIMIT = 50
# The orders a list can be in; each ends on a unique column so keyset pagination is exact. Names sort by
# their sort key (core.text.sort_key): Persian dictionary order, «علي» and «علی» together, and the same
# order on both databases and in Python.
LIST_ORDERS: dict[str, tuple[str, ...]] = {
    "name": ("sort_key", "id"),
    "-name": ("-sort_key", "-id"),
    "newest": ("-id",),
    "oldest": ("id",),
}
NAME_ORDER = LIST_ORDERS["name"]
SEARCH_ORDER = ("rank", "sort_key", "id")
# A name fragment matching at least this many customers is searched by walking the name index.
COMMON_MATCHES = 2000
# A phone prefix needs this many digits after the country code (0912123 → 912123); fewer would match a
# good part of all customers.
MIN_PHONE_DIGITS = 6
_PHONEISH = re.compile(r"^[+()\d\s\-]{4,}$")
_EMAIL_START = re.compile(r"[a-z0-9][a-z0-9._%+\-]{2,}", re.IGNORECASE)


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
        scope |= _branch_q(branch)
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
        part = live.filter(_branch_q(branch))
        if earlier != Q():
            part = part.exclude(earlier)
        for row in part.values("lifecycle_stage").annotate(n=Count("id")):
            counts[row["lifecycle_stage"]] = counts.get(row["lifecycle_stage"], 0) + row["n"]
        earlier |= _branch_q(branch)
    return counts


@dataclass(frozen=True, slots=True)
class CallerMatch:
    """What the call-centre pop-up shows the moment a number rings: who it is and whose customer."""

    id: int
    kind: str
    display_name: str
    lifecycle_stage: str
    organization_id: int | None
    job_title: str
    owner_id: int | None
    team_id: int
    preferred_channel: str


_CALLER_COLUMNS = ", ".join(f"c.{name}" for name in CallerMatch.__dataclass_fields__)


def customer_lookup_by_phone(*, user: User, phone: str, limit: int = 20) -> list[CallerMatch]:
    """Caller-ID: the visible customers owning `phone`, written in any form; none if it is not a number.

    The pop-up runs this on every ring, so it is one hand-written statement (the same indexed join as the
    bench's floor, with the caller's scope) read straight into small rows: the full record of each match
    is one `customer_get` away, and building model objects here cost three times the statement itself.
    """
    number = iranian_mobile_e164(phone) or try_normalize_phone(phone)
    branches = scope_branches(user)
    if number is None or not branches:
        return []
    scope: list[str] = []
    params: list[str | int] = [number]
    for branch in branches:
        if not branch:  # an administrator: no condition
            scope, params = [], [number]
            break
        scope.append("(" + " AND ".join(f"c.{field} = %s" for field in branch) + ")")
        params += list(branch.values())
    where = f" AND ({' OR '.join(scope)})" if scope else ""
    # Column names come from CallerMatch and scope_branches and the limit is an int; every value travels
    # as a parameter.
    sql = (
        f"SELECT {_CALLER_COLUMNS} FROM customers_customerphone p "  # noqa: S608
        "JOIN customers_customer c ON c.id = p.customer_id "
        f"WHERE p.number = %s AND c.deleted_at IS NULL{where} ORDER BY c.id LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [CallerMatch(*row) for row in cursor.fetchall()]


def _fts_match(words: list[str]) -> str:
    """An FTS5 query requiring every word, each quoted as a phrase."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def _fts_ids(words: list[str]) -> RawSQL:
    """Rowids whose search key holds every word (SQLite's FTS5 trigram index; words of 3+ letters)."""
    match = _fts_match(words)
    # The table name is a constant and the words travel as a parameter.
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE search_key MATCH %s", [match])  # noqa: S608, S611


def _is_common(words: list[str]) -> bool:
    """Whether the words match so many customers (COMMON_MATCHES or more) that walking the name index in
    order, testing each name, finds a page sooner than collecting and sorting every match (SQLite)."""
    match = _fts_match(words)
    sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE search_key MATCH %s LIMIT %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, COMMON_MATCHES])
        return bool(cursor.fetchone()[0] >= COMMON_MATCHES)


def _name_match(words: list[str]) -> Q:
    """Every word must occur in the search key, answered from each database's trigram index; on SQLite,
    very common words are tested while walking the name index instead (see _is_common)."""
    condition = Q()
    long_words = [w for w in words if len(w) >= 3]
    short = [w for w in words if len(w) < 3]
    if long_words and connection.vendor == "sqlite":
        ids = _fts_ids(long_words)
        if _is_common(long_words):
            # "+id IN (...)": SQLite may not drive the query by the match list, so it walks the name index.
            condition &= Q(
                RawSQL(  # noqa: S611 - built from _fts_ids, parameters kept separate
                    f'+"customers_customer"."id" IN ({ids.sql})', ids.params, output_field=BooleanField()
                )
            )
        else:
            condition &= Q(pk__in=ids)
    else:
        # LIKE '%w%' served by the pg_trgm GIN index. Hiding common words from that index so that the
        # name index is walked instead was measured slower at 1M (PostgreSQL then chose a sequential scan).
        for w in long_words:
            condition &= Q(search_key__contains=w)
    if short and not long_words:
        # Too short for trigrams: the name must start with it (a range on the name index).
        condition &= _prefix("sort_key", sort_key_of_search_key(short[0]))
        short = short[1:]
    for w in short:
        condition &= Q(search_key__contains=w)
    return condition


@dataclass(frozen=True)
class SearchQuery:
    text: str
    phone_prefix: str | None
    email: str | None
    national_id: str | None
    words: list[str]
    # A Latin word without "@" («behrouz.e») may be the start of an e-mail address as well as a name.
    email_start: str | None = None

    @property
    def is_identifier(self) -> bool:
        """Only identifiers are searched: a phone number, a whole e-mail address or a national code."""
        return bool(self.phone_prefix or self.email or self.national_id)


def parse_search(text: str) -> SearchQuery:
    text = (text or "").strip()
    ascii_text = normalize_digits(text)
    phone_prefix = None
    if _PHONEISH.match(ascii_text):
        digits = re.sub(r"\D", "", ascii_text)
        full = try_normalize_phone(ascii_text)
        if full:
            phone_prefix = full
        else:
            if digits.startswith("0098"):
                candidate = "+98" + digits[4:]
            elif digits.startswith("98") and ascii_text.lstrip().startswith("+"):
                candidate = "+" + digits
            elif digits.startswith("0"):
                candidate = "+98" + digits[1:]
            elif digits.startswith("9"):
                candidate = "+98" + digits
            else:
                candidate = ""
            if len(candidate) >= len("+98") + MIN_PHONE_DIGITS:
                phone_prefix = candidate
    email = ascii_text.lower() if "@" in ascii_text else None
    national_id = None
    bare = re.sub(r"[\s\-]", "", ascii_text)
    if bare.isdigit() and 8 <= len(bare) <= 11:
        national_id = normalize_national_code(bare) if len(bare) <= 10 else bare
    words = [k for k in (search_key(w) for w in re.split(r"[\s\u200c]+", text)) if k]
    email_start = ascii_text.lower() if _EMAIL_START.fullmatch(ascii_text) and not ascii_text.isdigit() else None
    return SearchQuery(text, phone_prefix, email, national_id, words, email_start)


def _identifier_phases(query: SearchQuery) -> list[Q]:
    """Rank 0: the number, e-mail or national code exactly; rank 1: numbers and e-mails starting with it.
    Each kind is its own indexed subquery, joined with UNION so no OR forces a table scan."""
    exact: list[QuerySet[Any]] = []
    starts: list[QuerySet[Any]] = []
    if query.phone_prefix:
        exact.append(CustomerPhone.objects.filter(number=query.phone_prefix).values("customer_id"))
        if len(query.phone_prefix) < 13:
            starts.append(CustomerPhone.objects.filter(_prefix("number", query.phone_prefix)).values("customer_id"))
    if query.email:
        exact.append(CustomerEmail.objects.filter(email=query.email).values("customer_id"))
    if query.email or query.email_start:
        start = query.email or query.email_start or ""
        starts.append(CustomerEmail.objects.filter(_prefix("email", start)).values("customer_id"))
    if query.national_id:
        exact.append(Customer.objects.filter(national_id=query.national_id).values("id"))

    def union(parts: list[QuerySet[Any]]) -> Q:
        parts = [part.order_by() for part in parts]  # a compound statement takes no ORDER BY in its parts
        return Q(pk__in=parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else Q(pk__in=parts[0])

    phases = [union(exact)] if exact else []
    if starts:
        phases.append(union(starts) & ~phases[0] if phases else union(starts))
    return phases


def _name_phases(query: SearchQuery) -> list[Q]:
    """Rank 1: the name is exactly the query; 2: it starts with it; 3: it holds every word somewhere."""
    key = sort_key_of_search_key("".join(query.words))
    starts = _prefix("sort_key", key)
    return [Q(sort_key=key), starts & ~Q(sort_key=key), _name_match(query.words) & ~starts]


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


def _branch_q(branch: dict[str, int], prefix: str = "") -> Q:
    return Q(**{prefix + field: value for field, value in branch.items()})


def customer_filter(
    *,
    kind: str | None = None,
    lifecycle_stage: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    tag: str | None = None,
    city: str | None = None,
    organization_id: int | None = None,
    health: str | None = None,
    inactive_months: int | None = None,
) -> Q:
    """The list filters every customer list offers (pages and API alike)."""
    where = Q()
    if health:
        # Imported here: health builds its conditions on this module.
        from peyvand.customers.health import INACTIVE_MONTHS, health_condition

        where &= health_condition(health, inactive_months=inactive_months or INACTIVE_MONTHS)
    if kind:
        where &= Q(kind=kind)
    if lifecycle_stage:
        where &= Q(lifecycle_stage=lifecycle_stage)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if team_id:
        where &= Q(team_id=team_id)
    if tag:
        where &= Q(pk__in=Customer.tags.through.objects.filter(tag__name=clean_text(tag)).values("customer_id"))
    if city:
        where &= Q(pk__in=CustomerAddress.objects.filter(city=clean_text(city)).values("customer_id"))
    if organization_id:
        where &= Q(organization_id=organization_id)
    return where


def _merged(
    user: User, where: Q, order: tuple[str, ...], after: list[Any] | None, need: int, related: tuple[str, ...]
) -> list[Customer]:
    """Up to `need` rows in `order` after `after`, one query per scope branch, merged and de-duplicated."""
    live = Customer.objects.filter(deleted_at__isnull=True).select_related(*related)
    rows: dict[int, Customer] = {}
    for branch in scope_branches(user):
        qs = live.filter(_branch_q(branch), where)
        if after is not None:
            qs = after_cursor(qs, order=order, values=after)
        for row in qs.order_by(*order)[:need]:
            rows[row.pk] = row
    descending = order[0].startswith("-")
    names = [f.lstrip("-") for f in order]
    merged = sorted(rows.values(), key=lambda r: tuple(getattr(r, n) for n in names), reverse=descending)
    return merged[:need]


def customer_list_page(
    *,
    user: User,
    where: Q | None = None,
    text: str = "",
    order: str = "name",
    cursor: str | None = None,
    limit: int = SEARCH_LIMIT,
    related: tuple[str, ...] = (),
) -> Page:
    """One page of visible customers matching `where`: in `order`, or best match first when searching
    (`text`: any part of a name in Arabic or Persian letters with or without ZWNJ, a phone number in any
    form, an e-mail or a national code). Raises ValidationError for a cursor that is not ours."""
    where = where or Q()
    if not text.strip():
        fields = LIST_ORDERS[order]
        after = decode_cursor(cursor, len(fields)) if cursor else None
        return page_of(_merged(user, where, fields, after, limit + 1, related), order=fields, limit=limit)
    query = parse_search(text)
    # Best first: exact identifiers, identifiers starting with the text, then names (exact, starting with
    # it, holding it). The phases are disjoint, so a customer appears once across all pages.
    phases = _identifier_phases(query)
    if query.words and not query.is_identifier:
        found_by_identifier = Q()
        for phase in phases:
            found_by_identifier |= phase
        phases += [phase & ~found_by_identifier if phases else phase for phase in _name_phases(query)]
    if not phases:
        return Page([], None)
    start_rank, after = 0, None
    if cursor:
        start_rank, *after = decode_cursor(cursor, len(SEARCH_ORDER))
        if not isinstance(start_rank, int):
            raise ValidationError({"cursor": [_("This cursor is not valid; start from the first page.")]})
    rows: list[Customer] = []
    for index, phase in enumerate(phases):
        if index < start_rank or len(rows) > limit:
            continue
        found = _merged(
            user, where & phase, NAME_ORDER, after if index == start_rank else None, limit + 1 - len(rows), related
        )
        for row in found:
            row.rank = index  # type: ignore[attr-defined]
        rows += found
    return page_of(rows, order=SEARCH_ORDER, limit=limit)


def customer_search(*, user: User, text: str, limit: int = SEARCH_LIMIT) -> list[Customer]:
    """The first `limit` visible customers matching `text`, best match first (see customer_list_page)."""
    return customer_list_page(user=user, text=text, limit=limit).items


def _prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, in the form each database answers from an index: LIKE 'v%' on
    PostgreSQL (sort_key is C-collated, the others have text_pattern_ops indexes), a range on SQLite
    (whose LIKE is case-insensitive and so skips the B-tree index)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": value})
    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff"})


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


# The most organisations one tree page shows below its top-level ones; deeper trees are opened one by one.
SUBTREE_LIMIT = 2000


def organization_roots_page(*, user: User, cursor: str | None = None, limit: int = 100) -> Page:
    """One page of the visible top-level organisations (no parent, or a parent the user cannot see)."""
    parent_visible = Q(parent__deleted_at__isnull=True)
    branches = Q()
    for branch in scope_branches(user):
        branches |= _branch_q(branch, "parent__")
    if branches != Q():
        parent_visible &= branches
    where = Q(kind=CustomerKind.ORGANIZATION) & (Q(parent__isnull=True) | ~parent_visible)
    return customer_list_page(user=user, where=where, cursor=cursor, limit=limit)


def organization_subtree(*, user: User, roots: list[Customer]) -> list[tuple[Customer, int]]:
    """`roots` and their visible sub-organisations as (organisation, depth) in tree order, read one level
    at a time (never the whole organisation table) and at most SUBTREE_LIMIT of them."""
    visible = customers_visible_to(user).filter(kind=CustomerKind.ORGANIZATION)
    children: dict[int, list[Customer]] = {}
    level, seen = [r.pk for r in roots], {r.pk for r in roots}
    while level and len(seen) < SUBTREE_LIMIT:
        found = list(visible.filter(parent_id__in=level).order_by(*NAME_ORDER)[: SUBTREE_LIMIT - len(seen)])
        level = []
        for org in found:
            if org.pk not in seen and org.parent_id is not None:  # a cycle in bad data must not loop
                seen.add(org.pk)
                children.setdefault(org.parent_id, []).append(org)
                level.append(org.pk)
    out: list[tuple[Customer, int]] = []

    def walk(node: Customer, depth: int) -> None:
        out.append((node, depth))
        for child in children.get(node.pk, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return out
