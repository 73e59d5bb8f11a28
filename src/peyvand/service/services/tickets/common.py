"""What the ticket services share: cleaning input, the version check, status changes and the after-commit hooks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.errors import ConflictError
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.services import interaction_create
from peyvand.sales.services._common import Errors, clean_date
from peyvand.service import automation, notify, satisfaction, sla
from peyvand.service.models import (
    MessageKind,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from peyvand.service.selectors import tickets_visible_to
from peyvand.service.services.history import ticket_event

S = TicketStatus

# The statuses a person may move a ticket to from each status (ticket_set_status). Everything else is refused;
# an administrator may also close a ticket from any status (a duplicate, spam). "assigned" is reached by
# assigning; "reopened" only from resolved or closed.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.RESOLVED}),
    S.WAITING: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
}

# Every field the SLA hooks may set on the instance: written whenever a service has called one of them.
SLA_FIELDS = [
    "sla_policy",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "first_response_minutes",
    "resolution_minutes",
    "first_response_breached",
    "resolution_breached",
    "sla_warned_at",
    "escalated_at",
    "paused_at",
    "paused_minutes",
]

FIELD_TYPES = ("text", "textarea", "number", "date", "choice", "yes_no")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEMPLATE_FIELDS = 30
MAX_CHOICES = 100
TEXT_LIMITS = {"text": 500, "textarea": 5000}
MAX_BODY = 50_000
YES = {"true", "1", "yes", "on", "بله"}
NO = {"false", "0", "no", "off", "خیر"}


def require_visible(ticket: Ticket, by: User) -> None:
    """Another team's ticket and a missing one look the same: neither exists for `by`."""
    if not tickets_visible_to(by).filter(pk=ticket.pk).exists():
        raise Ticket.DoesNotExist


def locked(ticket: Ticket, *, version: int | None) -> Ticket:
    """The ticket's row, locked for the rest of the transaction; if `version` is given it must still be current."""
    current = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if version is not None and current.version != version:
        raise ConflictError(
            _(
                "Someone else changed this ticket after you opened it (you have version %(yours)s, it is now at "
                "%(current)s). Open it again to see their changes, then make yours."
            )
            % {"yours": version, "current": current.version},
            current_version=current.version,
        )
    return current


def column(name: str) -> str:
    """The column a field of Ticket is stored in (team → team_id)."""
    return str(getattr(Ticket._meta.get_field(name), "attname", name))


def save_versioned(ticket: Ticket, *, fields: list[str]) -> Ticket:
    """Write `fields` and the next version only if the row is still at the version read (SQLite does not lock
    rows, so the condition in the UPDATE is what stops two writers that read the same version both winning)."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for name in dict.fromkeys(fields):
        # A foreign key is written by its column (the id), whichever name the caller used.
        attname = column(name)
        values[attname] = getattr(ticket, attname)
    written = Ticket.objects.filter(pk=ticket.pk, version=ticket.version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first() or ticket.version
        raise ConflictError(
            _("Someone else changed this ticket at the same moment. Open it again, then make your change."),
            current_version=current,
        )
    ticket.version += 1
    ticket.updated_at = now
    return ticket


def after_commit(func: Any, *args: Any, **kwargs: Any) -> None:
    """Run a hook (notice, automation, satisfaction) once the transaction commits: a rolled-back change tells
    nobody, and a failing notice cannot undo the change it reports."""
    transaction.on_commit(lambda: func(*args, **kwargs))


def notify_later(ticket: Ticket, template: str, extra: dict[str, Any] | None = None) -> None:
    # Looked up on the module when the hook runs, so the notice service can be replaced (and watched in tests).
    after_commit(lambda: notify.notify_customer(ticket=ticket, template=template, extra=extra))


def automation_later(event: str, ticket: Ticket, data: dict[str, Any] | None = None) -> None:
    after_commit(lambda: automation.automation_fire(event, ticket, data=data))


def write_timeline(ticket: Ticket, *, by: User | None, subject: str, body: str = "", inbound: bool = False) -> None:
    """Ticket milestones go on the customer's one timeline, linked to the ticket (a ticket without a customer has
    no timeline). The caller's right to the ticket was checked already."""
    if ticket.customer_id is None:
        return
    interaction_create(
        customer=ticket.customer,  # type: ignore[arg-type]
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INBOUND if inbound else Direction.INTERNAL,
        subject=subject,
        body=body[:2000],
        related=ticket,
        check_visible=False,
    )


def change_status(
    ticket: Ticket, *, by: User | None, new: str, at: dt.datetime, data: dict[str, Any] | None = None
) -> str:
    """Move `ticket` (locked by the caller) to `new` on the instance: the SLA clocks, the stamps, the history and
    the automation event. The caller saves with SLA_FIELDS + status; returns the old status."""
    old = ticket.status
    ticket.status = new
    sla.sla_on_status(ticket, old=old, new=new, at=at)
    if new == S.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = at
    if new == S.CLOSED and ticket.closed_at is None:
        ticket.closed_at = at
    if new == S.REOPENED:
        # An open ticket has no resolution: the SLA watch and the measures read resolved_at as "done".
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket_event(ticket, "status", by=by, data={"from": old, "to": new, **(data or {})})
    if new == S.REOPENED:
        ticket_event(ticket, "reopened", by=by, data={"count": ticket.reopen_count})
    automation_later("status_changed", ticket, {"from": old, "to": new})
    if new == S.RESOLVED:
        after_commit(lambda: satisfaction.satisfaction_request(ticket))
    return old


def has_reply(ticket: Ticket) -> bool:
    return TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()


def clean_body(value: object, errors: Errors, field: str = "body") -> str:
    text = str(value or "").strip()
    if not text:
        errors.add(field, _("Write something."))
    elif len(text) > MAX_BODY:
        errors.add(field, _("This is too long: at most %(limit)d characters.") % {"limit": MAX_BODY})
    return text


# --- category templates -----------------------------------------------------------------------------------


def template_clean(value: Any, errors: Errors, field: str = "fields") -> list[dict[str, Any]]:
    """A category's template checked and put in its one form (see TicketCategory.fields), or errors on `field`."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        errors.add(field, _("The fields to ask for must be a list."))
        return []
    if len(value) > MAX_TEMPLATE_FIELDS:
        errors.add(field, _("At most %(limit)d fields.") % {"limit": MAX_TEMPLATE_FIELDS})
        return []
    out: list[dict[str, Any]] = []
    keys: set[str] = set()
    for i, item in enumerate(value, start=1):
        where = _("Field %(n)d") % {"n": i}
        if not isinstance(item, Mapping):
            errors.add(field, _("%(where)s: each field is an object.") % {"where": where})
            continue
        unknown = set(item) - {"key", "label", "label_en", "type", "required", "choices"}
        if unknown:
            errors.add(
                field, _("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(sorted(unknown))}
            )
        key = str(item.get("key") or "")
        if not FIELD_KEY.match(key):
            errors.add(
                field,
                _("%(where)s: the key is lower-case Latin letters, digits and _, starting with a letter.")
                % {"where": where},
            )
        elif key in keys:
            errors.add(field, _("%(where)s: the key “%(key)s” is used twice.") % {"where": where, "key": key})
        keys.add(key)
        label = str(item.get("label") or "").strip()[:120]
        if not label:
            errors.add(field, _("%(where)s: give it a label.") % {"where": where})
        kind = item.get("type", "text")
        if kind not in FIELD_TYPES:
            errors.add(
                field,
                _("%(where)s: the type is one of %(types)s.") % {"where": where, "types": ", ".join(FIELD_TYPES)},
            )
        required = item.get("required", False)
        if not isinstance(required, bool):
            errors.add(field, _("%(where)s: “required” is true or false.") % {"where": where})
        cleaned: dict[str, Any] = {
            "key": key,
            "label": label,
            "label_en": str(item.get("label_en") or "").strip()[:120],
            "type": kind,
            "required": bool(required),
        }
        choices = item.get("choices")
        if kind == "choice":
            if (
                not isinstance(choices, list)
                or not choices
                or len(choices) > MAX_CHOICES
                or not all(isinstance(c, str) and c.strip() for c in choices)
                or len({c.strip() for c in choices}) != len(choices)
            ):
                errors.add(
                    field,
                    _("%(where)s: a choice field lists its choices: texts, none empty or repeated.") % {"where": where},
                )
            else:
                cleaned["choices"] = [c.strip()[:200] for c in choices]
        elif choices not in (None, []):
            errors.add(field, _("%(where)s: only a choice field has choices.") % {"where": where})
        out.append(cleaned)
    return out


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_answer(spec: Mapping[str, Any], value: Any, errors: Errors, name: str) -> Any:
    kind = spec.get("type", "text")
    if kind in TEXT_LIMITS:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            errors.add(name, _("Write a text."))
            return None
        text = str(value).strip()
        if len(text) > TEXT_LIMITS[kind]:
            errors.add(name, _("This is too long: at most %(limit)d characters.") % {"limit": TEXT_LIMITS[kind]})
        return text
    if kind == "number":
        if isinstance(value, bool):
            errors.add(name, _("Enter a number."))
            return None
        try:
            number = Decimal(str(value).strip().replace("٫", ".").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
        except InvalidOperation:
            errors.add(name, _("Enter a number."))
            return None
        if not number.is_finite() or abs(number) > 10**15:
            errors.add(name, _("Enter a number."))
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        day = clean_date(value, errors, name)
        return day.isoformat() if day else None
    if kind == "choice":
        text = str(value).strip()
        if text not in spec.get("choices", []):
            errors.add(name, _("Choose one of the listed values."))
            return None
        return text
    if kind == "yes_no":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        errors.add(name, _("Answer yes or no."))
        return None
    return None


def answers_clean(
    category: TicketCategory | None, value: Any, errors: Errors, *, prefix: str = "fields."
) -> dict[str, Any]:
    """The answers to `category`'s fields checked against its template: each required one given, each of its
    type (numbers as numbers, dates as ISO days, choices from the list, yes/no as booleans), no unknown keys.
    Errors are named `fields.<key>`."""
    if value in (None, ""):
        value = {}
    if not isinstance(value, Mapping):
        errors.add(prefix.rstrip("."), _("The details must be an object of answers by key."))
        return {}
    template = list(category.fields) if category is not None else []
    specs = {spec["key"]: spec for spec in template if isinstance(spec, Mapping) and "key" in spec}
    for key in value:
        if key not in specs:
            errors.add(f"{prefix}{key}", _("Unknown field."))
    out: dict[str, Any] = {}
    for key, spec in specs.items():
        given = value.get(key)
        if _is_blank(given):
            if spec.get("required"):
                errors.add(f"{prefix}{key}", _("This field is required."))
            continue
        answer = _clean_answer(spec, given, errors, f"{prefix}{key}")
        if answer is not None and answer != "":
            out[key] = answer
    return out
