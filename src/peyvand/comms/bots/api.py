"""HTTP API of messenger bots under /api/v1/comms/bots/."""

from ninja import Router

router = Router(tags=["Messenger bots"])
