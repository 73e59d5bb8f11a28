"""The form builder's writes (administrators): creating and changing a form, with its fields checked."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.comms.webforms.models import FormAction, WebForm
from peyvand.comms.webforms.schema import fields_clean
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.models import TicketCategory, TicketKind, TicketPriority

__all__ = ["FORM_FIELDS", "IDENTITY", "form_create", "form_update", "require_admin"]

FORM_FIELDS = {
    "name",
    "title_fa",
    "title_en",
    "intro_fa",
    "intro_en",
    "fields",
    "action",
    "lead_owner_id",
    "lead_team_id",
    "ticket_kind",
    "ticket_category_id",
    "ticket_priority",
    "ticket_team_id",
    "success_fa",
    "success_en",
    "redirect_url",
    "allowed_origins",
    "is_active",
    "rate_per_hour",
    "min_fill_seconds",
}
MAX_ORIGINS = 20
MAX_INTRO = 5000
# What a field must give for each kind of result to reach someone.
IDENTITY = {
    FormAction.LEAD: ("first_name", "last_name", "company", "email", "phone"),
    FormAction.TICKET: ("first_name", "last_name", "email", "phone"),
    FormAction.TIMELINE: ("email", "phone"),
}


def require_admin(by: User) -> None:
    if not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change web forms."))


def _clean_origins(value: Any, errors: Errors) -> list[str]:
    items = value.split() if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        text = str(item).strip().rstrip("/").lower()
        if not text:
            continue
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
            errors.add(
                "allowed_origins", _("“%(value)s” is not a site address like https://example.ir.") % {"value": text}
            )
            continue
        if text not in out:
            out.append(text)
    if len(out) > MAX_ORIGINS:
        errors.add("allowed_origins", _("At most %(limit)d sites.") % {"limit": MAX_ORIGINS})
    return out


def _clean_int(data: Mapping[str, Any], name: str, low: int, high: int, errors: Errors) -> int | None:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(name, _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return None
    return value


def _clean_form(data: Mapping[str, Any], errors: Errors, current: WebForm | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("name", "title_fa", "title_en"):
        if name in data:
            out[name] = clean_line(data[name] or "", model=WebForm, field=name, errors=errors)
    for name in ("name", "title_fa"):
        if name in out and not out[name]:
            errors.add(name, _("This field is required."))
    for name in ("intro_fa", "intro_en", "success_fa", "success_en"):
        if name in data:
            out[name] = str(data[name] or "").strip()
            if len(out[name]) > MAX_INTRO:
                errors.add(name, _("This is too long: at most %(limit)d characters.") % {"limit": MAX_INTRO})
    if "fields" in data:
        out["fields"] = fields_clean(data["fields"], errors)
    if "action" in data:
        if data["action"] not in FormAction.values:
            errors.add("action", _("“%(value)s” is not one of the choices.") % {"value": data["action"]})
        else:
            out["action"] = data["action"]
    if "lead_owner_id" in data:
        value = data["lead_owner_id"]
        owner = User.objects.filter(pk=value, is_active=True).first() if str(value or "").isdigit() else None
        if value not in (None, "") and owner is None:
            errors.add("lead_owner_id", _("No such user."))
        out["lead_owner"] = owner
    if "lead_team_id" in data:
        value = data["lead_team_id"]
        team = Team.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        if value not in (None, "") and team is None:
            errors.add("lead_team_id", _("No such team."))
        out["lead_team"] = team
    if "ticket_team_id" in data:
        value = data["ticket_team_id"]
        ticket_team = Team.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        if value not in (None, "") and ticket_team is None:
            errors.add("ticket_team_id", _("No such team."))
        out["ticket_team"] = ticket_team
    for name, choices in (("ticket_kind", TicketKind.values), ("ticket_priority", TicketPriority.values)):
        if name in data:
            value = str(data[name] or "")
            if value and value not in choices:
                errors.add(name, _("“%(value)s” is not one of the choices.") % {"value": value})
            out[name] = value
    if "ticket_category_id" in data:
        value = data["ticket_category_id"]
        category = (
            TicketCategory.objects.filter(pk=value, is_active=True).first() if str(value or "").isdigit() else None
        )
        if value not in (None, "") and category is None:
            errors.add("ticket_category_id", _("No such category, or it is no longer in use."))
        out["ticket_category"] = category
    if "redirect_url" in data:
        url = str(data["redirect_url"] or "").strip()
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500):
            errors.add("redirect_url", _("Enter a full address starting with https://."))
        out["redirect_url"] = url
    if "allowed_origins" in data:
        out["allowed_origins"] = _clean_origins(data["allowed_origins"], errors)
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    if "rate_per_hour" in data:
        out["rate_per_hour"] = _clean_int(data, "rate_per_hour", 1, 10000, errors)
    if "min_fill_seconds" in data:
        out["min_fill_seconds"] = _clean_int(data, "min_fill_seconds", 0, 600, errors)
    _check_whole(out, errors, current)
    return out


def _check_whole(values: Mapping[str, Any], errors: Errors, current: WebForm | None) -> None:
    """What the fields say together: the result reaches someone, and a person can be told apart."""

    def now(name: str) -> Any:
        return values[name] if name in values else getattr(current, name, None)

    action, fields = now("action"), now("fields") or []
    if not action or "fields" in errors.fields or any(k.startswith("fields.") for k in errors.fields):
        return
    targets = {field.get("maps_to") for field in fields}
    if not targets & set(IDENTITY[FormAction(action)]):
        errors.add(
            "fields",
            {
                FormAction.LEAD: _(
                    "A lead form needs a field that gives a name, an organisation, an e-mail or a phone."
                ),
                FormAction.TICKET: _("A ticket form needs a field that gives a name, an e-mail or a phone."),
                FormAction.TIMELINE: _("To find the customer, the form needs a field that gives an e-mail or a phone."),
            }[FormAction(action)],
        )
    if action == FormAction.LEAD and now("lead_owner") is None and now("lead_team") is None:
        errors.add("lead_team_id", _("Choose the team or the person the leads go to."))


@transaction.atomic
def form_create(*, by: User, data: Mapping[str, Any]) -> WebForm:
    """A new form (administrators); its public key is drawn at random."""
    require_admin(by)
    errors = Errors()
    unknown_fields(data, FORM_FIELDS, errors)
    errors.raise_if_any()
    given = {"name": "", "title_fa": "", "fields": [], "action": "", **data}
    if not given["action"]:
        errors.add("action", _("This field is required."))
    values = _clean_form(given, errors, None)
    errors.raise_if_any()
    values = {k: v for k, v in values.items() if v is not None}
    return WebForm.objects.create(key=secrets.token_urlsafe(12), created_by=by, **values)


@transaction.atomic
def form_update(*, form: WebForm, by: User, data: Mapping[str, Any]) -> WebForm:
    """Change some settings of a form (administrators). Earlier submissions keep the answers they were sent with."""
    require_admin(by)
    form = WebForm.objects.select_for_update().get(pk=form.pk)
    errors = Errors()
    unknown_fields(data, FORM_FIELDS, errors)
    errors.raise_if_any()
    values = _clean_form(data, errors, form)
    errors.raise_if_any()
    for name, value in values.items():
        setattr(form, name, value)
    form.save()
    return form
