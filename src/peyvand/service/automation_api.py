"""The HTTP API of the service desk: automation (registered in core/api.py)."""

from ninja import Router

automation_rules_router = Router(tags=["service"])
