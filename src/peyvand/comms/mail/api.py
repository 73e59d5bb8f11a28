"""HTTP API of e-mail under /api/v1/comms/mail/."""

from ninja import Router

router = Router(tags=["E-mail"])
