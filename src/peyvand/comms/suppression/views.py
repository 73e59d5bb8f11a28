"""Pages of the suppression list (managers read, administrators change, CSV export) and the public
unsubscribe page a marketing e-mail links to."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.comms.models import Channel, OutboundMessage, Suppression
from peyvand.comms.suppression.forms import SuppressionAddForm, SuppressionFilterForm
from peyvand.comms.suppression.selectors import (
    suppression_list,
    suppressions_export_rows,
    suppressions_visible_to,
)
from peyvand.comms.suppression.services import normalize_address, suppressions_add, unsuppress
from peyvand.comms.suppression.unsubscribe import message_for_token, unsubscribe_message
from peyvand.core.http import current_user, list_page

PAGE_SIZE = 50
REASON_CSS = {
    "opt_out_sms": "text-bg-warning",
    "unsubscribed": "text-bg-secondary",
    "hard_bounce": "text-bg-danger",
    "complaint": "text-bg-danger",
    "manual": "text-bg-dark",
}


def _list_page(request: HttpRequest, add_form: SuppressionAddForm | None = None, status: int = 200) -> HttpResponse:
    user = current_user(request)
    suppressions_visible_to(user)  # 403 before anything is read
    form = SuppressionFilterForm(request.GET or None)
    filters = form.filters() if request.GET else SuppressionFilterForm().filters()
    pager = list_page(
        request, lambda cursor: suppression_list(user=user, filters=filters, cursor=cursor, limit=PAGE_SIZE)
    )
    export_params = request.GET.copy()
    export_params.pop("cursor", None)
    context: dict[str, Any] = {
        "form": form,
        "add_form": add_form or (SuppressionAddForm() if user.is_admin_role else None),
        "can_edit": user.is_admin_role,
        "reason_css": REASON_CSS,
        "export_query": export_params.urlencode(),
        "total": suppressions_visible_to(user).count(),
        "is_filtered": any(v for k, v in request.GET.items() if k != "cursor"),
        **pager.context(),
    }
    return render(request, "comms/suppressions.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def suppressions(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@login_required
@require_POST
def suppressions_add_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators change the suppression list."))
    form = SuppressionAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = suppressions_add(
                by=user,
                channel=data["channel"],
                addresses=data["addresses"],
                reason=data["reason"],
                source=data.get("source") or "",
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            added = len(result.added)
            messages.success(
                request,
                ngettext("%(count)s address added.", "%(count)s addresses added.", added) % {"count": added}
                + (
                    " " + _("%(count)s were on the list already.") % {"count": result.already} if result.already else ""
                ),
            )
            return redirect("comms:suppressions")
    return _list_page(request, add_form=form, status=422)


@login_required
@require_POST
def suppression_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    entry = get_object_or_404(suppressions_visible_to(user), pk=pk)
    unsuppress(suppression=entry, by=user)
    messages.success(request, _("%(address)s was taken off the list.") % {"address": entry.address})
    return redirect("comms:suppressions")


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_http_methods(["GET"])
def suppressions_export(request: HttpRequest) -> StreamingHttpResponse:
    user = current_user(request)
    suppressions_visible_to(user)  # 403 now: the rows are read only as the response streams
    filters = SuppressionFilterForm(request.GET or None).filters() if request.GET else SuppressionFilterForm().filters()
    rows = suppressions_export_rows(user=user, filters=filters)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so that Excel reads the Persian text as UTF-8
        yield writer.writerow(["channel", "address", "reason", "source", "added_by", "added_at"])
        for entry in rows:
            yield writer.writerow(
                [
                    entry.channel,
                    entry.address,
                    entry.reason,
                    entry.source,
                    entry.created_by.username if entry.created_by else "",
                    entry.created_at.isoformat(),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="suppressions-{stamp}.csv"'
    return response


# --- the public unsubscribe page --------------------------------------------------------------------------------


def _masked(address: str) -> str:
    """The address as the page shows it: enough for its owner to recognise, not the whole of it for whoever
    the mail was forwarded to."""
    name, _at, domain = address.partition("@")
    return (name[:2] + "•" * max(1, min(len(name) - 2, 6)) + "@" + domain) if domain else address


def _public(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@csrf_exempt  # RFC 8058: the reader's mail provider posts the one-click request with no page and no cookie.
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the signed token in the link is the key (it names one marketing e-mail). GET asks to confirm
    (a link scanner following every link must not unsubscribe anyone); POST unsubscribes, from the page's
    button or a mail client's one-click request (body List-Unsubscribe=One-Click)."""
    language = request.GET.get("lang") or request.POST.get("lang") or ""
    with translation.override(language if language in ("fa", "en") else translation.get_language()):
        try:
            message = message_for_token(token)
        except ValidationError as exc:
            return _public(request, "comms/unsubscribe.html", {"invalid": " ".join(exc.messages)}, status=400)
        except OutboundMessage.DoesNotExist:
            raise Http404(_("This unsubscribe link is not valid.")) from None
        one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
        address = normalize_address(Channel.EMAIL, message.to) or message.to
        done = False
        if request.method == "POST":
            try:
                unsubscribe_message(message=message)
            except ValidationError as exc:
                return _public(request, "comms/unsubscribe.html", {"invalid": " ".join(exc.messages)}, status=400)
            if one_click:
                return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")
            done = True
        already = not done and Suppression.objects.filter(channel=Channel.EMAIL, address=address).exists()
        context = {"address": _masked(address), "done": done, "already": already, "token": token}
        return _public(request, "comms/unsubscribe.html", context)
