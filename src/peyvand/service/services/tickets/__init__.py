"""Writes to tickets. Callers import from here; the modules split the work: `editing` (opening a ticket and
changing what it is about), `assignment` (team and assignee), `conversation` (status, replies, notes, the
customer's messages), `attachments` (checking and storing files), `categories` (the category tree and its
templates) and `common` (what they share)."""

from peyvand.service.services.tickets.assignment import check_assignment, ticket_assign
from peyvand.service.services.tickets.attachments import check_attachment, check_attachments, max_attachment_bytes
from peyvand.service.services.tickets.categories import category_create, category_update
from peyvand.service.services.tickets.common import TRANSITIONS, answers_clean, template_clean
from peyvand.service.services.tickets.conversation import (
    ticket_attachment_add,
    ticket_customer_message,
    ticket_note,
    ticket_reply,
    ticket_set_status,
)
from peyvand.service.services.tickets.editing import CREATE_FIELDS, UPDATE_FIELDS, ticket_create, ticket_update

__all__ = [
    "CREATE_FIELDS",
    "TRANSITIONS",
    "UPDATE_FIELDS",
    "answers_clean",
    "category_create",
    "category_update",
    "check_assignment",
    "check_attachment",
    "check_attachments",
    "max_attachment_bytes",
    "template_clean",
    "ticket_assign",
    "ticket_attachment_add",
    "ticket_create",
    "ticket_customer_message",
    "ticket_note",
    "ticket_reply",
    "ticket_set_status",
    "ticket_update",
]
