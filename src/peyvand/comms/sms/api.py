"""HTTP API of sms under /api/v1/comms/sms/: the parts and cost of a text, and sending one SMS or a small batch."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Status

from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.sms.schemas import OutboundSmsOut, SegmentsIn, SegmentsOut, SmsSendIn
from peyvand.comms.sms.services import sms_quote, sms_send
from peyvand.core.http import AuthedRequest
from peyvand.customers.selectors.scope import customers_visible_to

router = Router(tags=["SMS"])


def _account(account_id: int | None) -> ChannelAccount | None:
    if account_id is None:
        return None
    account = ChannelAccount.objects.filter(pk=account_id, channel=Channel.SMS, is_active=True).first()
    if account is None:
        raise ValidationError({"account_id": [_("Choose an active SMS account.")]})
    return account


@router.post("/segments", response=SegmentsOut, summary="How many SMS parts a text takes (Persian: 70/67) and its cost")
def sms_segments_count(request: AuthedRequest, payload: SegmentsIn) -> Any:
    quote = sms_quote(text=payload.text, recipients=payload.recipients, account=_account(payload.account_id))
    return {
        "encoding": quote.count.encoding,
        "characters": quote.count.characters,
        "segments": quote.count.segments,
        "per_segment": quote.count.per_segment,
        "remaining": quote.count.remaining,
        "recipients": quote.recipients,
        "price_per_segment": quote.price_per_segment,
        "cost": quote.cost,
    }


@router.post(
    "/messages",
    response={201: list[OutboundSmsOut]},
    summary="Queue an SMS to customers you can see (and, for managers and admins, to numbers); at most 100",
)
def sms_messages_send(request: AuthedRequest, payload: SmsSendIn) -> Any:
    ids = list(dict.fromkeys(payload.customer_ids))
    customers = list(customers_visible_to(request.auth).filter(pk__in=ids))
    if len(customers) != len(ids):
        # Missing and someone else's are the same 404.
        raise Http404
    messages = sms_send(
        by=request.auth,
        text=payload.text,
        customers=customers,
        numbers=list(dict.fromkeys(n.strip() for n in payload.numbers if n.strip())),
        account=_account(payload.account_id),
        request_key=payload.idempotency_key,
    )
    return Status(201, messages)
