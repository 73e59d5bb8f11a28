"""Pages of live chat: the agents' console, one chat's transcript, the admins' widget pages, and the widget's
script served by its key."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.comms.chat import selectors, services
from peyvand.comms.chat.canned import can_manage_canned
from peyvand.comms.chat.forms import ChatWidgetForm
from peyvand.comms.chat.models import ChatSession, ChatWidget
from peyvand.core.forms import form_page
from peyvand.core.http import current_user

WIDGET_SCRIPT = "peyvand/chat-widget.js"


@login_required
@require_GET
def chat_console(request: HttpRequest) -> HttpResponse:
    """The console: the chats waiting and under way for the agent's teams, answered live over a socket."""
    user = current_user(request)
    return render(
        request,
        "chat/console.html",
        {
            "can_configure": user.is_admin_role,
            "can_manage_replies": can_manage_canned(user),
            "max_length": services.max_message_length(),
            "recent": selectors.chat_recent_closed(user=user),
        },
    )


@login_required
@require_GET
def chat_session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        session = selectors.chat_session_get(user=user, pk=pk)
    except ChatSession.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "chat/session.html",
        {
            "session": session,
            "chat_messages": selectors.chat_transcript(session),
            "customer_visible": selectors.customer_visible(user=user, customer_id=session.customer_id),
        },
    )


def _site_base(request: HttpRequest) -> str:
    base = str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")
    return base or request.build_absolute_uri("/").rstrip("/")


def _script_path(widget: ChatWidget) -> str:
    return reverse("comms:chat:widget_script", args=[widget.public_key])


@login_required
@require_GET
def widget_list(request: HttpRequest) -> HttpResponse:
    services.require_chat_admin(current_user(request))
    base = _site_base(request)
    rows = [
        {
            "widget": widget,
            "snippet": f'<script src="{base}{_script_path(widget)}" async></script>',
        }
        for widget in selectors.widget_list()
    ]
    return render(request, "chat/widgets.html", {"rows": rows})


def _saved(widget: ChatWidget) -> str:
    return _("The chat widget “%(name)s” was saved.") % {"name": widget.name}


@login_required
@require_http_methods(["GET", "POST"])
def widget_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    services.require_chat_admin(user)
    form = ChatWidgetForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda: services.widget_create(by=user, data=form.service_data()),
        template="chat/widget_form.html",
        context={"widget": None},
        saved=_saved,
        then="comms:chat:widgets",
    )


@login_required
@require_http_methods(["GET", "POST"])
def widget_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_chat_admin(user)
    widget = get_object_or_404(ChatWidget, pk=pk)
    form = ChatWidgetForm(request.POST or None, widget=widget)
    return form_page(
        request,
        form,
        save=lambda: services.widget_update(widget=widget, by=user, data=form.service_data()),
        template="chat/widget_form.html",
        context={"widget": widget},
        saved=_saved,
        then="comms:chat:widgets",
    )


@cache
def _script_text() -> bytes:
    found = finders.find(WIDGET_SCRIPT)
    path = found if isinstance(found, str) else Path(settings.STATIC_ROOT) / WIDGET_SCRIPT
    return Path(path).read_bytes()


@require_GET
def widget_script(request: HttpRequest, key: str) -> HttpResponse:
    """The widget's script for `<script src=…/widget/<key>.js>`: the same file as the static one, which reads
    its key from this address. Any site may load it; only allowed origins can then open a chat."""
    if selectors.widget_by_key(key) is None:
        raise Http404
    response = HttpResponse(_script_text(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
