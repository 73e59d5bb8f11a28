"""The suppression list (addresses nothing is sent to, customer or not) and one-click unsubscribe from
marketing e-mail. What each reason holds back is set out in docs/channels-outbox.md."""

from peyvand.comms.suppression.services import (
    BLOCKS_TRANSACTIONAL,
    SUPPRESSIBLE,
    AddResult,
    holds_back,
    lift_opt_out,
    normalize_address,
    suppress_address,
    suppressed_addresses,
    suppression_reasons,
    suppressions_add,
    unsuppress,
)
from peyvand.comms.suppression.unsubscribe import (
    list_unsubscribe_headers,
    message_for_token,
    unsubscribe_message,
    unsubscribe_url,
)

__all__ = [
    "BLOCKS_TRANSACTIONAL",
    "SUPPRESSIBLE",
    "AddResult",
    "holds_back",
    "lift_opt_out",
    "list_unsubscribe_headers",
    "message_for_token",
    "normalize_address",
    "suppress_address",
    "suppressed_addresses",
    "suppression_reasons",
    "suppressions_add",
    "unsubscribe_message",
    "unsubscribe_url",
    "unsuppress",
]
