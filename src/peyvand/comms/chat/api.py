"""HTTP API of live chat under /api/v1/comms/chat/."""

from ninja import Router

router = Router(tags=["Live chat"])
