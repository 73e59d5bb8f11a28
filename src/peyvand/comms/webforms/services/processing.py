"""What an accepted submission becomes, in one transaction: a lead, a ticket or only a timeline entry, with
the incoming message on the web channel; and processing again one that failed or was taken for spam."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.models import Channel, InboundMessage, InboundStatus
from peyvand.comms.webforms.models import FormAction, FormSubmission, SubmissionStatus, WebForm
from peyvand.comms.webforms.schema import answers_clean, answers_text, mapped_values
from peyvand.comms.webforms.services.builder import require_admin
from peyvand.customers.models import Customer, CustomerEmail, CustomerPhone, Direction, InteractionChannel
from peyvand.customers.services import interaction_create
from peyvand.sales.models import Lead, LeadSource
from peyvand.sales.services.leads import lead_create_from_channel
from peyvand.service.models import TicketChannel

logger = logging.getLogger(__name__)

__all__ = ["process_submission", "submission_retry"]

# What the lead and ticket services take (sales.services.leads.MAX_LONG_TEXT, tickets' MAX_DESCRIPTION).
MAX_LEAD_NOTES = 10_000
MAX_TICKET_DESCRIPTION = 50_000


def _match_customer(values: Mapping[str, Any]) -> Customer | None:
    """The customer the sender is, by e-mail first and then by phone (the oldest record when several share it)."""
    if values.get("email"):
        hit = (
            CustomerEmail.objects.filter(email=values["email"], customer__deleted_at__isnull=True)
            .order_by("customer_id")
            .select_related("customer")
            .first()
        )
        if hit is not None:
            return hit.customer
    if values.get("phone"):
        match = (
            CustomerPhone.objects.filter(number=values["phone"], customer__deleted_at__isnull=True)
            .order_by("customer_id")
            .select_related("customer")
            .first()
        )
        if match is not None:
            return match.customer
    return None


def _create_lead(form: WebForm, values: Mapping[str, Any], extra: str) -> Lead:
    data: dict[str, Any] = {
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "company_name": values.get("company", ""),
        "phone": values.get("phone", ""),
        "email": values.get("email", ""),
        "source_detail": form.name,
        "interest": "\n".join(str(values[k]) for k in ("subject", "message") if values.get(k)),
        # A form of many long answers must not fail for it: the whole text stays on the submission.
        "notes": extra[:MAX_LEAD_NOTES],
    }
    return lead_create_from_channel(data=data, source=LeadSource.WEB_FORM, team=form.lead_team, owner=form.lead_owner)


def _create_ticket(form: WebForm, values: Mapping[str, Any], customer: Customer | None, extra: str) -> Any:
    from peyvand.service.services.tickets import ticket_create

    name = " ".join(str(values[k]) for k in ("first_name", "last_name") if values.get(k))
    description = "\n\n".join(part for part in (str(values.get("message") or ""), extra) if part)
    data: dict[str, Any] = {
        "subject": str(values.get("subject") or form.title_fa)[:200],
        "description": description[:MAX_TICKET_DESCRIPTION],
        "contact_name": name[:200],
        "contact_email": values.get("email", ""),
        "contact_phone": values.get("phone", ""),
    }
    if customer is not None:
        data["customer_id"] = customer.pk
    if form.ticket_kind:
        data["kind"] = form.ticket_kind
    if form.ticket_priority:
        data["priority"] = form.ticket_priority
    if form.ticket_category_id is not None:
        data["category_id"] = form.ticket_category_id
    return ticket_create(by=None, data=data, channel=TicketChannel.FORM, channel_team=form.ticket_team)


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{key}: {' '.join(texts)}" for key, texts in exc.message_dict.items())[:500]
    return " ".join(exc.messages)[:500]


def process_submission(submission: FormSubmission, *, now: datetime) -> None:
    """Make what the form's rule says (a lead, a ticket, or only a timeline entry) and record the message: an
    InboundMessage on the web channel, and an entry on the customer's timeline when the sender is a customer.
    A lead or ticket the services refuse (a category removed meanwhile, …) leaves the submission failed, with the
    reason, and nothing half-made; the answers are kept for staff to act on."""
    form = submission.form
    answers = submission.data
    values = mapped_values(form.fields, answers)
    customer = _match_customer(values)
    extra = answers_text(
        form.fields, answers, skip=("first_name", "last_name", "company", "email", "phone", "message", "subject")
    )
    full_text = answers_text(form.fields, answers)
    lead: Lead | None = None
    ticket: Any = None
    error = ""
    try:
        with transaction.atomic():
            if form.action == FormAction.LEAD:
                lead = _create_lead(form, values, extra)
            elif form.action == FormAction.TICKET:
                ticket = _create_ticket(form, values, customer, extra)
    except ValidationError as exc:
        error = _error_text(exc)
        logger.warning("Web form %s: submission %s not processed: %s", form.key, submission.pk, error)
    related = lead or ticket
    if error:
        status = InboundStatus.FAILED
    elif customer is None and form.action == FormAction.TIMELINE:
        status = InboundStatus.UNMATCHED
    else:
        status = InboundStatus.PROCESSED
    subject = (_("Web form: %(title)s") % {"title": form.title_fa})[:255]
    inbound = InboundMessage.objects.create(
        channel=Channel.WEB,
        external_id=f"webform:{form.key}:{submission.nonce or submission.pk}",
        sender=str(values.get("email") or values.get("phone") or "")[:255],
        recipient=form.name[:255],
        subject=subject,
        body=full_text,
        received_at=now,
        customer=customer,
        status=status,
        error=error,
        related_type=ContentType.objects.get_for_model(related) if related is not None else None,
        related_id=str(related.pk) if related is not None else "",
        raw={"form": form.key, "submission": submission.pk, "answers": answers, "origin": submission.origin},
    )
    if customer is not None:
        inbound.interaction = interaction_create(
            customer=customer,
            by=None,
            channel=InteractionChannel.WEB,
            direction=Direction.INBOUND,
            subject=subject,
            body=full_text or subject,
            occurred_at=now,
            related=related or submission,
            check_visible=False,
        )
        inbound.save(update_fields=["interaction", "updated_at"])
    submission.customer, submission.lead, submission.ticket, submission.inbound = customer, lead, ticket, inbound
    submission.status = SubmissionStatus.FAILED if error else SubmissionStatus.ACCEPTED
    submission.error = error
    submission.save(update_fields=["customer", "lead", "ticket", "inbound", "status", "error", "updated_at"])


@transaction.atomic
def submission_retry(*, submission: FormSubmission, by: User) -> FormSubmission:
    """Process again a failed submission (once its cause is fixed) or one taken as spam that a person sent
    (administrators). An accepted one is left as it is: it made its lead or ticket already."""
    require_admin(by)
    submission = FormSubmission.objects.select_for_update().select_related("form").get(pk=submission.pk)
    if submission.status == SubmissionStatus.ACCEPTED:
        raise ValidationError({"status": [_("This submission was processed already.")]})
    if submission.status == SubmissionStatus.SPAM:
        # A spam record keeps what was posted; it must fit the form like any answer before it becomes anything.
        submission.data = answers_clean(submission.form.fields, submission.data)
        submission.spam_reason = ""
    if submission.inbound_id is not None:
        InboundMessage.objects.filter(pk=submission.inbound_id).delete()
        submission.inbound = None
    process_submission(submission, now=timezone.now())
    submission.save(update_fields=["data", "spam_reason", "updated_at"])
    return submission
