"""The HTTP API's shared parts: the NinjaAPI instance, bearer-token auth, rate limit, one JSON error shape."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import SimpleRateThrottle

from peyvand.accounts.services import api_token_authenticate
from peyvand.core.errors import ConflictError

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionCookie(APIKeyCookie):
    """The logged-in browser session (pages call the API with HTMX); CSRF is checked on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in session there is nothing for CSRF to protect; checking anyway would answer
        # a request with no (or a bad) bearer token with 403 "CSRF failed" instead of 401.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


class PerUserThrottle(SimpleRateThrottle):
    """PEYVAND_API_RATE_LIMIT requests a minute for each authenticated user (and so for each token)."""

    scope = "user"

    def __init__(self) -> None:
        super().__init__(f"{settings.PEYVAND_API_RATE_LIMIT}/m")

    def allow_request(self, request: HttpRequest) -> bool:
        # Read the setting per request so that a changed limit applies without a restart of the API object.
        self.num_requests = settings.PEYVAND_API_RATE_LIMIT
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        ident = f"u{auth.pk}" if auth is not None and hasattr(auth, "pk") else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PeyvandAPI(NinjaAPI):
    """NinjaAPI whose every answer is JSON in the one error shape, also for a path under /api/v1/ that
    matches no endpoint and for a method an endpoint lacks (ninja answers those two with HTML/plain text)."""

    def _get_urls(self) -> list[Any]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if not isinstance(pattern, URLPattern) or inspect.iscoroutinefunction(pattern.callback):
                continue
            if pattern.name == "api-root":
                # ninja's root view only exists to be reversed; asked for, it raises an HTML 404
                pattern.callback = _unknown_path
            else:
                pattern.callback = _json_method_not_allowed(pattern.callback)
        # [\s\S], not ".": a path holding a newline is unknown too, not left to the HTML 404 of the pages.
        patterns.append(re_path(r"^[\s\S]*$", _unknown_path, name="unknown-path"))
        return patterns

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """ninja's schema, plus the error answers each operation can give, all in the one error shape."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operation in (op for item in schema.get("paths", {}).values() for op in item.values()):
            responses = operation.setdefault("responses", {})
            codes = ["401", "429"] if operation.get("security") else []
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("422")
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                codes.append("404")
            for code in codes:
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], **ref})
            responses.setdefault("default", {"description": ERROR_DESCRIPTIONS["default"], **ref})
        return schema


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs: invalid, not_found, …"},
                "message": {"type": "string", "description": "for people, in the request's language"},
                "fields": {
                    "type": "object",
                    "description": "each invalid field with its messages",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERROR_DESCRIPTIONS = {
    "401": "No valid API token (or session).",
    "404": "No such record, or not one you may see.",
    "422": "Some input is not valid; `fields` names each field.",
    "429": "Rate limit reached; `Retry-After` says when to try again.",
    "default": "Any other error (403 not allowed, 405 method not allowed, 500), in the same shape.",
}


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                request, status=405, code="method_not_allowed", message=_("This method is not allowed here.")
            )
            response["Allow"] = allowed
        return response

    return wrapped


@csrf_exempt
def _unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=_("Not found."))


api = PeyvandAPI(
    title="Peyvand API",
    version="1",
    description="Peyvand CRM HTTP API. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `peyvand create_api_token USERNAME`).",
    urls_namespace="api",
    auth=[BearerToken(), SessionCookie()],
    throttle=[PerUserThrottle()],
)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    return error_response(request, status=422, code="invalid", message=_("Some fields are not valid."), fields=fields)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        # pydantic puts the schema name first for body payloads; drop it so the field is named as sent
        if len(loc) > 1 and loc[0][:1].isupper():
            loc = loc[1:]
        name = ".".join(loc) or "__all__"
        if err.get("type") == "extra_forbidden":
            message = _("Unknown field.")
        elif err.get("type") == "missing":
            message = _("This field is required.")
        else:
            message = str(err.get("msg", _("Not a valid value.")))
        fields.setdefault(name, []).append(message)
    return error_response(request, status=422, code="invalid", message=_("Some fields are not valid."), fields=fields)


@api.exception_handler(ConflictError)
def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    """A stale write (optimistic locking): 409, and `fields.version` says which version the record is at now."""
    version = _("The record is now at version %(version)s.") % {"version": exc.current_version}
    return error_response(request, status=409, code="conflict", message=exc.message, fields={"version": [version]})


@api.exception_handler(ObjectDoesNotExist)
@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=_("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(
        request, status=403, code="forbidden", message=str(exc) or _("You do not have permission to do this.")
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        status=401,
        code="unauthenticated",
        message=_("Log in, or send a valid API token as “Authorization: Bearer <token>”."),
    )


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = error_response(
        request, status=429, code="rate_limited", message=_("Too many requests; try again in a minute.")
    )
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, status=exc.status_code, code="error", message=str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE; that is the client's error, not ours.
    return error_response(
        request,
        status=413,
        code="too_large",
        message=_("The request is too large (at most %(mb)s MB).")
        % {"mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)},
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error", exc_info=exc)
    return error_response(
        request,
        status=500,
        code="server_error",
        message=_("Something went wrong on our side; it has been logged."),
    )


def register_routers() -> None:
    from peyvand.customers.api import interactions_router, organizations_router
    from peyvand.customers.api import router as customers_router

    api.add_router("/customers", customers_router)
    api.add_router("/organizations", organizations_router)
    api.add_router("/interactions", interactions_router)
    api.add_router("/imports", "peyvand.customers.import_api.router")
    api.add_router("/data-quality", "peyvand.customers.quality_api.router")
    api.add_router("/products", "peyvand.sales.api.products_router")
    api.add_router("/pipelines", "peyvand.sales.api.pipelines_router")
    api.add_router("/deals", "peyvand.sales.api.deals_router")
    api.add_router("/competitors", "peyvand.sales.api.competitors_router")
    api.add_router("/leads", "peyvand.sales.lead_api.leads_router")
    api.add_router("/quotes", "peyvand.sales.quote_api.quotes_router")
    api.add_router("/orders", "peyvand.sales.billing_api.orders_router")
    api.add_router("/invoices", "peyvand.sales.billing_api.invoices_router")
    api.add_router("/customer-values", "peyvand.sales.billing_api.customer_values_router")
    api.add_router("/contracts", "peyvand.sales.contract_api.contracts_router")
    api.add_router("/targets", "peyvand.sales.contract_api.targets_router")
    api.add_router("/activities", "peyvand.sales.activity_api.activities_router")
    api.add_router("/notifications", "peyvand.sales.activity_api.notifications_router")
    api.add_router("/forecast", "peyvand.sales.forecast_api.forecast_router")
    api.add_router("/tickets", "peyvand.service.ticket_api.tickets_router")
    api.add_router("/ticket-categories", "peyvand.service.ticket_api.categories_router")
    api.add_router("/kb", "peyvand.service.kb_api.kb_router")
    api.add_router("/service", "peyvand.service.measures_api.measures_router")
    api.add_router("/routing-rules", "peyvand.service.routing_api.routing_rules_router")
    api.add_router("/sla-policies", "peyvand.service.sla_api.sla_policies_router")
    api.add_router("/holidays", "peyvand.service.sla_api.holidays_router")
    api.add_router("/automation-rules", "peyvand.service.automation_api.automation_rules_router")
    api.add_router("/comms", "peyvand.comms.api.router")


register_routers()
