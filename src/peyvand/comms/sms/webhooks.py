"""The gateways' webhooks under /comms/sms/<token>/: delivery reports and inbound SMS. The token is the
account's inbound_token (a wrong one is 403); a payload the gateway does not document is 400 with the
reason logged (an inbound one is kept as a failed record, so no message is lost); a repeat is answered 200."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus
from peyvand.comms.providers import provider_class
from peyvand.comms.sms.gateway import BadCallback
from peyvand.comms.sms.services import sms_deliveries_record, sms_inbound_record

logger = logging.getLogger("peyvand.sms.webhooks")

# A gateway's post is small; anything bigger is not one of theirs.
MAX_BODY = 64 * 1024


def _account(token: str) -> ChannelAccount | None:
    if not token or len(token) > 64:
        return None
    return ChannelAccount.objects.filter(inbound_token=token, channel=Channel.SMS, is_active=True).first()


def _without_nul(value: Any) -> Any:
    """NUL characters taken out (PostgreSQL stores none in text or JSON; no gateway means one)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _payload(request: HttpRequest) -> tuple[dict[str, Any], Any]:
    """(form or query fields, the JSON body or None), NUL characters taken out."""
    fields: dict[str, Any] = {**request.GET.dict(), **request.POST.dict()}
    body: Any = None
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadCallback(f"invalid JSON: {exc}") from None
        if isinstance(body, dict):
            fields.update({k: v for k, v in body.items() if isinstance(k, str)})
    return _without_nul(fields), _without_nul(body)


def _refused(reason: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": reason}, status=status)


def _parser(account: ChannelAccount, kind: str) -> Any:
    try:
        cls = provider_class(account.channel, account.provider)
    except (LookupError, ImportError):
        return None
    return getattr(cls, f"parse_{kind}", None)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def delivery(request: HttpRequest, token: str) -> HttpResponse:
    account = _account(token)
    if account is None:
        return _refused("unknown token", 403)
    if len(request.body) > MAX_BODY:
        return _refused("too large", 413)
    parse = _parser(account, "delivery")
    if parse is None:
        return _refused("this account's gateway sends no delivery reports", 400)
    try:
        fields, body = _payload(request)
        reports = parse(fields, body)
    except BadCallback as exc:
        logger.warning("Bad delivery report for SMS account %s: %s; payload %r", account.pk, exc, request.body[:2000])
        return _refused(str(exc), 400)
    known = sms_deliveries_record(account=account, reports=reports)
    return JsonResponse({"ok": True, "reports": len(reports), "known": known})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def inbound(request: HttpRequest, token: str) -> HttpResponse:
    account = _account(token)
    if account is None:
        return _refused("unknown token", 403)
    if len(request.body) > MAX_BODY:
        return _refused("too large", 413)
    parse = _parser(account, "inbound")
    if parse is None:
        return _refused("this account's gateway sends no inbound SMS", 400)
    raw: dict[str, Any] = {}
    try:
        fields, body = _payload(request)
        raw = {k: str(v)[:2000] for k, v in fields.items()}
        sms = parse(fields, body)
    except BadCallback as exc:
        logger.warning("Bad inbound SMS for account %s: %s; payload %r", account.pk, exc, request.body[:2000])
        # Kept, so whatever the customer wrote can still be read by someone.
        InboundMessage.objects.create(
            channel=Channel.SMS,
            account=account,
            body=_without_nul(request.body[:MAX_BODY].decode("utf-8", "replace")) if not raw else "",
            received_at=timezone.now(),
            status=InboundStatus.FAILED,
            error=str(exc)[:500],
            raw=raw or {"body": _without_nul(request.body[:MAX_BODY].decode("utf-8", "replace"))},
        )
        return _refused(str(exc), 400)
    record, created = sms_inbound_record(account=account, sms=sms, raw=raw)
    return JsonResponse({"ok": True, "id": record.pk, "duplicate": not created})
