"""The HTTP API of the service desk: kb (registered in core/api.py)."""

from ninja import Router

kb_router = Router(tags=["service"])
