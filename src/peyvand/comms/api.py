"""HTTP API of the channels under /api/v1/comms/: the outbox and accounts here, each channel's own below."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from peyvand.comms import settings_services as services
from peyvand.comms.models import ChannelAccount
from peyvand.comms.settings_schemas import (
    AccountCreate,
    AccountOut,
    AccountPatch,
    MessageFiltersIn,
    MessageOut,
    MessagePage,
    RotatedOut,
    SendTestIn,
)
from peyvand.comms.settings_selectors import (
    MessageFilters,
    absolute_url,
    account_inbound_urls,
    message_counts,
    message_get,
    message_list,
)
from peyvand.core.http import AuthedRequest

router = Router(tags=["Channels"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators (`forbidden`).", **_ERROR}}}
_READERS = {"responses": {403: {"description": "Only managers and administrators (`forbidden`).", **_ERROR}}}


def _account_out(request: AuthedRequest, account: ChannelAccount) -> dict[str, Any]:
    info = services.provider_info(account.channel, account.provider)
    urls = (
        [{"label": url.label, "url": absolute_url(request, url.path)} for url in account_inbound_urls(account)]
        if request.auth.is_admin_role
        else []
    )
    return {
        "id": account.pk,
        "channel": account.channel,
        "provider": account.provider,
        "name": account.name,
        "config": account.config,
        "secrets_set": {item.name: bool(account.secrets.get(item.name)) for item in info.fields if item.secret},
        "is_active": account.is_active,
        "is_default": account.is_default,
        "rate_per_minute": account.rate_per_minute,
        "inbound_urls": urls,
        "provider_error": info.error,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


@router.get("/accounts", response=list[AccountOut], summary="The channel accounts", openapi_extra=_READERS)
def account_list(request: AuthedRequest) -> Any:
    services.require_channels_reader(request.auth)
    return [_account_out(request, a) for a in ChannelAccount.objects.order_by("channel", "name", "id")]


@router.post(
    "/accounts", response={201: AccountOut}, summary="Add a channel account (admins)", openapi_extra=_ADMINS_ONLY
)
def account_create(request: AuthedRequest, payload: AccountCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    channel, provider = data.pop("channel"), data.pop("provider")
    account = services.account_create(by=request.auth, channel=channel, provider=provider, data=data)
    return Status(201, _account_out(request, account))


@router.get("/accounts/{int:account_id}", response=AccountOut, openapi_extra=_READERS)
def account_get(request: AuthedRequest, account_id: int) -> Any:
    services.require_channels_reader(request.auth)
    return _account_out(request, ChannelAccount.objects.get(pk=account_id))


@router.patch(
    "/accounts/{int:account_id}",
    response=AccountOut,
    summary="Change a channel account (admins); secrets left out are kept",
    openapi_extra=_ADMINS_ONLY,
)
def account_update(request: AuthedRequest, account_id: int, payload: AccountPatch) -> Any:
    services.require_channels_admin(request.auth)
    account = ChannelAccount.objects.get(pk=account_id)
    data = payload.model_dump(exclude_unset=True)
    for key in ("name", "is_active", "is_default"):
        if key in data and data[key] is None:
            data.pop(key)
    account = services.account_update(account=account, by=request.auth, data=data)
    return _account_out(request, account)


@router.post(
    "/accounts/{int:account_id}/rotate-token",
    response=RotatedOut,
    summary="Give an account a new inbound token (admins): its old inbound URLs stop working",
    openapi_extra=_ADMINS_ONLY,
)
def account_rotate_token(request: AuthedRequest, account_id: int) -> Any:
    services.require_channels_admin(request.auth)
    account = services.account_rotate_token(account=ChannelAccount.objects.get(pk=account_id), by=request.auth)
    return {"id": account.pk, "inbound_urls": _account_out(request, account)["inbound_urls"]}


@router.post(
    "/accounts/{int:account_id}/test",
    response=MessageOut,
    summary="Send a test message through an account now (admins); the outcome is in `status` and `error`",
    openapi_extra=_ADMINS_ONLY,
)
def account_send_test(request: AuthedRequest, account_id: int, payload: SendTestIn) -> Any:
    services.require_channels_admin(request.auth)
    account = ChannelAccount.objects.get(pk=account_id)
    return services.account_send_test(account=account, by=request.auth, to=payload.to, text=payload.text)


def _filters(filters: MessageFiltersIn) -> MessageFilters:
    return MessageFilters(
        channel=filters.channel or "",
        status=filters.status or "",
        batch=filters.batch or "",
        customer_id=filters.customer_id,
        to=(filters.to or "").strip(),
        date_from=filters.created_from,
        date_to=filters.created_to,
    )


@router.get(
    "/messages",
    response=MessagePage,
    summary="The outbox, newest first: messages to customers you can see (all of them for administrators)",
)
def message_list_endpoint(request: AuthedRequest, filters: Query[MessageFiltersIn]) -> Any:
    wanted = _filters(filters)
    page = message_list(user=request.auth, filters=wanted, cursor=filters.cursor, limit=filters.limit)
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "counts": message_counts(user=request.auth, filters=wanted),
    }


@router.get("/messages/{int:message_id}", response=MessageOut, summary="One outgoing message and its delivery")
def message_get_endpoint(request: AuthedRequest, message_id: int) -> Any:
    return message_get(user=request.auth, pk=message_id)


@router.post(
    "/messages/{int:message_id}/retry",
    response=MessageOut,
    summary="Put a failed message back in the queue (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def message_retry(request: AuthedRequest, message_id: int) -> Any:
    services.require_channels_admin(request.auth)
    return services.message_retry(message=message_get(user=request.auth, pk=message_id), by=request.auth)


@router.post(
    "/messages/{int:message_id}/cancel",
    response=MessageOut,
    summary="Cancel a message still waiting in the queue (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def message_cancel(request: AuthedRequest, message_id: int) -> Any:
    services.require_channels_admin(request.auth)
    return services.message_cancel(message=message_get(user=request.auth, pk=message_id), by=request.auth)


router.add_router("/suppressions", "peyvand.comms.suppression.api.router")
router.add_router("/mail", "peyvand.comms.mail.api.router")
router.add_router("/sms", "peyvand.comms.sms.api.router")
router.add_router("/telephony", "peyvand.comms.telephony.api.router")
router.add_router("/chat", "peyvand.comms.chat.api.router")
router.add_router("/forms", "peyvand.comms.webforms.api.router")
router.add_router("/bots", "peyvand.comms.bots.api.router")
