"""A call on the customer's timeline: written when it ends, kept up to date, moved to the customer it turns out
to be."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.telephony.models import Call, CallDirection, CallStatus
from peyvand.customers.models import Customer, Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services.timeline import interaction_create


def log_on_timeline(call: Call) -> None:
    """One timeline entry per call, written at its end and brought up to date by a late report."""
    if call.customer is None:
        return
    subject, body = _call_summary(call)
    direction = Direction.OUTBOUND if call.direction == CallDirection.OUTBOUND else Direction.INBOUND
    if call.interaction_id is not None:
        interaction = call.interaction
        if interaction is not None:
            interaction.subject, interaction.body = subject[:255], body
            interaction.duration_seconds = call.duration_seconds
            interaction.save(update_fields=["subject", "body", "duration_seconds", "updated_at"])
        return
    call.interaction = interaction_create(
        customer=call.customer,
        by=call.agent,
        channel=InteractionChannel.CALL,
        direction=direction,
        subject=subject,
        body=body,
        occurred_at=call.started_at,
        duration_seconds=call.duration_seconds,
        related=call,
        check_visible=False,
    )
    call.save(update_fields=["interaction", "updated_at"])


def _call_summary(call: Call) -> tuple[str, str]:
    agent = str(call.agent) if call.agent is not None else call.extension
    if call.direction == CallDirection.OUTBOUND:
        subject = _("Outgoing call") if call.status == CallStatus.ANSWERED else _("Outgoing call not answered")
    elif call.status == CallStatus.ANSWERED:
        subject = _("Incoming call answered by %(agent)s") % {"agent": agent} if agent else _("Incoming call answered")
    else:
        subject = _("Missed call")
    lines = [_("Number: %(number)s") % {"number": call.caller}]
    if call.duration_seconds:
        minutes, secs = divmod(call.duration_seconds, 60)
        lines.append(_("Duration: %(m)d:%(s)02d") % {"m": minutes, "s": secs})
    if call.recording_url:
        lines.append(_("Recording: %(url)s") % {"url": call.recording_url})
    return subject, "\n".join(lines)


@transaction.atomic
def call_attach_customer(*, call: Call, customer: Customer, by: User) -> Call:
    """The caller turned out to be (or was just made) this customer: the call, and its timeline entry once it
    has ended, are theirs from now on."""
    if not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise Customer.DoesNotExist
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.customer_id is not None and call.customer_id != customer.pk:
        raise ValidationError({"customer": [_("This call already belongs to another customer.")]})
    call.customer, call.team_id = customer, customer.team_id or call.team_id
    call.save(update_fields=["customer", "team", "updated_at"])
    if call.ended_at is not None:
        log_on_timeline(call)
    return call
