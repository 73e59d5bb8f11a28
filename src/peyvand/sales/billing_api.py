"""HTTP API for orders, invoices, payments and customers' purchase value."""

from __future__ import annotations

from ninja import Router

orders_router = Router(tags=["orders"])
invoices_router = Router(tags=["invoices"])
customer_values_router = Router(tags=["customer-values"])
