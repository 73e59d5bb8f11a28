"""Writes to quotes (پیش‌فاکتور): draft one, change the draft, revise it into a new proposal, send it by e-mail with
its PDF, and record the customer's answer; an accepted quote becomes an order. Every milestone goes on the
customer's timeline.

Callers import from here; the modules split the work: `editing` (drafts and revisions), `sending` (e-mail and
the customer's answer) and `common` (the status rules and helpers they share).
"""

from peyvand.sales.services.quotes.common import DECIDABLE, EDITABLE, MAX_TEXT, REVISABLE, SENDABLE, quote_is_expired
from peyvand.sales.services.quotes.editing import (
    CREATE_FIELDS,
    REVISE_FIELDS,
    UPDATE_FIELDS,
    quote_create,
    quote_revise,
    quote_update,
    quote_valid_until_default,
)
from peyvand.sales.services.quotes.sending import (
    quote_accept,
    quote_default_message,
    quote_default_recipient,
    quote_default_subject,
    quote_reject,
    quote_send,
)

__all__ = [
    "CREATE_FIELDS",
    "DECIDABLE",
    "EDITABLE",
    "MAX_TEXT",
    "REVISABLE",
    "REVISE_FIELDS",
    "SENDABLE",
    "UPDATE_FIELDS",
    "quote_accept",
    "quote_create",
    "quote_default_message",
    "quote_default_recipient",
    "quote_default_subject",
    "quote_is_expired",
    "quote_reject",
    "quote_revise",
    "quote_send",
    "quote_update",
    "quote_valid_until_default",
]
