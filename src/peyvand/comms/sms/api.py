"""HTTP API of sms under /api/v1/comms/sms/."""

from ninja import Router

router = Router(tags=["SMS"])
