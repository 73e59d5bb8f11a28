"""Writes of telephony: every PBX event (AMI or webhook) goes through call_event(), which keeps one Call per PBX
call, records each event once, logs the finished call on the customer's timeline and rings the agents' pop-ups;
extensions and click-to-call."""

from peyvand.comms.telephony.services.agents import (
    agent_extension,
    click_to_call,
    default_pbx,
    extension_set,
    rang,
)
from peyvand.comms.telephony.services.events import (
    EVENTS,
    CallEventResult,
    call_event,
    calls_close_stale,
    extension_user,
    max_extension_digits,
)
from peyvand.comms.telephony.services.payload import call_event_from_payload, without_nul
from peyvand.comms.telephony.services.timeline import call_attach_customer

__all__ = [
    "EVENTS",
    "CallEventResult",
    "agent_extension",
    "call_attach_customer",
    "call_event",
    "call_event_from_payload",
    "calls_close_stale",
    "click_to_call",
    "default_pbx",
    "extension_set",
    "extension_user",
    "max_extension_digits",
    "rang",
    "without_nul",
]
