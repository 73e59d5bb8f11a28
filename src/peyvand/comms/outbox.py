"""The outbox: every outgoing message (e-mail, SMS, messenger, chat) is enqueued here and sent by workers.

enqueue_message() is the one way to send; the engine that delivers (claiming, retries, rate limits, quiet
hours) is below it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction

from peyvand.comms.models import ChannelAccount, MessageStatus, OutboundMessage

__all__ = ["enqueue_message"]


def enqueue_message(
    *,
    channel: str,
    to: str,
    body: str,
    subject: str = "",
    html: str = "",
    customer: Any = None,
    account: ChannelAccount | None = None,
    idempotency_key: str,
    template: str = "",
    batch: str = "",
    related: models.Model | None = None,
    by: Any = None,
) -> OutboundMessage:
    """Put one message in the outbox (or return the one already there under `idempotency_key`)."""
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    from django.contrib.contenttypes.models import ContentType

    try:
        with transaction.atomic():
            return OutboundMessage.objects.create(
                channel=channel,
                to=to,
                body=body,
                subject=subject,
                html=html,
                customer=customer,
                account=account,
                idempotency_key=idempotency_key,
                template=template,
                batch=batch,
                created_by=by,
                status=MessageStatus.QUEUED,
                related_type=ContentType.objects.get_for_model(related) if related is not None else None,
                related_id=str(related.pk) if related is not None else "",
            )
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
