"""Pages of canned answers: the JSON the console's picker asks as the agent types, and the managers' pages of
saved replies."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.accounts.selectors import teams_visible_to
from peyvand.comms.chat import canned
from peyvand.comms.chat.forms import CannedReplyForm
from peyvand.comms.chat.models import CannedReply
from peyvand.core.forms import form_page
from peyvand.core.http import current_user

# A query longer than this is a pasted paragraph; its start finds the answer as well.
MAX_QUERY = 200


@login_required
@require_GET
def canned_search(request: HttpRequest) -> HttpResponse:
    """GET /comms/chat/canned/?q=: the saved replies and published articles the agent may use that hold every
    word of `q`, as `{"replies": [...], "articles": [...]}`, each item with the plain text to put in the reply."""
    user = current_user(request)
    found = canned.canned_pick(user=user, text=(request.GET.get("q") or "")[:MAX_QUERY])
    response = JsonResponse(found, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def _require_manager(user: User) -> None:
    if not canned.can_manage_canned(user):
        raise PermissionDenied(_("Only a manager or an administrator can change saved replies."))


def _form(user: User, data: Any = None, reply: CannedReply | None = None) -> CannedReplyForm:
    teams = teams_visible_to(user).order_by("path")
    return CannedReplyForm(data, teams=teams, everyone=user.is_admin_role, reply=reply)


@login_required
@require_GET
def canned_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    replies = list(canned.canned_replies_listed(user).order_by("title", "id"))
    editable = set(canned.canned_replies_manageable(user).values_list("pk", flat=True))
    rows = [{"reply": reply, "editable": reply.pk in editable} for reply in replies]
    return render(request, "chat/canned_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def canned_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    form = _form(user, request.POST or None)
    return form_page(
        request,
        form,
        save=lambda: canned.canned_reply_create(by=user, data=form.service_data()),
        template="chat/canned_form.html",
        context={"reply": None},
        saved=_saved,
        then="comms:chat:canned_list",
    )


def _saved(reply: CannedReply) -> str:
    return _("The saved reply “%(title)s” was saved.") % {"title": reply.title}


def _reply_or_404(user: User, pk: int) -> CannedReply:
    reply = canned.canned_replies_listed(user).filter(pk=pk).first()
    if reply is None:
        raise Http404
    return reply


@login_required
@require_http_methods(["GET", "POST"])
def canned_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    reply = _reply_or_404(user, pk)
    if reply.team_id is None and not user.is_admin_role:
        raise PermissionDenied(_("Only an administrator changes the replies for everyone."))
    form = _form(user, request.POST or None, reply)
    return form_page(
        request,
        form,
        save=lambda: canned.canned_reply_update(reply=reply, by=user, data=form.service_data()),
        template="chat/canned_form.html",
        context={"reply": reply},
        saved=_saved,
        then="comms:chat:canned_list",
    )


@login_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    reply = _reply_or_404(user, pk)
    try:
        canned.canned_reply_delete(reply=reply, by=user)
    except CannedReply.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The saved reply “%(title)s” was deleted.") % {"title": reply.title})
    return redirect("comms:chat:canned_list")
