"""Which agents are online for a widget, and a visitor's offline message becoming a ticket."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.comms.chat.models import (
    ChatAgentPresence,
    ChatAuthor,
    ChatMessage,
    ChatSession,
    ChatStatus,
    ChatWidget,
)
from peyvand.comms.chat.services.visitors import (
    clean_identity,
    clean_message_text,
    match_customer,
    valid_visitor_id,
)
from peyvand.sales.services._common import Errors
from peyvand.service.models import TicketChannel
from peyvand.service.services.tickets import ticket_create

logger = logging.getLogger(__name__)

# A console that has not been heard from for this long is taken for gone (its socket died without closing).
PRESENCE_TIMEOUT = timedelta(seconds=90)

# --- presence and offline messages ---------------------------------------------------------------------------


def presence_join(*, user: User, channel_name: str) -> None:
    ChatAgentPresence.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "seen_at": timezone.now()}
    )


def presence_touch(*, channel_name: str) -> None:
    ChatAgentPresence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def presence_leave(*, channel_name: str) -> None:
    ChatAgentPresence.objects.filter(channel_name=channel_name).delete()


def agents_online(widget: ChatWidget) -> bool:
    """Whether someone who sees this widget's chats has the console open: a member of its team, a manager of
    a team above it, or an administrator."""
    since = timezone.now() - PRESENCE_TIMEOUT
    users = (
        ChatAgentPresence.objects.filter(seen_at__gte=since, user__is_active=True)
        .select_related("user__team")
        .values_list("user__role", "user__is_superuser", "user__team_id", "user__team__path")
    )
    team = widget.team
    for role, superuser, team_id, path in users:
        if superuser or role == Role.ADMIN or team_id == team.pk:
            return True
        if role == Role.MANAGER and path and team.path.startswith(path):
            return True
    return False


@transaction.atomic
def offline_message(
    *,
    widget: ChatWidget,
    visitor_id: str,
    data: Mapping[str, Any],
    origin_page: str = "",
    ip_address: str | None = None,
    language: str = "fa",
) -> ChatSession:
    """No agent is there: the visitor's message becomes a ticket (channel: live chat) kept with a closed
    conversation. The visitor must leave an e-mail or a phone to be answered."""
    if not widget.offline_form:
        raise ValidationError({"text": [_("This chat takes no messages while nobody is online.")]})
    errors = Errors()
    identity = clean_identity(data, errors)
    if not identity["email"] and not identity["phone"] and not {"email", "phone"} & set(errors.fields):
        errors.add("email", _("Leave an e-mail address or a phone number so that we can answer you."))
    try:
        text = clean_message_text(data.get("text"))
    except ValidationError as exc:
        text = ""
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.add(field, message)
    if not valid_visitor_id(visitor_id):
        errors.add("visitor", _("The visitor id is not valid."))
    errors.raise_if_any()
    now = timezone.now()
    customer = match_customer(email=identity["email"], phone=identity["phone"])
    session = ChatSession.objects.create(
        widget=widget,
        visitor_id=visitor_id,
        team=widget.team,
        started_at=now,
        ended_at=now,
        status=ChatStatus.CLOSED,
        origin_page=str(origin_page or "")[:500],
        ip_address=ip_address,
        language=language if language in ("fa", "en") else "fa",
        customer=customer,
        **identity,
    )
    ChatMessage.objects.create(session=session, author=ChatAuthor.VISITOR, text=text)
    with translation.override(session.language):
        subject = _("Chat message from %(name)s") % {"name": identity["name"] or identity["email"] or identity["phone"]}
    ticket_data: dict[str, Any] = {
        "subject": subject[:200],
        "description": text,
        "contact_name": identity["name"],
        "contact_email": identity["email"],
        "contact_phone": identity["phone"],
    }
    if customer is not None:
        ticket_data["customer_id"] = customer.pk
    session.ticket = ticket_create(by=None, data=ticket_data, channel=TicketChannel.CHAT)
    session.save(update_fields=["ticket", "updated_at"])
    return session


def stale_presence_clear() -> int:
    """Forget consoles not heard from in a long while (a server that was killed leaves its rows behind)."""
    deleted, _details = ChatAgentPresence.objects.filter(Q(seen_at__lt=timezone.now() - PRESENCE_TIMEOUT * 10)).delete()
    return deleted
