"""Outbox pages: the outgoing messages with filters and counts per status, one message whole, and an
administrator's retry (failed → queued) and cancel (queued → cancelled)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.comms import settings_services as services
from peyvand.comms.models import MessageStatus, OutboundMessage
from peyvand.comms.settings_forms import OutboxFilterForm
from peyvand.comms.settings_selectors import message_counts, message_get, message_list
from peyvand.core.http import current_user, list_page

PAGE_SIZE = 50
# Badge colours of the statuses.
STATUS_CSS = {
    MessageStatus.QUEUED: "text-bg-secondary",
    MessageStatus.SENDING: "text-bg-info",
    MessageStatus.SENT: "text-bg-primary",
    MessageStatus.DELIVERED: "text-bg-success",
    MessageStatus.FAILED: "text-bg-danger",
    MessageStatus.SKIPPED: "text-bg-warning",
    MessageStatus.CANCELLED: "text-bg-light border",
}


@login_required
@require_http_methods(["GET"])
def outbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters() if request.GET else OutboxFilterForm().filters()
    pager = list_page(request, lambda cursor: message_list(user=user, filters=filters, cursor=cursor, limit=PAGE_SIZE))
    counts = message_counts(user=user, filters=filters)
    tab_params = request.GET.copy()
    tab_params.pop("cursor", None)
    tabs = []
    for value, label in MessageStatus.choices:
        tab_params["status"] = value
        tabs.append((value, label, counts.get(value, 0), tab_params.urlencode()))
    tab_params.pop("status", None)
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "tabs": tabs,
        "all_query": tab_params.urlencode(),
        "total": sum(counts.values()),
        "status_css": STATUS_CSS,
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("cursor", "status")),
        **pager.context(),
    }
    return render(request, "comms/outbox.html", context)


def _related_link(message: OutboundMessage) -> str:
    """A link to what the message was about, when that has a page (a ticket)."""
    kind = message.related_type
    if kind is None or not message.related_id.isdigit():
        return ""
    try:
        if (kind.app_label, kind.model) == ("service", "ticket"):
            return reverse("service:ticket_detail", kwargs={"pk": int(message.related_id)})
    except NoReverseMatch:
        return ""
    return ""


def _message(request: HttpRequest, pk: int) -> OutboundMessage:
    try:
        return message_get(user=current_user(request), pk=pk)
    except OutboundMessage.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET"])
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    context = {
        "message": message,
        "status_css": STATUS_CSS,
        "related_link": _related_link(message),
        "can_edit": current_user(request).is_admin_role,
    }
    return render(request, "comms/outbox_message.html", context)


@login_required
@require_POST
def outbox_message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_channels_admin(user)
    message = _message(request, pk)
    try:
        services.message_retry(message=message, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message is back in the queue; a worker will send it shortly."))
    return redirect("comms:outbox_message", pk=message.pk)


@login_required
@require_POST
def outbox_message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_channels_admin(user)
    message = _message(request, pk)
    try:
        services.message_cancel(message=message, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message was cancelled; it will not be sent."))
    return redirect("comms:outbox_message", pk=message.pk)
