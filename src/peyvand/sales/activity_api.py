"""HTTP API for activities (tasks, calls, meetings) and staff notifications."""

from __future__ import annotations

from ninja import Router

activities_router = Router(tags=["activities"])
notifications_router = Router(tags=["notifications"])
