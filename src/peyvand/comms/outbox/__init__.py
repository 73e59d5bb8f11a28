"""The outbox: every outgoing message (e-mail, SMS, messenger, chat) is enqueued here and sent by workers.

enqueue_message() is the one way to send; enqueue_bulk() a campaign's; the engine that delivers (claiming,
retries, rate limits, quiet hours) is in outbox.engine, templates in outbox.render.
"""

from peyvand.comms.outbox.engine import OutcomeUnknown, SendStats, deliver_now, record_delivery, send_due
from peyvand.comms.outbox.enqueue import (
    BulkRecipient,
    BulkResult,
    Skip,
    default_account,
    enqueue_bulk,
    enqueue_message,
)
from peyvand.comms.outbox.render import customer_values, render_text

__all__ = [
    "BulkRecipient",
    "BulkResult",
    "OutcomeUnknown",
    "SendStats",
    "Skip",
    "customer_values",
    "default_account",
    "deliver_now",
    "enqueue_bulk",
    "enqueue_message",
    "record_delivery",
    "render_text",
    "send_due",
]
