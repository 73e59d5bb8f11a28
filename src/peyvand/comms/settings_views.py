"""Channel settings pages: the accounts by channel, adding and changing one (its form built from its provider),
its inbound addresses and token, and the "send test" button."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.comms import settings_services as services
from peyvand.comms.models import Channel, ChannelAccount, MessageStatus, OutboundMessage
from peyvand.comms.providers import PROVIDERS
from peyvand.comms.settings_forms import AccountForm, SendTestForm
from peyvand.comms.settings_selectors import absolute_url, account_inbound_urls, accounts_by_channel
from peyvand.core.http import current_user

# How many of an account's last test messages its page lists.
RECENT_TESTS = 5


@login_required
@require_http_methods(["GET"])
def channel_settings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    services.require_channels_reader(user)
    return render(
        request,
        "comms/settings.html",
        {"groups": accounts_by_channel(), "can_edit": user.is_admin_role},
    )


def _provider(channel: str, provider: str) -> services.ProviderInfo:
    if channel not in Channel.values or provider not in PROVIDERS.get(channel, {}):
        raise Http404
    return services.provider_info(channel, provider)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest, channel: str, provider: str) -> HttpResponse:
    user = current_user(request)
    services.require_channels_admin(user)
    info = _provider(channel, provider)
    form = AccountForm(request.POST or None, provider=info)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                account = services.account_create(by=user, channel=channel, provider=provider, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The account “%(name)s” was saved.") % {"name": account.name})
                return redirect("comms:account_detail", pk=account.pk)
    context = {"form": form, "account": None, "provider": info, "channel_label": Channel(channel).label}
    return render(request, "comms/account_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_channels_admin(user)
    account = get_object_or_404(ChannelAccount, pk=pk)
    info = services.provider_info(account.channel, account.provider)
    form = AccountForm(request.POST or None, provider=info, account=account)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.account_update(account=account, by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
                account.refresh_from_db()
            else:
                messages.success(request, _("The account “%(name)s” was saved.") % {"name": account.name})
                return redirect("comms:account_detail", pk=account.pk)
    context = {"form": form, "account": account, "provider": info, "channel_label": account.get_channel_display()}
    return render(request, "comms/account_form.html", context, status=status)


def _account_warnings(account: ChannelAccount) -> list[str]:
    """What an administrator should know about how the account reaches its servers (a mailbox that accepts any
    certificate, or sends passwords in clear text)."""
    if account.channel != Channel.EMAIL:
        return []
    from peyvand.comms.mail.config import mailbox_config, mailbox_warnings

    return mailbox_warnings(mailbox_config(account))


def _detail_context(request: HttpRequest, account: ChannelAccount, **extra: Any) -> dict[str, Any]:
    user = current_user(request)
    info = services.provider_info(account.channel, account.provider)
    can_edit = user.is_admin_role
    settings_rows = [
        (item, account.config.get(item.name, "") if not item.secret else bool(account.secrets.get(item.name)))
        for item in info.fields
    ]
    can_send = account.channel in services.SENDING_CHANNELS
    context: dict[str, Any] = {
        "account": account,
        "provider": info,
        "settings_rows": settings_rows,
        "can_edit": can_edit,
        "can_send": can_send,
        # The inbound addresses carry the account's token: they are for administrators only.
        "inbound_urls": (
            [(url.label, absolute_url(request, url.path)) for url in account_inbound_urls(account)] if can_edit else []
        ),
        "test_form": SendTestForm(channel=account.channel) if can_edit and can_send else None,
        "test_result": None,
        "recent_tests": (
            list(OutboundMessage.objects.filter(account=account, batch="test").order_by("-id")[:RECENT_TESTS])
            if can_send
            else []
        ),
        "warnings": _account_warnings(account),
        # A messenger bot's webhook (its state at the messenger, set or switched to polling) has its own page.
        "bot_webhook": can_edit and account.channel == Channel.MESSENGER,
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET"])
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    services.require_channels_reader(current_user(request))
    account = get_object_or_404(ChannelAccount, pk=pk)
    return render(request, "comms/account_detail.html", _detail_context(request, account))


@login_required
@require_POST
def account_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Sends at once and shows the outcome on the account's page (sent, or the provider's error)."""
    user = current_user(request)
    services.require_channels_admin(user)
    account = get_object_or_404(ChannelAccount, pk=pk)
    if account.channel not in services.SENDING_CHANNELS:
        messages.error(request, _("This channel does not send messages; use its inbound address to test it."))
        return redirect("comms:account_detail", pk=account.pk)
    form = SendTestForm(request.POST, channel=account.channel)
    result = None
    status = 422
    if form.is_valid():
        try:
            result = services.account_send_test(
                account=account, by=user, to=form.cleaned_data["to"], text=form.cleaned_data.get("text") or ""
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            status = 200
    context = _detail_context(
        request,
        account,
        test_form=form,
        test_result=result,
        test_ok=result is not None and result.status in (MessageStatus.SENT, MessageStatus.DELIVERED),
    )
    return render(request, "comms/account_detail.html", context, status=status)


@login_required
@require_POST
def account_check(request: HttpRequest, pk: int) -> HttpResponse:
    """A PBX sends nothing to test with: log in to its AMI (an Asterisk) or show where click-to-call goes (a
    webhook PBX), and say what happened."""
    from peyvand.comms.telephony.provider import OriginateError, pbx_for

    user = current_user(request)
    services.require_channels_admin(user)
    account = get_object_or_404(ChannelAccount, pk=pk, channel="call")
    try:
        answer = pbx_for(account).check()
    except OriginateError as exc:
        messages.error(request, _("The PBX did not answer: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("The PBX answered: %(answer)s") % {"answer": answer})
    return redirect("comms:account_detail", pk=account.pk)


@login_required
@require_POST
def account_rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_channels_admin(user)
    account = get_object_or_404(ChannelAccount, pk=pk)
    services.account_rotate_token(account=account, by=user)
    messages.success(
        request, _("A new token was made: give the provider the new addresses below; the old ones no longer work.")
    )
    return redirect("comms:account_detail", pk=account.pk)


@login_required
@require_POST
def account_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or activate again) an account: nothing goes out by an inactive one and its inbound addresses
    are refused; its history stays."""
    user = current_user(request)
    services.require_channels_admin(user)
    account = get_object_or_404(ChannelAccount, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.account_update(account=account, by=user, data={"is_active": active})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = _("The account “%(name)s” is active.") if active else _("The account “%(name)s” is deactivated.")
        messages.success(request, text % {"name": account.name})
    return redirect("comms:account_detail", pk=account.pk)
