"""Writes of live chat: widgets, a visitor's conversation (opened, identified, written to), agents taking and
closing chats, the transcript on the customer's timeline and offline messages as tickets."""

from peyvand.comms.chat.services.agents import (
    require_answering,
    session_close,
    session_take,
    transcript_text,
    write_transcript,
)
from peyvand.comms.chat.services.presence import (
    PRESENCE_TIMEOUT,
    agents_online,
    offline_message,
    presence_join,
    presence_leave,
    presence_touch,
    stale_presence_clear,
)
from peyvand.comms.chat.services.visitors import (
    clean_identity,
    clean_message_text,
    match_customer,
    message_post,
    rate_allowed,
    session_find,
    session_identify,
    session_open,
    valid_visitor_id,
)
from peyvand.comms.chat.services.widgets import (
    WIDGET_FIELDS,
    address_rate_limit,
    clean_origin,
    max_message_length,
    origin_allowed,
    rate_limit,
    require_chat_admin,
    widget_create,
    widget_update,
)

__all__ = [
    "PRESENCE_TIMEOUT",
    "WIDGET_FIELDS",
    "address_rate_limit",
    "agents_online",
    "clean_identity",
    "clean_message_text",
    "clean_origin",
    "match_customer",
    "max_message_length",
    "message_post",
    "offline_message",
    "origin_allowed",
    "presence_join",
    "presence_leave",
    "presence_touch",
    "rate_allowed",
    "rate_limit",
    "require_answering",
    "require_chat_admin",
    "session_close",
    "session_find",
    "session_identify",
    "session_open",
    "session_take",
    "stale_presence_clear",
    "transcript_text",
    "valid_visitor_id",
    "widget_create",
    "widget_update",
    "write_transcript",
]
