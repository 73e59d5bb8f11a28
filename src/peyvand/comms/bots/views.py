"""Pages of messenger bots (the chats, one conversation with its answer box and files, a customer's link to a
bot, a bot's webhook and what it kept without handling) and the webhook each messenger posts its updates to."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.comms.bots import selectors
from peyvand.comms.bots.forms import ChatReplyForm, LinkBotForm
from peyvand.comms.bots.inbound import MalformedUpdate, bot_update_receive, webhook_secret_ok
from peyvand.comms.bots.linking import bot_link_make
from peyvand.comms.bots.models import BotChat, IncomingFile, OutgoingFile
from peyvand.comms.bots.replies import bot_conversation_reply
from peyvand.comms.bots.webhook import bot_set_webhook, bot_webhook_info, webhook_url_for
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.providers import PermanentError, TemporaryError
from peyvand.core.downloads import stored_file_download
from peyvand.core.http import current_user
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customer_get

log = logging.getLogger(__name__)

# A Bot API update is a few kilobytes; anything far bigger is not one.
MAX_UPDATE_BYTES = 1_000_000


@csrf_exempt
@require_POST
def bot_update(request: HttpRequest, token: str) -> HttpResponse:
    """The webhook: `token` is the account's secret address; the messenger's secret header is checked too when
    the account has one. 200 for a recorded or repeated update (the messenger stops retrying), 400 for what is
    not an update, 403 for a wrong secret."""
    account = (
        ChannelAccount.objects.filter(channel=Channel.MESSENGER, inbound_token=token, is_active=True).first()
        if 0 < len(token) <= 64
        else None
    )
    if account is None:
        log.warning("Bot webhook: unknown or inactive address")
        return JsonResponse({"ok": False, "error": "forbidden"}, status=403)
    if not webhook_secret_ok(account, request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
        log.warning("Bot webhook of account %s: wrong secret header", account.pk)
        return JsonResponse({"ok": False, "error": "forbidden"}, status=403)
    if len(request.body) > MAX_UPDATE_BYTES:
        log.warning("Bot webhook of account %s: a body of %d bytes refused", account.pk, len(request.body))
        return JsonResponse({"ok": False, "error": "too_large"}, status=400)
    try:
        update = json.loads(request.body.decode("utf-8"))
        inbound = bot_update_receive(account=account, update=update)
    except (UnicodeDecodeError, ValueError, MalformedUpdate) as exc:
        log.warning("Bot webhook of account %s: not an update (%s): %r", account.pk, exc, request.body[:2000])
        return JsonResponse({"ok": False, "error": "malformed"}, status=400)
    return JsonResponse({"ok": True, "id": inbound.pk})


@login_required
@require_http_methods(["GET"])
def chat_list(request: HttpRequest) -> HttpResponse:
    """The chats the user can see, the most recent first (unlinked ones for administrators and managers)."""
    user = current_user(request)
    chats = selectors.chats_visible_to(user)
    show = request.GET.get("show", "")
    if show == "unlinked":
        chats = chats.filter(customer__isnull=True)
    elif show == "linked":
        chats = chats.filter(customer__isnull=False)
    return render(
        request,
        "bots/chat_list.html",
        {
            "chats": chats[:200],
            "show": show,
            "sees_unlinked": user.is_admin_role or user.is_manager_role,
        },
    )


def _chat(request: HttpRequest, pk: int) -> BotChat:
    try:
        return selectors.chat_get(user=current_user(request), pk=pk)
    except BotChat.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def chat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One conversation both ways, and the answer box (on the chat's ticket when there is one)."""
    user = current_user(request)
    chat = _chat(request, pk)
    form = ChatReplyForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                bot_conversation_reply(
                    chat=chat, text=form.cleaned_data["text"], by=user, file=form.cleaned_data.get("file")
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your answer is on its way."))
                return redirect("comms:bots:chat_detail", pk=chat.pk)
    context: dict[str, Any] = {"chat": chat, "entries": selectors.chat_thread(chat), "form": form}
    return render(request, "bots/chat_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def chat_file(request: HttpRequest, pk: int, direction: str, file_id: int) -> HttpResponseBase:
    """A file of a chat the user can see: one that came in (once fetched) or one sent out."""
    try:
        name, content_type, stored = selectors.chat_file_get(
            user=current_user(request), pk=pk, direction=direction, file_id=file_id
        )
    except (BotChat.DoesNotExist, IncomingFile.DoesNotExist, OutgoingFile.DoesNotExist):
        raise Http404(_("No such file.")) from None
    return stored_file_download(
        request,
        stored,
        filename=name,
        content_type=content_type or "application/octet-stream",
        missing=_("The file is missing from the storage."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def bot_webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    """A bot's webhook, for administrators: what the messenger says of it (address, updates waiting, last
    error), set it to this site or go back to polling; below, what the bot kept without handling (group talk)
    and the files it could not fetch."""
    user = current_user(request)
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators manage a bot's webhook."))
    account = ChannelAccount.objects.filter(channel=Channel.MESSENGER, pk=account_id).first()
    if account is None:
        raise Http404(_("No such bot."))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "set":
                url = bot_set_webhook(account=account)
                messages.success(request, _("The webhook is set: %(url)s") % {"url": url})
            elif action == "polling":
                bot_set_webhook(account=account, remove=True)
                messages.success(request, _("The webhook is removed: the bot is polled."))
            else:
                return HttpResponse(_("Unknown action."), status=400)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except (TemporaryError, PermanentError) as exc:
            log.warning("Bot %s: the messenger refused the webhook change: %s", account.pk, exc)
            messages.error(request, _("The messenger refused: %(error)s") % {"error": exc})
        return redirect("comms:bots:webhook", account_id=account.pk)
    info, info_error = None, ""
    try:
        info = bot_webhook_info(account=account)
    except (TemporaryError, PermanentError) as exc:
        info_error = str(exc)
    try:
        site_url, site_error = webhook_url_for(account), ""
    except ValidationError as exc:
        site_url, site_error = "", " ".join(exc.messages)
    return render(
        request,
        "bots/webhook.html",
        {
            "account": account,
            "info": info,
            "info_error": info_error,
            "site_url": site_url,
            "site_error": site_error,
            "receive": (account.config or {}).get("receive", "polling"),
            "ignored": selectors.bot_ignored_messages(account),
            "files": selectors.bot_files_not_fetched(account),
            "reasons": IGNORED_REASONS,
        },
    )


# How the page words the reasons an update was kept without being handled.
IGNORED_REASONS = {
    "group_chat": _lazy("A group message not meant for the bot"),
    "not_private": _lazy("Not a private chat or a group"),
    "": _lazy("Not a message"),
}


@login_required
@require_http_methods(["GET", "POST"])
def customer_link(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A link that opens a bot and links the chat to this customer (to send by SMS or e-mail, or show)."""
    user = current_user(request)
    try:
        customer: Customer = customer_get(user=user, pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
    accounts = list(selectors.bot_accounts())
    form = LinkBotForm(request.POST or None, accounts=[(str(a.pk), a.name) for a in accounts])
    link = ""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            account = next(a for a in accounts if str(a.pk) == form.cleaned_data["account"])
            try:
                link = bot_link_make(account=account, customer=customer, by=user)
                status = 200
            except ValidationError as exc:
                form.add_error("account", exc.messages)
    chats = customer.bot_chats.select_related("account").order_by("-last_message_at")
    return render(
        request,
        "bots/customer_link.html",
        {"customer": customer, "form": form, "link": link, "accounts": accounts, "chats": chats},
        status=status,
    )
