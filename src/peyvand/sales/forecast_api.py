"""HTTP API for the sales forecast."""

from __future__ import annotations

from ninja import Router

forecast_router = Router(tags=["forecast"])
