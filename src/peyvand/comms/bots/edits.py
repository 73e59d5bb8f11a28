"""An edited messenger message: the stored message takes the new text (the old one kept in its history), and the
timeline line and ticket message it became show the new text with an "edited" marker."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from peyvand.comms.models import InboundMessage

__all__ = ["edit_apply", "edited_original"]

log = logging.getLogger(__name__)


def edited_original(*, account_id: int, chat_id: str, message_id: Any) -> InboundMessage | None:
    """The stored message an edit is about: the first one of that chat with that message_id (locked, so two
    edits delivered at once are applied one after the other)."""
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return None
    return (
        InboundMessage.objects.select_for_update()
        .filter(account_id=account_id, sender=chat_id, raw__message__message_id=message_id)
        .order_by("id")
        .first()
    )


def _marked(text: str) -> str:
    # Made from the newest text every time, so the marker shows once however often the message is edited.
    return f"{text}\n\n({_('edited')})"


def edit_apply(*, original: InboundMessage, update_id: int, edited: dict[str, Any], text: str) -> bool:
    """Apply an edit to `original`; False when this edit (chat, message_id, edit_date) was applied already.
    The message's raw update keeps every edit with the text it replaced."""
    raw = dict(original.raw or {})
    edits = list(raw.get("edits") or [])
    edit_date = edited.get("edit_date")
    if any(e.get("edit_date") == edit_date and edit_date is not None for e in edits if isinstance(e, dict)):
        return False
    if any(e.get("update_id") == update_id for e in edits if isinstance(e, dict)):
        return False
    edits.append({"update_id": update_id, "edit_date": edit_date, "previous": original.body, "message": edited})
    raw["edits"] = edits
    original.raw = raw
    original.body = text
    original.save(update_fields=["raw", "body", "updated_at"])
    _show_on_what_it_became(original, text)
    return True


def _show_on_what_it_became(original: InboundMessage, text: str) -> None:
    from peyvand.customers.models import Interaction
    from peyvand.service.models import Ticket, TicketMessage

    if original.interaction_id is not None:
        Interaction.objects.filter(pk=original.interaction_id).update(body=_marked(text))
    became = original.related
    if isinstance(became, TicketMessage):
        TicketMessage.objects.filter(pk=became.pk).update(body=_marked(text))
    elif isinstance(became, Ticket):
        Ticket.objects.filter(pk=became.pk).update(description=_marked(text))
    if became is not None:
        log.info("Messenger message %s edited: %s %s shows the new text", original.pk, type(became).__name__, became.pk)
