"""HTTP API of the channels under /api/v1/comms/: the outbox and accounts here, each channel's own below."""

from ninja import Router

router = Router(tags=["Channels"])
router.add_router("/mail", "peyvand.comms.mail.api.router")
router.add_router("/sms", "peyvand.comms.sms.api.router")
router.add_router("/telephony", "peyvand.comms.telephony.api.router")
router.add_router("/chat", "peyvand.comms.chat.api.router")
router.add_router("/forms", "peyvand.comms.webforms.api.router")
router.add_router("/bots", "peyvand.comms.bots.api.router")
