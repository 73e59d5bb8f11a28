"""Satisfaction (CSAT): the question sent when a ticket is resolved, the answer by link, and what a low score
sets off. OWNED BY THE SATISFACTION WORK: the interface below is fixed, the body is to be completed."""

from __future__ import annotations

from peyvand.service.models import Ticket, TicketSatisfaction


def satisfaction_request(ticket: Ticket) -> TicketSatisfaction | None:
    """On resolve: make the ticket's satisfaction row (a token for the link; agent, team and category as they
    are now) and send the question. Once per ticket; a reopened and again resolved ticket asks again."""
    return None
