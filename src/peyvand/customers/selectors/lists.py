"""Customer lists: the filters, keyset pages read per scope part and merged (search results ranked), and the
organisation tree."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, after_cursor, decode_cursor, page_of
from peyvand.core.text import clean_text
from peyvand.customers.models import Customer, CustomerAddress, CustomerKind
from peyvand.customers.selectors.scope import branch_q, customers_visible_to, scope_branches
from peyvand.customers.selectors.search import identifier_phases, name_phases, parse_search

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
        qs = live.filter(branch_q(branch), where)
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
    phases = identifier_phases(query)
    if query.words and not query.is_identifier:
        found_by_identifier = Q()
        for phase in phases:
            found_by_identifier |= phase
        phases += [phase & ~found_by_identifier if phases else phase for phase in name_phases(query)]
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


# The most organisations one tree page shows below its top-level ones; deeper trees are opened one by one.
SUBTREE_LIMIT = 2000


def organization_roots_page(*, user: User, cursor: str | None = None, limit: int = 100) -> Page:
    """One page of the visible top-level organisations (no parent, or a parent the user cannot see)."""
    parent_visible = Q(parent__deleted_at__isnull=True)
    branches = Q()
    for branch in scope_branches(user):
        branches |= branch_q(branch, "parent__")
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
