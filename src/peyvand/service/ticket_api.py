"""The HTTP API of the service desk: ticket (registered in core/api.py)."""

from ninja import Router

tickets_router = Router(tags=["service"])
categories_router = Router(tags=["service"])
