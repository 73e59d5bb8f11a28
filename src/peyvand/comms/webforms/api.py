"""HTTP API of web forms under /api/v1/comms/forms/: the list and creation of forms for staff, and the public
pair a site's own script uses (a form's fields with a fresh token, then the answers), with CORS for the sites the
form allows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from peyvand.comms.webforms import services
from peyvand.comms.webforms.models import SubmissionStatus, WebForm
from peyvand.comms.webforms.public_views import client_ip
from peyvand.comms.webforms.schema import HONEYPOT, field_label
from peyvand.comms.webforms.selectors import form_list, public_form_get, require_form_reader, submissions_visible_to
from peyvand.core.api import api, error_response
from peyvand.core.http import AuthedRequest
from peyvand.customers.schemas import Strict

router = Router(tags=["Web forms"])


class FieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    choices: list[str]


class PublicFormOut(Schema):
    key: str
    title: str
    intro: str
    fields: list[FieldOut]
    token: str = Field(description="send it back with the answers; valid for PEYVAND_WEBFORMS_TOKEN_HOURS")
    honeypot: str = Field(description="the name of the hidden field that must stay empty")
    min_fill_seconds: int


class SubmissionIn(Strict):
    token: str = Field(..., max_length=500)
    answers: dict[str, Any] = Field(..., description="by field key")
    website: str = Field("", max_length=500, description="the hidden field: leave it empty")


class SubmissionOut(Schema):
    status: str = Field(description="always `received`, spam included, so that a bot learns nothing")
    message: str
    redirect_url: str


class FormIn(Strict):
    name: str = Field(..., max_length=120)
    title_fa: str = Field(..., max_length=200)
    title_en: str = Field("", max_length=200)
    intro_fa: str = Field("", max_length=5000)
    intro_en: str = Field("", max_length=5000)
    fields: list[dict[str, Any]]
    action: str = Field(..., description="lead, ticket or timeline")
    lead_owner_id: int | None = None
    lead_team_id: int | None = None
    ticket_kind: str = ""
    ticket_category_id: int | None = None
    ticket_priority: str = ""
    ticket_team_id: int | None = Field(None, description="takes the tickets no routing rule or category places")
    success_fa: str = Field("", max_length=5000)
    success_en: str = Field("", max_length=5000)
    redirect_url: str = Field("", max_length=500)
    allowed_origins: list[str] = Field(default_factory=list)
    is_active: bool = True
    rate_per_hour: int = 10
    min_fill_seconds: int = 3


class FormPatch(Strict):
    name: str | None = Field(None, max_length=120)
    title_fa: str | None = Field(None, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    intro_fa: str | None = Field(None, max_length=5000)
    intro_en: str | None = Field(None, max_length=5000)
    fields: list[dict[str, Any]] | None = None
    action: str | None = None
    lead_owner_id: int | None = None
    lead_team_id: int | None = None
    ticket_kind: str | None = None
    ticket_category_id: int | None = None
    ticket_priority: str | None = None
    ticket_team_id: int | None = None
    success_fa: str | None = Field(None, max_length=5000)
    success_en: str | None = Field(None, max_length=5000)
    redirect_url: str | None = Field(None, max_length=500)
    allowed_origins: list[str] | None = None
    is_active: bool | None = None
    rate_per_hour: int | None = None
    min_fill_seconds: int | None = None


class SubmissionRowOut(Schema):
    id: int
    created_at: dt.datetime
    status: str
    spam_reason: str
    error: str
    data: dict[str, Any]
    customer_id: int | None
    lead_id: int | None
    ticket_id: int | None


class FormOut(Schema):
    id: int
    key: str
    name: str
    title_fa: str
    title_en: str
    action: str
    fields: list[dict[str, Any]]
    lead_team_id: int | None
    lead_owner_id: int | None
    ticket_category_id: int | None
    ticket_team_id: int | None
    allowed_origins: list[str]
    is_active: bool
    rate_per_hour: int
    min_fill_seconds: int


def _cors(request: HttpRequest, form: WebForm, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if origin and origin.rstrip("/").lower() in form.allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _origin_refused(request: HttpRequest, form: WebForm) -> bool:
    """A browser on a site the form does not allow: refused, whatever the browser would have let through (a
    simple cross-site POST is sent before CORS is asked). Programs without an Origin, and our own pages, pass."""
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    own = request.build_absolute_uri("/").rstrip("/").lower()
    return bool(origin) and origin != own and origin not in form.allowed_origins


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in ("fa", "en") else (translation.get_language() or "fa")


@router.get("", response=list[FormOut], summary="The web forms (managers and administrators)")
def forms_list(request: AuthedRequest) -> Any:
    return list(form_list(user=request.auth))


@router.post("", response={201: FormOut}, summary="Create a web form (administrators)")
def forms_create(request: AuthedRequest, payload: FormIn) -> Any:
    return Status(201, services.form_create(by=request.auth, data=payload.model_dump()))


@router.patch("/{key}", response=FormOut, summary="Change some settings of a web form (administrators)")
def forms_update(request: AuthedRequest, key: str, payload: FormPatch) -> Any:
    require_form_reader(request.auth)
    form = WebForm.objects.get(key=key[:32])
    # Only what was sent changes; a null owner, team or category clears it.
    data = payload.model_dump(exclude_unset=True)
    return services.form_update(form=form, by=request.auth, data=data)


@router.get(
    "/{key}/submissions",
    response=list[SubmissionRowOut],
    summary="A form's latest submissions within your reach (?status=accepted|spam|failed, ?limit=1..500)",
)
def submissions_list(request: AuthedRequest, key: str, status: str = "", limit: int = 100) -> Any:
    form = WebForm.objects.get(key=key[:32])
    rows = submissions_visible_to(request.auth).filter(form=form)
    if status in SubmissionStatus.values:
        rows = rows.filter(status=status)
    return list(rows.order_by("-id")[: max(1, min(limit, 500))])


@router.get(
    "/{key}",
    auth=None,
    response=PublicFormOut,
    summary="A form's fields and a fresh token (public; ?lang=en for English labels)",
)
def public_form(request: HttpRequest, key: str) -> HttpResponse:
    form = public_form_get(key)
    with translation.override(_language(request)):
        body = {
            "key": form.key,
            "title": form.title,
            "intro": form.intro,
            "fields": [
                {
                    "key": spec["key"],
                    "label": field_label(spec),
                    "type": spec["type"],
                    "required": bool(spec.get("required")),
                    "choices": list(spec.get("choices") or []),
                }
                for spec in form.fields
            ],
            "token": services.form_token(form=form),
            "honeypot": HONEYPOT,
            "min_fill_seconds": form.min_fill_seconds,
        }
    response = api.create_response(request, body, status=200)
    response["Cache-Control"] = "no-store"
    return _cors(request, form, response)


@router.api_operation(["OPTIONS"], "/{key}/submissions", auth=None, include_in_schema=False)
def submission_preflight(request: HttpRequest, key: str) -> HttpResponse:
    form = public_form_get(key)
    return _cors(request, form, HttpResponse(status=204))


def _read_submission(request: HttpRequest) -> SubmissionIn | dict[str, list[str]]:
    """The body, parsed here rather than by the framework: a body too large or not the right shape is answered
    by this endpoint (413 / 422 with the CORS headers a site's script needs to read it), never as a server error."""
    try:
        raw = request.body
    except RequestDataTooBig:
        return {"__all__": [_("The submission is too large.")], "__status__": ["413"]}
    try:
        return SubmissionIn.model_validate_json(raw or b"{}")
    except PydanticValidationError as exc:
        fields: dict[str, list[str]] = {}
        for err in exc.errors():
            name = ".".join(str(part) for part in err.get("loc", ())) or "__all__"
            if err.get("type") == "extra_forbidden":
                message = _("Unknown field.")
            elif err.get("type") == "missing":
                message = _("This field is required.")
            else:
                message = _("Not a valid value.")
            fields.setdefault(name, []).append(message)
        return fields


@router.post(
    "/{key}/submissions",
    auth=None,
    response={201: SubmissionOut},
    summary="Send the answers to a form (public; CORS for the sites the form allows)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": SubmissionIn.model_json_schema()}}}
    },
)
def submission_create(request: HttpRequest, key: str) -> HttpResponse:
    form = public_form_get(key)
    if _origin_refused(request, form):
        return error_response(
            request, status=403, code="forbidden", message=_("This form does not take submissions from this site.")
        )
    payload = _read_submission(request)
    if not isinstance(payload, SubmissionIn):
        status = int(payload.pop("__status__", ["422"])[0])
        response = error_response(
            request,
            status=status,
            code="too_large" if status == 413 else "invalid",
            message=_("Some fields are not valid.") if status == 422 else _("The submission is too large."),
            fields=payload,
        )
        return _cors(request, form, response)
    language = _language(request)
    with translation.override(language):
        try:
            services.submission_receive(
                form=form,
                data=payload.answers,
                token=payload.token,
                honeypot=payload.website,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                origin=request.headers.get("Origin", ""),
                language=language,
                strict=True,
            )
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            response = error_response(
                request, status=422, code="invalid", message=_("Some fields are not valid."), fields=fields
            )
            return _cors(request, form, response)
        body = {
            "status": "received",
            "message": form.success_message or _("Thank you! We received your message and will be in touch soon."),
            "redirect_url": form.redirect_url,
        }
    return _cors(request, form, api.create_response(request, body, status=201))
