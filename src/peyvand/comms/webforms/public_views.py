"""The public form page: hosted at /comms/forms/f/<key>/ and shown in other sites' frames; no login."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from peyvand.comms.webforms.models import WebForm
from peyvand.comms.webforms.schema import HONEYPOT, field_label
from peyvand.comms.webforms.selectors import public_form_get
from peyvand.comms.webforms.services import form_token, submission_receive
from peyvand.core.middleware import CONTENT_SECURITY_POLICY

__all__ = ["client_ip", "form_language", "frame_policy", "public_form"]


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. Behind a reverse proxy, PEYVAND_WEBFORMS_IP_HEADER names the header it puts the
    address in (X-Real-IP); otherwise every visitor would share the proxy's address and its rate limit."""
    header = str(getattr(settings, "PEYVAND_WEBFORMS_IP_HEADER", "") or "")
    if header:
        value = request.headers.get(header, "")
        if value:
            return value.split(",")[0].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def form_language(request: HttpRequest) -> str:
    """?lang=en or ?lang=fa chooses; without it the site's language for this browser (Persian first)."""
    chosen = request.GET.get("lang", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language() or settings.LANGUAGE_CODE


def frame_policy(form: WebForm) -> str:
    """The site's Content-Security-Policy with the frame ancestors this form allows (its own origin always, for
    the builder's preview), and the redirect target among the places the form may post to."""
    ancestors = " ".join(["'self'", *form.allowed_origins])
    policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    if form.redirect_url:
        # Browsers hold a form's redirect to form-action too.
        parts = urlsplit(form.redirect_url)
        policy = policy.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return policy


def _rows(form: WebForm, values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {
            **spec,
            "label": field_label(spec),
            "value": values.get(spec["key"], ""),
            "errors": errors.get(spec["key"], []),
            "input_id": f"pvf-{spec['key']}",
        }
        for spec in form.fields
    ]


@csrf_exempt  # Another site's frame has no CSRF cookie; the signed token in the form does that work instead.
@never_cache
@xframe_options_exempt  # frame-ancestors in the policy below decides which sites may frame it.
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, key: str) -> HttpResponse:
    try:
        form = public_form_get(key)
    except WebForm.DoesNotExist:
        raise Http404 from None
    language = form_language(request)
    embed = request.GET.get("embed") == "1"
    with translation.override(language):
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        done = False
        status = 200
        token = ""
        if request.method == "POST":
            values = {spec["key"]: request.POST.get(spec["key"], "") for spec in form.fields}
            token = request.POST.get("token", "")
            try:
                submission_receive(
                    form=form,
                    data=values,
                    token=token,
                    honeypot=request.POST.get(HONEYPOT, ""),
                    ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                    origin=request.headers.get("Referer", ""),
                    language=language,
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                status = 422
                if "token" in errors:
                    token = ""
            else:
                done = True
                if form.redirect_url and not embed:
                    return redirect(form.redirect_url)
        context = {
            "form": form,
            "rows": _rows(form, values, errors),
            "errors": errors,
            "token_error": errors.get("token", []),
            "general_errors": errors.get("__all__", []),
            "done": done,
            "token": token or form_token(form=form),
            "honeypot": HONEYPOT,
            "embed": embed,
            "language": language,
            "other_language": "en" if language == "fa" else "fa",
        }
        response = render(request, "webforms/public_form.html", context, status=status)
        response["Content-Language"] = language
    response["Content-Security-Policy"] = frame_policy(form)
    return response
