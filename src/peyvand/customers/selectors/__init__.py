"""Reads of the customer database, always scoped to what the caller may see.

Callers import from here; the modules split the work: `scope` (who sees which customers, one customer, its
interactions and timeline), `search` (caller-ID and the search text's phases) and `lists` (filtered, searched
and tree pages).
"""

from peyvand.customers.selectors.lists import (
    LIST_ORDERS,
    NAME_ORDER,
    SEARCH_LIMIT,
    SEARCH_ORDER,
    SUBTREE_LIMIT,
    customer_filter,
    customer_list_page,
    customer_search,
    organization_roots_page,
    organization_subtree,
)
from peyvand.customers.selectors.scope import (
    TimelineEntry,
    customer_get,
    customer_stage_counts,
    customer_timeline,
    customers_visible_to,
    deleted_customer_ids,
    interactions_recent,
    interactions_visible_to,
    scope_branches,
)
from peyvand.customers.selectors.search import (
    CallerMatch,
    SearchQuery,
    customer_lookup_by_phone,
    parse_search,
    prefix_q,
)

__all__ = [
    "LIST_ORDERS",
    "NAME_ORDER",
    "SEARCH_LIMIT",
    "SEARCH_ORDER",
    "SUBTREE_LIMIT",
    "CallerMatch",
    "SearchQuery",
    "TimelineEntry",
    "customer_filter",
    "customer_get",
    "customer_list_page",
    "customer_lookup_by_phone",
    "customer_search",
    "customer_stage_counts",
    "customer_timeline",
    "customers_visible_to",
    "deleted_customer_ids",
    "interactions_recent",
    "interactions_visible_to",
    "organization_roots_page",
    "organization_subtree",
    "parse_search",
    "prefix_q",
    "scope_branches",
]
