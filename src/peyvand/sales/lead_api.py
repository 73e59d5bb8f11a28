"""HTTP API for leads: list, create, qualify, convert to a customer and a deal."""

from __future__ import annotations

from ninja import Router

leads_router = Router(tags=["leads"])
