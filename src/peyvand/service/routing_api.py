"""The HTTP API of the service desk: routing (registered in core/api.py)."""

from ninja import Router

routing_rules_router = Router(tags=["service"])
