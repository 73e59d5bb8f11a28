"""The outbox: every outgoing message (e-mail, SMS, messenger, chat) is enqueued here and sent by workers.

enqueue_message() is the one way to send; the engine that delivers (claiming, retries, rate limits, quiet
hours) is below it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction

from peyvand.comms.models import ChannelAccount, MessageStatus, OutboundMessage

__all__ = ["default_account", "deliver_now", "enqueue_message"]


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


def default_account(channel: str) -> ChannelAccount | None:
    """The active account a channel's messages go out by when the sender names none."""
    return ChannelAccount.objects.filter(channel=channel, is_active=True).order_by("-is_default", "id").first()


def deliver_now(message: OutboundMessage) -> OutboundMessage:
    """Send one message at once in this process (a "send test" button, a test): the same provider call the
    workers make, its outcome recorded on the message."""
    from django.utils import timezone

    from peyvand.comms.providers import PermanentError, TemporaryError, provider_class

    account = message.account or default_account(message.channel)
    if account is None:
        message.status, message.error = MessageStatus.FAILED, "no_account"
        message.save(update_fields=["status", "error", "updated_at"])
        return message
    provider = provider_class(account.channel, account.provider)(account)
    message.account, message.attempts = account, message.attempts + 1
    try:
        result = provider.send(message)
    except (TemporaryError, PermanentError) as exc:
        message.status, message.error = MessageStatus.FAILED, str(exc)[:500]
    else:
        message.status = MessageStatus.DELIVERED if result.delivered else MessageStatus.SENT
        message.provider_message_id, message.segments = result.provider_message_id, result.segments
        message.sent_at, message.error = timezone.now(), ""
    message.save()
    return message
