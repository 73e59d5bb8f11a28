"""Writes to sales: every change validated, permission-checked and atomic.

Callers import from here; the modules split the work: `catalogue` (products, competitors, the default
pipeline) and `deals` (deals, their moves through the pipeline and their contacts).
"""

from peyvand.sales.services._common import ConflictError
from peyvand.sales.services.catalogue import (
    competitor_create,
    pipeline_set_default,
    product_create,
    product_update,
    sku_of,
)
from peyvand.sales.services.deals import (
    deal_contact_remove,
    deal_contact_set,
    deal_create,
    deal_move,
    deal_update,
)

__all__ = [
    "ConflictError",
    "competitor_create",
    "deal_contact_remove",
    "deal_contact_set",
    "deal_create",
    "deal_move",
    "deal_update",
    "pipeline_set_default",
    "product_create",
    "product_update",
    "sku_of",
]
