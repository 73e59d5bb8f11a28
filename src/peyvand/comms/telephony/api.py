"""HTTP API of telephony under /api/v1/comms/telephony/."""

from ninja import Router

router = Router(tags=["Telephony"])
