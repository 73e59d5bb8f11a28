"""The HTTP API of the service desk: measures (registered in core/api.py)."""

from ninja import Router

measures_router = Router(tags=["service"])
