"""Telephony's pages (the call log, creating a customer from a call, click-to-call) and the PBX's endpoints (call
events, routing hints), which are authenticated by the PBX account's token in the address."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus
from peyvand.comms.telephony import selectors, services
from peyvand.comms.telephony.models import Call, CallDirection, CallStatus
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.phone import format_phone, phone_type
from peyvand.customers.models import Customer, PhoneKind

logger = logging.getLogger(__name__)

# A call event is a few hundred bytes; anything much bigger is not one.
MAX_EVENT_BYTES = 64 * 1024


def _pbx(token: str) -> ChannelAccount | None:
    if not token or len(token) > 64:
        return None
    return ChannelAccount.objects.filter(inbound_token=token, channel=Channel.CALL, is_active=True).first()


def _refused(reason: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": reason, "message": reason, "fields": {}}}, status=status)


def _signed(account: ChannelAccount, request: HttpRequest, body: bytes) -> bool:
    """With a webhook secret set, the PBX must sign each body (HMAC-SHA256, hex, in X-Peyvand-Signature)."""
    secret = str((account.secrets or {}).get("webhook_secret") or "")
    if not secret:
        return True
    given = request.headers.get("X-Peyvand-Signature", "").removeprefix("sha256=").strip()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def _keep_refused(account: ChannelAccount, body: bytes, reason: str, payload: Any = None) -> None:
    """A refused event is kept whole, so a PBX that sends something new can be understood and replayed."""
    logger.warning("telephony: event refused for %s: %s", account, reason)
    raw = payload if isinstance(payload, dict) else {"body": body[:MAX_EVENT_BYTES].decode("utf-8", "replace")}
    InboundMessage.objects.create(
        channel=Channel.CALL,
        account=account,
        status=InboundStatus.FAILED,
        error=services.without_nul(reason)[:500],
        received_at=timezone.now(),
        raw=services.without_nul(raw),
    )


@csrf_exempt
@require_POST
def call_events(request: HttpRequest, token: str) -> HttpResponse:
    """A cloud PBX posts one call event as JSON; the same event of the same call twice is recorded once."""
    account = _pbx(token)
    if account is None:
        return _refused("forbidden", 403)
    try:
        body = request.body
    except RequestDataTooBig:
        return _refused("too_large", 413)
    if len(body) > MAX_EVENT_BYTES:
        return _refused("too_large", 413)
    if not _signed(account, request, body):
        return _refused("bad_signature", 401)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _keep_refused(account, body, f"not JSON: {exc}")
        return JsonResponse(
            {"error": {"code": "invalid", "message": _("The body must be a JSON object."), "fields": {}}}, status=400
        )
    try:
        result = services.call_event_from_payload(account=account, payload=payload)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        _keep_refused(account, body, json.dumps(fields, ensure_ascii=False), payload)
        error = {"code": "invalid", "message": _("The event was not understood."), "fields": fields}
        return JsonResponse({"error": error}, status=400)
    return JsonResponse({"ok": True, "call": result.call.pk, "duplicate": not result.created})


@require_GET
def route(request: HttpRequest, token: str) -> HttpResponse:
    """The dial plan's question "where should this caller go?": plain text (the target alone, for Asterisk's
    CURL()) or JSON with ?format=json."""
    account = _pbx(token)
    if account is None:
        return HttpResponse("", status=403, content_type="text/plain")
    hint = selectors.route_hint(account=account, number=request.GET.get("number", "")[:80])
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"target": hint.target, "kind": hint.kind, "reason": hint.reason})
    return HttpResponse(hint.target, content_type="text/plain; charset=utf-8")


class CallFilterForm(forms.Form):
    direction = forms.ChoiceField(required=False, choices=[("", "")])
    status = forms.ChoiceField(required=False, choices=[("", "")])
    number = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["direction"].label = _("Direction")
        self.fields["status"].label = _("Status")
        self.fields["number"].label = _("Number")
        any_ = [("", _("All"))]
        self.fields["direction"].choices = any_ + list(CallDirection.choices)  # type: ignore[attr-defined]
        self.fields["status"].choices = any_ + list(CallStatus.choices)  # type: ignore[attr-defined]
        for field in self.fields.values():
            choice = isinstance(field, forms.ChoiceField)
            field.widget.attrs["class"] = "form-select form-select-sm" if choice else "form-control form-control-sm"


@login_required
@require_GET
def call_log(request: HttpRequest) -> HttpResponse:
    """Every call the user may see, newest first: their own, their team's, their customers'."""
    user = current_user(request)
    form = CallFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.CallFilters(
        direction=data.get("direction", ""),
        status=data.get("status", ""),
        number=data.get("number", ""),
        customer_id=query_int(request.GET, "customer"),
        agent_id=query_int(request.GET, "agent"),
    )
    listing = list_page(request, lambda cursor: selectors.call_list(user=user, filters=filters, cursor=cursor))
    return render(request, "telephony/call_log.html", {"form": form, **listing.context()})


@login_required
@require_http_methods(["GET", "POST"])
def new_customer(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer form with the caller's number filled in; once saved, the call (and its timeline entry)
    belongs to the new customer."""
    from peyvand.customers.forms import CustomerForm, RowSet
    from peyvand.customers.services import customer_create

    user = current_user(request)
    call = Call.objects.filter(pk=pk).first()
    if call is None or not _may_take(user, call):
        raise Http404(_("No such call."))
    form = CustomerForm(request.POST or None, user=user, kind="person")
    if request.method == "GET":
        number = call.to_number if call.direction == CallDirection.OUTBOUND else call.from_number
        kind = PhoneKind.MOBILE if phone_type(number) == "mobile" else PhoneKind.WORK
        if kind not in PhoneKind.values:
            kind = PhoneKind.MOBILE
        row = {"number": format_phone(number, "en"), "kind": kind, "is_primary": True}
        form.phones = RowSet.from_initial("phones", ("number", "kind"), PhoneKind.choices, [row])
    elif form.is_valid():
        try:
            customer = customer_create(by=user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            services.call_attach_customer(call=call, customer=customer, by=user)
            messages.success(request, _("“%(name)s” was saved.") % {"name": customer.display_name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None, "kind": "person"})


def _may_take(user: Any, call: Call) -> bool:
    """The call is the user's to answer: it is in their call log, or it rang them."""
    return selectors.calls_visible_to(user).filter(pk=call.pk).exists() or services.rang(call=call, user=user)


@login_required
@require_POST
def click_to_call(request: HttpRequest) -> HttpResponseBase:
    """Ring the agent's own phone, then the number (a button beside each phone of a customer)."""
    user = current_user(request)
    customer = None
    customer_id = query_int(request.POST, "customer")
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise Http404(_("No such customer."))
    try:
        placed = services.click_to_call(by=user, number=request.POST.get("number", "")[:40], customer=customer)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    except ValidationError as exc:
        text = " ".join(exc.messages)
        if request.headers.get("HX-Request"):
            return render(request, "telephony/_click_to_call_result.html", {"ok": False, "text": text}, status=422)
        messages.error(request, text)
    else:
        text = _("Your phone (%(extension)s) will ring; pick it up to call %(number)s.") % {
            "extension": placed["extension"],
            "number": format_phone(placed["number"]),
        }
        if request.headers.get("HX-Request"):
            return render(request, "telephony/_click_to_call_result.html", {"ok": True, "text": text})
        messages.success(request, text)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "comms:telephony:calls")


@login_required
@require_http_methods(["GET", "POST"])
def extensions(request: HttpRequest) -> HttpResponse:
    """Administrators: whose phone is which extension on each PBX (the pop-up rings by it, click-to-call dials
    it). One form per PBX: an extension box per member of staff; an empty box takes the extension away."""
    from peyvand.accounts.models import User

    user = current_user(request)
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators assign extensions."))
    accounts = list(ChannelAccount.objects.filter(channel=Channel.CALL).order_by("name"))
    selected = next((a for a in accounts if a.pk == query_int(request.GET, "pbx")), accounts[0] if accounts else None)
    staff = list(User.objects.filter(is_active=True).select_related("team").order_by("first_name", "last_name"))
    errors: dict[int, str] = {}
    values: dict[int, str] = {}
    if selected is not None:
        values = dict(selected.extensions.values_list("user_id", "number"))
    if request.method == "POST" and selected is not None:
        for person in staff:
            number = request.POST.get(f"ext-{person.pk}", "").strip()[:40]
            if number == values.get(person.pk, ""):
                continue
            try:
                services.extension_set(by=user, account=selected, user=person, number=number)
            except ValidationError as exc:
                errors[person.pk] = " ".join(exc.messages)
            values[person.pk] = number
        if not errors:
            messages.success(request, _("The extensions were saved."))
            return redirect(f"{request.path}?pbx={selected.pk}")
    rows = [
        {"user": person, "number": values.get(person.pk, ""), "error": errors.get(person.pk, "")} for person in staff
    ]
    context = {"accounts": accounts, "selected": selected, "rows": rows}
    return render(request, "telephony/extensions.html", context, status=422 if errors else 200)
