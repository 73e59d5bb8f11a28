"""What the chat sockets send: a conversation and a message as JSON-ready dicts, for the visitor's widget and
the agents' console alike (the visitor's copy leaves out what only staff may see)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from peyvand.comms.chat.models import ChatMessage, ChatSession


def _clock(value: Any) -> str:
    return value.astimezone(timezone.get_default_timezone()).strftime("%H:%M") if value else ""


def message_payload(message: ChatMessage, *, for_visitor: bool = False) -> dict[str, Any]:
    agent = message.agent
    name = ""
    if agent is not None:
        # The visitor sees the agent's first name only.
        name = (agent.first_name or agent.username) if for_visitor else (agent.get_full_name() or agent.username)
    return {
        "id": message.pk,
        "client_id": message.client_id,
        "session": message.session_id,
        "author": message.author,
        "agent_name": name,
        "text": message.text,
        "at": message.created_at.isoformat(),
        "clock": _clock(message.created_at),
    }


def session_payload(session: ChatSession, *, customer_visible: bool = True) -> dict[str, Any]:
    """A conversation for the console; the customer's name and link only for staff who may see the customer."""
    customer = session.customer if customer_visible else None
    agent = session.agent
    return {
        "id": session.pk,
        "status": session.status,
        "status_label": str(session.get_status_display()),
        "name": session.name,
        "email": session.email,
        "phone": session.phone,
        "customer_id": customer.pk if customer else None,
        "customer_name": customer.display_name if customer else "",
        "customer_url": reverse("customers:detail", args=[customer.pk]) if customer else "",
        "agent_id": session.agent_id,
        "agent_name": (agent.get_full_name() or agent.username) if agent else "",
        "team_id": session.team_id,
        "widget": session.widget.name,
        "origin_page": session.origin_page,
        "started_at": session.started_at.isoformat(),
        "clock": _clock(session.started_at),
        "ticket": session.ticket.number if session.ticket_id and session.ticket else "",
    }
