"""SMS pages: compose one SMS or a small batch to customers, with the parts and cost shown while typing."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.accounts.models import Role
from peyvand.comms.models import Channel, ChannelAccount, OutboundMessage
from peyvand.comms.sms.forms import SmsComposeForm
from peyvand.comms.sms.services import MAX_RECIPIENTS, sms_quote, sms_send
from peyvand.core.http import current_user
from peyvand.customers.selectors.scope import customers_visible_to


def _customer_ids(params: Any) -> list[int]:
    ids = [v for v in params.getlist("customer") if str(v).isdigit() and len(str(v)) < 19]
    return list(dict.fromkeys(int(v) for v in ids))[: MAX_RECIPIENTS + 1]


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """?customer=<id> (repeated) names the recipients; the page shows them and the message's parts."""
    user = current_user(request)
    can_use_numbers = user.is_admin_role or user.role == Role.MANAGER
    params = request.POST if request.method == "POST" else request.GET
    ids = _customer_ids(params)
    customers = list(customers_visible_to(user).filter(pk__in=ids).order_by("sort_key", "id"))
    if len(customers) != len(ids):
        raise Http404
    form = SmsComposeForm(
        request.POST if request.method == "POST" else None,
        initial={"key": uuid.uuid4().hex},
        can_use_numbers=can_use_numbers,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                sent = sms_send(
                    by=user,
                    text=form.cleaned_data["text"],
                    customers=customers,
                    numbers=form.number_list() if can_use_numbers else [],
                    account=form.cleaned_data.get("account"),
                    request_key=form.cleaned_data["key"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                skipped = sum(1 for m in sent if m.status == "skipped")
                messages.success(
                    request,
                    ngettext("%(count)s SMS queued.", "%(count)s SMS queued.", len(sent) - skipped)
                    % {"count": len(sent) - skipped},
                )
                if skipped:
                    messages.warning(
                        request,
                        ngettext(
                            "%(count)s recipient is not sent to (no consent or no mobile number).",
                            "%(count)s recipients are not sent to (no consent or no mobile number).",
                            skipped,
                        )
                        % {"count": skipped},
                    )
                # Back to the same recipients, with what was just queued listed below the form.
                query = QueryDict(mutable=True)
                query.setlist("customer", [str(c.pk) for c in customers])
                if sent:
                    query["batch"] = sent[0].batch
                return redirect(reverse("comms:sms:compose") + "?" + query.urlencode())
    batch = (request.GET.get("batch") or "")[:60]
    recent = (
        list(OutboundMessage.objects.filter(batch=batch, created_by=user).select_related("customer")[:MAX_RECIPIENTS])
        if batch
        else []
    )
    text = form.data.get("text", "") if form.is_bound else ""
    context = {
        "form": form,
        "customers": customers,
        "quote": sms_quote(text=text, recipients=max(1, len(customers)), account=_default_sms_account()),
        "recent": recent,
        "max_recipients": MAX_RECIPIENTS,
    }
    return render(request, "sms/compose.html", context, status=status)


def _default_sms_account() -> ChannelAccount | None:
    return ChannelAccount.objects.filter(channel=Channel.SMS, is_active=True).order_by("-is_default", "id").first()


@login_required
@require_POST
def segments_preview(request: HttpRequest) -> HttpResponse:
    """The counter under the message box (htmx: on every pause in typing)."""
    current_user(request)
    recipients = request.POST.get("recipients", "1")
    account_id = request.POST.get("account", "")
    account = (
        ChannelAccount.objects.filter(pk=int(account_id), channel=Channel.SMS).first()
        if account_id.isdigit() and len(account_id) < 19
        else None
    ) or _default_sms_account()
    quote = sms_quote(
        text=request.POST.get("text", "")[:5000],
        recipients=int(recipients) if recipients.isdigit() and len(recipients) < 7 else 1,
        account=account,
    )
    return render(request, "sms/_segments.html", {"quote": quote})
