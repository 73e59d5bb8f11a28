"""The HTTP API of the service desk: sla (registered in core/api.py)."""

from ninja import Router

sla_policies_router = Router(tags=["service"])
holidays_router = Router(tags=["service"])
