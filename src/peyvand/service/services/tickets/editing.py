"""Opening a ticket (from staff, a channel or the portal) and changing what it is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core.phone import try_normalize_phone
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.models import Contract, Order
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.sales.services.numbering import next_number
from peyvand.service import routing, sla
from peyvand.service.models import (
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.services.history import ticket_event
from peyvand.service.services.tickets.assignment import check_assignment
from peyvand.service.services.tickets.common import (
    SLA_FIELDS,
    answers_clean,
    automation_later,
    column,
    locked,
    notify_later,
    require_visible,
    save_versioned,
    write_timeline,
)

CREATE_FIELDS = {
    "kind",
    "category_id",
    "subject",
    "description",
    "priority",
    "fields",
    "customer_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "order_id",
    "contract_id",
    "team_id",
    "assignee_id",
}
# What PATCH may change. Team and assignee move through ticket_assign, the status through ticket_set_status,
# and the customer is fixed (a ticket about someone else is a new ticket).
UPDATE_FIELDS = {"subject", "description", "kind", "category_id", "fields", "priority", "order_id", "contract_id"}
MAX_DESCRIPTION = 50_000


def _clean_category(value: Any, errors: Errors) -> TicketCategory | None:
    if value in (None, ""):
        return None
    category = TicketCategory.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if category is None:
        errors.add("category_id", _("No such category, or it is no longer in use."))
    return category


def _clean_common(data: Mapping[str, Any], errors: Errors, out: dict[str, Any]) -> None:
    """Subject, description, kind and priority, those given (PATCH is partial)."""
    if "subject" in data:
        out["subject"] = clean_line(data["subject"], model=Ticket, field="subject", errors=errors)
        if not out["subject"]:
            errors.add("subject", _("This field is required."))
    if "description" in data:
        out["description"] = str(data["description"] or "").strip()
        if len(out["description"]) > MAX_DESCRIPTION:
            errors.add("description", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_DESCRIPTION})
    if "kind" in data and data["kind"] not in TicketKind.values:
        errors.add("kind", _("Unknown kind."))
    elif "kind" in data:
        out["kind"] = data["kind"]
    if "priority" in data and data["priority"] not in TicketPriority.values:
        errors.add("priority", _("Unknown priority."))
    elif "priority" in data:
        out["priority"] = data["priority"]


def _clean_documents(data: Mapping[str, Any], customer: Customer | None, errors: Errors, out: dict[str, Any]) -> None:
    """The order and the contract the ticket is about: the customer's own."""
    for name, model in (("order_id", Order), ("contract_id", Contract)):
        if name not in data:
            continue
        value = data[name]
        if value in (None, ""):
            out[name[:-3]] = None
            continue
        row = model.objects.filter(pk=value).first() if str(value).isdigit() else None
        if row is None or customer is None or row.customer_id != customer.pk:
            errors.add(name, _("No such order or contract of this ticket's customer."))
        else:
            out[name[:-3]] = row


def _clean_contact(data: Mapping[str, Any], errors: Errors, out: dict[str, Any]) -> None:
    out["contact_name"] = clean_line(data.get("contact_name") or "", model=Ticket, field="contact_name", errors=errors)
    email = str(data.get("contact_email") or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("contact_email", _("Enter a valid e-mail address."))
    out["contact_email"] = email
    raw_phone = str(data.get("contact_phone") or "").strip()
    phone = try_normalize_phone(raw_phone) if raw_phone else ""
    if raw_phone and not phone:
        errors.add("contact_phone", _("Enter a valid phone number."))
    out["contact_phone"] = phone or ""


def _clean_customer(value: Any, by: User | None, errors: Errors) -> Customer | None:
    if value in (None, ""):
        return None
    # Staff choose among the customers they may see; a channel or the portal has found the customer itself.
    customers = customers_visible_to(by) if by is not None else Customer.objects.filter(deleted_at__isnull=True)
    customer = customers.filter(pk=value).first() if str(value).isdigit() else None
    if customer is None:
        errors.add("customer_id", _("No such customer."))
    return customer


@transaction.atomic
def ticket_create(
    *,
    by: User | None,
    data: Mapping[str, Any],
    channel: str = TicketChannel.STAFF,
    channel_team: Team | None = None,
) -> Ticket:
    """Open a ticket. `by` is the staff member entering it, or None for one arriving from a channel or the
    portal; `channel_team` is the team a channel's own settings give its tickets (a mailbox's, a web form's),
    which routing uses when no rule and no category places the ticket. It needs a customer or a contact to
    answer; its category's fields are checked against the category's template. Routing chooses the team and the
    assignee unless staff chose them (within their reach); the SLA sets its due times; the customer hears that it
    was received once it is committed."""
    errors = Errors()
    unknown_fields(data, CREATE_FIELDS, errors)
    if channel not in TicketChannel.values:
        errors.add("channel", _("Unknown channel."))
    if by is None and ("team_id" in data or "assignee_id" in data):
        errors.add("team_id", _("Only staff choose the team of a ticket."))
    errors.raise_if_any()

    values: dict[str, Any] = {}
    _clean_common({"subject": data.get("subject", ""), **data}, errors, values)
    category = _clean_category(data.get("category_id"), errors)
    customer = _clean_customer(data.get("customer_id"), by, errors)
    _clean_contact(data, errors, values)
    nobody = not (values["contact_name"] or values["contact_email"] or values["contact_phone"])
    if customer is None and nobody and "customer_id" not in errors.fields:
        errors.add("customer_id", _("Choose the customer, or give a contact's name, e-mail or phone."))
    _clean_documents(data, customer, errors, values)
    values["fields"] = answers_clean(category, data.get("fields"), errors)

    team: Team | None = None
    assignee: User | None = None
    chosen = by is not None and (data.get("team_id") is not None or data.get("assignee_id") is not None)
    if chosen:
        assert by is not None
        team, assignee = check_assignment(
            by=by, team_id=data.get("team_id"), assignee_id=data.get("assignee_id"), current_team=None, errors=errors
        )
    errors.raise_if_any()

    given_priority = values.pop("priority", None)
    ticket = Ticket(
        category=category,
        customer=customer,
        channel=channel,
        created_by=by,
        priority=given_priority or (category.default_priority if category else "") or TicketPriority.NORMAL,
        **values,
    )
    decision = None
    if chosen:
        ticket.team, ticket.assignee = team, assignee
    else:
        decision = routing.route_ticket(ticket, now=timezone.now(), channel_team=channel_team)
        if given_priority:
            # What the person entering the ticket chose outranks a rule's guess.
            ticket.priority = given_priority
        if ticket.team_id is None and ticket.assignee_id is None and by is not None and by.team_id is not None:
            # Nobody's queue would hold it: the team of the person who entered it takes it rather than lose it.
            ticket.team = by.team
    ticket.status = TicketStatus.ASSIGNED if ticket.assignee_id else TicketStatus.NEW
    ticket.number = next_number("ticket")
    ticket.save()
    sla.sla_apply(ticket, now=ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(**{column(f): getattr(ticket, column(f)) for f in SLA_FIELDS})

    ticket_event(ticket, "created", by=by, data={"number": ticket.number, "channel": channel})
    if decision is not None:
        ticket_event(
            ticket,
            "routed",
            data={
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "rule": decision.rule.pk if decision.rule else None,
                "reason": decision.reason,
            },
        )
    if ticket.assignee_id is not None or chosen:
        ticket_event(ticket, "assigned", by=by, data={"team": ticket.team_id, "assignee": ticket.assignee_id})
    write_timeline(
        ticket,
        by=by,
        subject=_("Ticket %(number)s opened: %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
        body=ticket.description,
        inbound=by is None,
    )
    notify_later(ticket, "ticket_received")
    automation_later("created", ticket)
    if ticket.assignee_id is not None:
        notify_later(ticket, "ticket_assigned")
    return ticket


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, version: int, data: Mapping[str, Any]) -> Ticket:
    """Change what a ticket the caller can see is about; `version` is the one they read (409 if it moved on).
    A new category checks the details against its template (answers it does not ask for are dropped); a new
    priority or category sets the SLA's due times again."""
    require_visible(ticket, by)
    errors = Errors()
    unknown_fields(data, UPDATE_FIELDS, errors)
    errors.raise_if_any()
    ticket = locked(ticket, version=version)
    values: dict[str, Any] = {}
    _clean_common(data, errors, values)
    category = ticket.category
    if "category_id" in data:
        category = _clean_category(data["category_id"], errors) if data["category_id"] not in (None, "") else None
        if data["category_id"] not in (None, "") and category is None:
            errors.raise_if_any()
        values["category"] = category
    _clean_documents(data, ticket.customer, errors, values)
    if "fields" in data or "category" in values:
        answers = data.get("fields", ticket.fields)
        if "fields" not in data and category is not None:
            known = {spec.get("key") for spec in category.fields}
            answers = {k: v for k, v in (answers or {}).items() if k in known}
        values["fields"] = answers_clean(category, answers, errors)
    errors.raise_if_any()

    changed: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        before = getattr(ticket, name)
        if before != value:
            changed[name] = {
                "from": getattr(before, "pk", before),
                "to": getattr(value, "pk", value),
            }
        setattr(ticket, name, value)
    fields = list(values)
    if "priority" in changed or "category" in changed:
        sla.sla_apply(ticket, now=timezone.now())
        fields += SLA_FIELDS
    save_versioned(ticket, fields=fields)
    for name in ("priority", "category", "fields"):
        if name in changed:
            ticket_event(ticket, name, by=by, data=changed.pop(name))
    if changed:
        ticket_event(ticket, "updated", by=by, data=changed)
    return ticket
