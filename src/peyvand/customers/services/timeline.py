"""Writes to the timeline: interactions on any channel, and consent changes that are written there too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.customers.models import (
    CONSENT_CHANNELS,
    Consent,
    ConsentMethod,
    ContactChannel,
    Customer,
    Direction,
    Interaction,
    InteractionChannel,
)
from peyvand.customers.services.validation import _Errors, _require_visible


@transaction.atomic
def consent_set(
    *,
    customer: Customer,
    by: User | None,
    channel: str,
    granted: bool,
    method: str,
    note: str = "",
    recorded_at: datetime | None = None,
) -> Consent:
    """Record the customer's yes or no for one channel; the change is also written to the timeline."""
    if by is not None:
        _require_visible(customer, by)
    errors = _Errors()
    if channel not in CONSENT_CHANNELS:
        errors.add("channel", _("Consent is recorded for SMS, e-mail and calls."))
    if method not in ConsentMethod.values:
        errors.add("method", _("Say how the consent was given."))
    when = recorded_at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        errors.add("recorded_at", _("Consent cannot be recorded in the future."))
    errors.raise_if_any()
    consent, _created = Consent.objects.update_or_create(
        customer=customer,
        channel=channel,
        defaults={"granted": granted, "method": method, "note": note.strip(), "recorded_at": when, "recorded_by": by},
    )
    label = ContactChannel(channel).label
    interaction_create(
        customer=customer,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=(_("Consent given for %(channel)s") if granted else _("Consent withdrawn for %(channel)s"))
        % {"channel": label},
        body=note,
        occurred_at=when,
        related=consent,
        check_visible=False,
    )
    return consent


@transaction.atomic
def interaction_create(
    *,
    customer: Customer,
    by: User | None,
    channel: str,
    direction: str,
    subject: str = "",
    body: str = "",
    occurred_at: datetime | None = None,
    duration_seconds: int | None = None,
    related: models.Model | None = None,
    check_visible: bool = True,
) -> Interaction:
    """Write one event to the customer's timeline; every module calls this rather than creating rows."""
    if check_visible and by is not None:
        _require_visible(customer, by)
    errors = _Errors()
    if channel not in InteractionChannel.values:
        errors.add("channel", _("Unknown channel."))
    if direction not in Direction.values:
        errors.add("direction", _("Unknown direction."))
    if duration_seconds is not None and duration_seconds < 0:
        errors.add("duration_seconds", _("A duration cannot be negative."))
    if not subject.strip() and not body.strip():
        errors.add("subject", _("Write a subject or some details."))
    errors.raise_if_any()
    when = occurred_at or timezone.now()
    interaction = Interaction.objects.create(
        customer=customer,
        by=by,
        channel=channel,
        direction=direction,
        subject=subject.strip()[:255],
        body=body.strip(),
        occurred_at=when,
        duration_seconds=duration_seconds,
        related_type=ContentType.objects.get_for_model(related) if related is not None else None,
        related_id=str(related.pk) if related is not None else "",
    )
    Customer.objects.filter(pk=customer.pk).filter(
        models.Q(last_interaction_at__isnull=True) | models.Q(last_interaction_at__lt=when)
    ).update(last_interaction_at=when)
    return interaction


@transaction.atomic
def interaction_update(*, interaction: Interaction, by: User, data: Mapping[str, Any]) -> Interaction:
    _require_visible(interaction.customer, by)
    if interaction.by_id != by.pk and not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only its author or a manager can change an interaction."))
    errors = _Errors()
    for key in data:
        if key not in {"subject", "body", "occurred_at", "duration_seconds"}:
            errors.add(key, _("Unknown field."))
    errors.raise_if_any()
    # Only the duration may be emptied; the other columns are NOT NULL (a null here used to be a 500).
    for key in ("subject", "body", "occurred_at"):
        if key in data and data[key] is None:
            errors.add(key, _("This field cannot be empty."))
    subject = data.get("subject", interaction.subject) or ""
    body = data.get("body", interaction.body) or ""
    if not subject.strip() and not body.strip():
        errors.add("subject", _("Write a subject or some details."))
    if (data.get("duration_seconds") or 0) < 0:
        errors.add("duration_seconds", _("A duration cannot be negative."))
    errors.raise_if_any()
    for key, value in data.items():
        setattr(interaction, key, value.strip() if isinstance(value, str) else value)
    interaction.save(update_fields=[*data.keys(), "updated_at"])
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by: User) -> None:
    _require_visible(interaction.customer, by)
    if interaction.by_id != by.pk and not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only its author or a manager can delete an interaction."))
    interaction.delete()
