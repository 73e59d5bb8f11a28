"""HTTP API for quotes (پیش‌فاکتور): lines, revisions, PDF, sending by e-mail, acceptance."""

from __future__ import annotations

from ninja import Router

quotes_router = Router(tags=["quotes"])
