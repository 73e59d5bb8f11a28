"""HTTP API of web forms under /api/v1/comms/webforms/."""

from ninja import Router

router = Router(tags=["Web forms"])
