"""Writes to the customer database: every change validated, permission-checked, atomic and kept in history.

Callers import from here; the modules split the work: `validation` (checking input), `records`
(customers and their revisions), `timeline` (interactions and consent).
"""

from peyvand.customers.services.merge import customer_merge, customer_merge_undo, duplicate_dismiss
from peyvand.customers.services.records import (
    customer_create,
    customer_delete,
    customer_restore,
    customer_snapshot,
    customer_update,
)
from peyvand.customers.services.timeline import consent_set, interaction_create, interaction_delete, interaction_update
from peyvand.customers.services.validation import (
    CHOICE_FIELDS,
    LIST_FIELDS,
    SCALAR_FIELDS,
    TEXT_FIELDS,
    display_name_for,
    search_key_for,
)

__all__ = [
    "CHOICE_FIELDS",
    "LIST_FIELDS",
    "SCALAR_FIELDS",
    "TEXT_FIELDS",
    "consent_set",
    "customer_create",
    "customer_delete",
    "customer_merge",
    "customer_merge_undo",
    "customer_restore",
    "customer_snapshot",
    "customer_update",
    "display_name_for",
    "duplicate_dismiss",
    "interaction_create",
    "interaction_delete",
    "interaction_update",
    "search_key_for",
]
