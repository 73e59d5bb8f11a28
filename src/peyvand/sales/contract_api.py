"""HTTP API for contracts (files, renewal) and sales targets."""

from __future__ import annotations

from ninja import Router

contracts_router = Router(tags=["contracts"])
targets_router = Router(tags=["targets"])
