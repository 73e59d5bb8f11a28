"""Writes to quotes (پیش‌فاکتور): draft one, change the draft, revise it into a new proposal, send it by e-mail with
its PDF, and record the customer's answer; an accepted quote becomes an order. Every milestone goes on the
customer's timeline."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.money import format_money
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import interaction_create
from peyvand.sales.models import Quote, QuoteLine, QuoteStatus
from peyvand.sales.selectors import deals_visible_to, owned_visible_to, within_reach
from peyvand.sales.services._common import (
    ConflictError,
    Errors,
    clean_date,
    clean_line,
    clean_people,
    unknown_fields,
)
from peyvand.sales.services.numbering import next_number
from peyvand.sales.services.pricing import clean_lines, default_vat_rate_bp, totals_of

CREATE_FIELDS = {
    "customer_id",
    "deal_id",
    "title",
    "issue_date",
    "valid_until",
    "lines",
    "notes",
    "terms",
    "owner_id",
    "team_id",
}
# The customer is fixed when a quote is made (a quote for someone else is a new quote).
UPDATE_FIELDS = CREATE_FIELDS - {"customer_id"}
# A revision may change everything the draft could, and starts from the revised quote's values.
REVISE_FIELDS = UPDATE_FIELDS
MAX_TEXT = 20000
# Which statuses allow which step. Only the latest revision of a number is ever in one of these: a revised quote
# is superseded, and superseded quotes do nothing but stay on record.
EDITABLE = {QuoteStatus.DRAFT}
REVISABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.REJECTED, QuoteStatus.EXPIRED}
SENDABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT}
DECIDABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT}
LINE_COPY_FIELDS = (
    "position",
    "product_id",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "unit_cost",
    "discount_percent",
    "vat_applies",
    "gross_amount",
    "discount_amount",
    "net_amount",
    "vat_amount",
)
TOTAL_FIELDS = ("vat_rate_bp", "gross_total", "discount_total", "net_total", "vat_total", "total", "cost_total")


def quote_is_expired(quote: Quote, *, today: date | None = None) -> bool:
    """Past its validity (and not yet decided): it can no longer be accepted, only revised."""
    if quote.status == QuoteStatus.EXPIRED:
        return True
    if quote.valid_until is None or quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        return False
    return quote.valid_until < (today or timezone.localdate())


def _require_visible(quote: Quote, by: User) -> None:
    if not owned_visible_to(Quote.objects.all(), by).filter(pk=quote.pk).exists():
        raise Quote.DoesNotExist


def _write_timeline(
    quote: Quote,
    *,
    by: User | None,
    subject: str,
    body: str = "",
    channel: str = InteractionChannel.SYSTEM,
    direction: str = Direction.INTERNAL,
) -> None:
    """Quote milestones go on the customer's one timeline, linked to the quote. The caller's right to the quote
    was checked already; the customer may since have left their sight, which must not stop the record."""
    interaction_create(
        customer=quote.customer,
        by=by,
        channel=channel,
        direction=direction,
        subject=subject[:255],
        body=body,
        related=quote,
        check_visible=False,
    )


def _clean_text(value: Any, field: str, errors: Errors) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_TEXT:
        errors.add(field, _("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT})
    return text


def _clean_fields(
    data: Mapping[str, Any], *, by: User, customer_id: int | None, errors: Errors, vat_rate_bp: int
) -> dict[str, Any]:
    """The fields given in `data`, checked and normalised (only those given: PATCH is partial)."""
    out: dict[str, Any] = {}
    if "deal_id" in data:
        deal_id = data["deal_id"]
        if deal_id is None:
            out["deal_id"] = None
        else:
            deal = deals_visible_to(by).filter(pk=deal_id).first() if isinstance(deal_id, int) else None
            if deal is None:
                errors.add("deal_id", _("No such deal."))
            elif customer_id is not None and deal.customer_id != customer_id:
                errors.add("deal_id", _("This deal is with another customer."))
            else:
                out["deal_id"] = deal.pk
    if "title" in data:
        out["title"] = clean_line(data["title"] or "", model=Quote, field="title", errors=errors)
    if "issue_date" in data:
        out["issue_date"] = clean_date(data["issue_date"], errors, "issue_date") or timezone.localdate()
    if "valid_until" in data:
        out["valid_until"] = clean_date(data["valid_until"], errors, "valid_until")
    for field in ("notes", "terms"):
        if field in data:
            out[field] = _clean_text(data[field], field, errors)
    if "lines" in data:
        out["lines"] = clean_lines(data["lines"], vat_rate_bp=vat_rate_bp, errors=errors)
    clean_people(data, by, errors, out)
    return out


def _check_dates(issue_date: date | None, valid_until: date | None, errors: Errors) -> None:
    if issue_date is not None and valid_until is not None and valid_until < issue_date:
        errors.add("valid_until", _("A quote cannot expire before the day it is issued."))


def _check_reach(by: User, *, owner_id: int | None, team_id: int | None, errors: Errors) -> None:
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        errors.add("owner_id", _("This would put the quote out of your reach: keep yourself or your team on it."))


def _store_lines(quote: Quote, priced: list[Any]) -> None:
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, position=index, **line.model_values()) for index, line in enumerate(priced, start=1)
    )


def _conflict(current_version: int, version: int) -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this quote after you opened it (you have version %(yours)s, it is now at "
            "%(current)s). Open it again to see their changes, then make yours."
        )
        % {"yours": version, "current": current_version},
        current_version=current_version,
    )


def _move_status(quote: Quote, *, allowed: set[QuoteStatus], values: dict[str, Any], message: str) -> Quote:
    """Write `values` (a new status, a time) and the next version only if the row is still in an `allowed`
    status: two people accepting, revising or rejecting the same quote at once cannot both win, on SQLite too."""
    now = timezone.now()
    written = Quote.objects.filter(pk=quote.pk, status__in=allowed).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        raise ValidationError({"status": [message]})
    for field, value in values.items():
        setattr(quote, field, value)
    quote.version += 1
    quote.updated_at = now
    return quote


def _summary(quote: Quote) -> str:
    return _("Total payable: %(total)s (before VAT: %(net)s).") % {
        "total": format_money(quote.total),
        "net": format_money(quote.net_total),
    }


@transaction.atomic
def quote_create(*, by: User, data: Mapping[str, Any]) -> Quote:
    """A new draft quote for a customer the caller can see, optionally tied to one of that customer's deals;
    owned by the caller and their team unless they assign it (within their reach). Numbered Q-<Jalali year>-…"""
    errors = Errors()
    unknown_fields(data, CREATE_FIELDS, errors)
    customer_id = data.get("customer_id")
    customer = customers_visible_to(by).filter(pk=customer_id).first() if isinstance(customer_id, int) else None
    if customer is None:
        # The same answer for a customer that does not exist and one the caller may not see.
        errors.add("customer_id", _("No such customer."))
    vat_rate_bp = default_vat_rate_bp()
    given = {
        **{key: value for key, value in data.items() if key in UPDATE_FIELDS},
        "issue_date": data.get("issue_date"),
        "lines": data.get("lines", []),
        "owner_id": by.pk if data.get("owner_id") is None else data["owner_id"],
        "team_id": by.team_id if data.get("team_id") is None else data["team_id"],
    }
    values = _clean_fields(
        given, by=by, customer_id=customer.pk if customer else None, errors=errors, vat_rate_bp=vat_rate_bp
    )
    _check_dates(values.get("issue_date"), values.get("valid_until"), errors)
    if not errors:
        _check_reach(by, owner_id=values["owner_id"], team_id=values["team_id"], errors=errors)
    errors.raise_if_any()
    assert customer is not None
    priced = values.pop("lines")
    quote = Quote.objects.create(
        number=next_number("quote"),
        customer=customer,
        created_by=by,
        vat_rate_bp=vat_rate_bp,
        **values,
        **totals_of(priced).model_values(),
    )
    _store_lines(quote, priced)
    _write_timeline(
        quote,
        by=by,
        subject=_("Quote created: %(number)s %(title)s") % {"number": quote.display_number, "title": quote.title},
        body=_summary(quote),
    )
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, by: User, version: int, data: Mapping[str, Any]) -> Quote:
    """Change a draft the caller can see; `lines`, when given, replace all of its lines. `version` is the one
    the caller read (ConflictError if it moved on). A sent quote is changed by revising it."""
    _require_visible(quote, by)
    errors = Errors()
    unknown_fields(data, UPDATE_FIELDS, errors)
    errors.raise_if_any()
    current = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    if current.version != version:
        raise _conflict(current.version, version)
    if current.status not in EDITABLE:
        errors.add("status", _("Only a draft can be changed; revise the quote to offer something else."))
        errors.raise_if_any()
    # A draft is priced at the rate in force now: it has not been offered yet.
    vat_rate_bp = default_vat_rate_bp()
    values = _clean_fields(data, by=by, customer_id=current.customer_id, errors=errors, vat_rate_bp=vat_rate_bp)
    _check_dates(values.get("issue_date", current.issue_date), values.get("valid_until", current.valid_until), errors)
    if not errors and ("owner_id" in values or "team_id" in values):
        _check_reach(
            by,
            owner_id=values.get("owner_id", current.owner_id),
            team_id=values.get("team_id", current.team_id),
            errors=errors,
        )
    errors.raise_if_any()
    priced = values.pop("lines", None)
    if priced is not None:
        current.lines.all().delete()
        _store_lines(current, priced)
        values.update(vat_rate_bp=vat_rate_bp, **totals_of(priced).model_values())
    now = timezone.now()
    # The version is checked in the UPDATE itself: SQLite takes no row lock for select_for_update.
    written = Quote.objects.filter(pk=current.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        raise _conflict(Quote.objects.filter(pk=current.pk).values_list("version", flat=True).get(), version)
    current.refresh_from_db()
    return current


@transaction.atomic
def quote_revise(*, quote: Quote, by: User, data: Mapping[str, Any] | None = None) -> Quote:
    """The revised proposal: a new draft with the same number and the next revision, starting from this quote
    (its lines, as priced, unless `lines` are given) with the changes in `data`. This quote is superseded and
    stays on record. Only the latest revision of a number can be revised, and not once it was accepted."""
    _require_visible(quote, by)
    data = data or {}
    errors = Errors()
    unknown_fields(data, REVISE_FIELDS, errors)
    errors.raise_if_any()
    old = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    if old.status not in REVISABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet accepted, can be revised."))
        errors.raise_if_any()
    vat_rate_bp = default_vat_rate_bp()
    values = _clean_fields(data, by=by, customer_id=old.customer_id, errors=errors, vat_rate_bp=vat_rate_bp)
    issue_date = values.get("issue_date") or timezone.localdate()
    valid_until = values.get("valid_until")
    if "valid_until" not in values and old.valid_until is not None:
        # The new proposal is valid for as long as the one it replaces was.
        valid_until = issue_date + (old.valid_until - old.issue_date)
    _check_dates(issue_date, valid_until, errors)
    owner_id = values.get("owner_id", old.owner_id)
    team_id = values.get("team_id", old.team_id)
    if not errors and ("owner_id" in values or "team_id" in values):
        _check_reach(by, owner_id=owner_id, team_id=team_id, errors=errors)
    errors.raise_if_any()
    _move_status(
        old,
        allowed=REVISABLE,
        values={"status": QuoteStatus.SUPERSEDED},
        message=_("This quote was revised or decided meanwhile; open it again."),
    )
    priced = values.pop("lines", None)
    totals = (
        {"vat_rate_bp": vat_rate_bp, **totals_of(priced).model_values()}
        if priced is not None
        else {field: getattr(old, field) for field in TOTAL_FIELDS}
    )
    try:
        with transaction.atomic():
            new = Quote.objects.create(
                number=old.number,
                revision=old.revision + 1,
                previous=old,
                customer_id=old.customer_id,
                deal_id=values.get("deal_id", old.deal_id),
                title=values.get("title", old.title),
                issue_date=issue_date,
                valid_until=valid_until,
                notes=values.get("notes", old.notes),
                terms=values.get("terms", old.terms),
                owner_id=owner_id,
                team_id=team_id,
                currency=old.currency,
                created_by=by,
                **totals,
            )
    except IntegrityError:
        raise ValidationError({"status": [_("This quote was revised meanwhile; open it again.")]}) from None
    if priced is not None:
        _store_lines(new, priced)
    else:
        QuoteLine.objects.bulk_create(
            QuoteLine(quote=new, **{field: getattr(line, field) for field in LINE_COPY_FIELDS})
            for line in old.lines.order_by("position", "id")
        )
    new.customer = old.customer
    _write_timeline(
        new,
        by=by,
        subject=_("Quote revised: %(number)s, revision %(revision)s")
        % {"number": new.number, "revision": new.revision},
        body=_summary(new),
    )
    return new


def _addresses(to: Any, errors: Errors) -> list[str]:
    """One or more addresses, separated by commas or semicolons."""
    text = str(to or "").replace(";", ",")
    addresses = [part.strip() for part in text.split(",") if part.strip()]
    if not addresses:
        errors.add("to", _("Give the address to send the quote to."))
        return []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            errors.add("to", _("“%(address)s” is not an e-mail address.") % {"address": address})
    if len(", ".join(addresses)) > 254:
        errors.add("to", _("Too many addresses: at most 254 characters in all."))
    return addresses


def quote_default_subject(quote: Quote) -> str:
    return _("Quote %(number)s from %(company)s") % {
        "number": quote.display_number,
        "company": settings.PEYVAND_COMPANY_NAME,
    }


def quote_default_message(quote: Quote) -> str:
    return _(
        "Dear %(customer)s,\n\nPlease find attached our quote %(number)s. We look forward to hearing from you.\n\n"
        "%(company)s"
    ) % {
        "customer": quote.customer.display_name,
        "number": quote.display_number,
        "company": settings.PEYVAND_COMPANY_NAME,
    }


def quote_send(*, quote: Quote, by: User, to: str, subject: str | None = None, message: str | None = None) -> Quote:
    """E-mail the quote with its PDF attached (in the language active now), then mark it sent and write the
    e-mail to the customer's timeline. Nothing is marked when the mail server refuses the message."""
    from peyvand.sales.pdf import quote_pdf, quote_pdf_filename  # the PDF code is heavy; only sending needs it

    _require_visible(quote, by)
    errors = Errors()
    addresses = _addresses(to, errors)
    subject = " ".join(str(subject or "").split()) or quote_default_subject(quote)
    if len(subject) > 255:
        errors.add("subject", _("This is too long: at most %(limit)d characters.") % {"limit": 255})
    body = str(message).strip() if message and str(message).strip() else quote_default_message(quote)
    if len(body) > MAX_TEXT:
        errors.add("message", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT})
    current = Quote.objects.select_related("customer").get(pk=quote.pk)
    if current.status not in SENDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be sent."))
    elif quote_is_expired(current):
        errors.add("status", _("This quote has expired; revise it to send a new proposal."))
    errors.raise_if_any()

    pdf = quote_pdf(current)
    email = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=addresses)
    email.attach(quote_pdf_filename(current), pdf, "application/pdf")
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationError(
            {"to": [_("The mail server did not take the message (%(error)s); nothing was sent.") % {"error": exc}]}
        ) from None

    with transaction.atomic():
        sent_to = ", ".join(addresses)
        current = _move_status(
            current,
            allowed=SENDABLE,
            values={"status": QuoteStatus.SENT, "sent_at": timezone.now(), "sent_to": sent_to},
            message=_("This quote was revised or decided meanwhile; open it again."),
        )
        _write_timeline(
            current,
            by=by,
            channel=InteractionChannel.EMAIL,
            direction=Direction.OUTBOUND,
            subject=subject,
            body=_("Quote %(number)s sent to %(to)s.") % {"number": current.display_number, "to": sent_to}
            + "\n\n"
            + body,
        )
    return current


@transaction.atomic
def quote_accept(*, quote: Quote, by: User) -> Quote:
    """The customer said yes: the quote is accepted and becomes an order with its lines as they were offered.
    An expired quote cannot be accepted (revise it first), nor a superseded revision."""
    from peyvand.sales.services.orders import order_create  # orders import the quote model's module, not us

    _require_visible(quote, by)
    current = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    errors = Errors()
    if current.status not in DECIDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be accepted."))
    elif quote_is_expired(current):
        errors.add("status", _("This quote has expired; revise it, then accept the new revision."))
    errors.raise_if_any()
    current = _move_status(
        current,
        allowed=DECIDABLE,
        values={"status": QuoteStatus.ACCEPTED, "decided_at": timezone.now()},
        message=_("This quote was revised or decided meanwhile; open it again."),
    )
    _write_timeline(
        current,
        by=by,
        subject=_("Quote accepted: %(number)s") % {"number": current.display_number},
        body=_summary(current),
    )
    order_create(by=by, customer_id=current.customer_id, quote=current)
    return current


@transaction.atomic
def quote_reject(*, quote: Quote, by: User, reason: str) -> Quote:
    """The customer said no; the reason goes on the customer's timeline with the quote."""
    _require_visible(quote, by)
    errors = Errors()
    text = str(reason or "").strip()
    if not text:
        errors.add("reason", _("Say why the quote was rejected."))
    elif len(text) > MAX_TEXT:
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_TEXT})
    current = Quote.objects.select_for_update(of=("self",)).select_related("customer").get(pk=quote.pk)
    if current.status not in DECIDABLE:
        errors.add("status", _("Only the latest revision of a quote, not yet decided, can be rejected."))
    errors.raise_if_any()
    current = _move_status(
        current,
        allowed=DECIDABLE,
        values={"status": QuoteStatus.REJECTED, "decided_at": timezone.now(), "rejected_reason": text},
        message=_("This quote was revised or decided meanwhile; open it again."),
    )
    _write_timeline(
        current,
        by=by,
        subject=_("Quote rejected: %(number)s") % {"number": current.display_number},
        body=_("Reason: %(reason)s") % {"reason": text},
    )
    return current


def quote_valid_until_default(issue_date: date | None = None) -> date:
    """What a new quote's form offers as its validity: a month, as proposals in Iran usually run."""
    return (issue_date or timezone.localdate()) + timedelta(days=30)


__all__ = [
    "quote_accept",
    "quote_create",
    "quote_default_message",
    "quote_default_recipient",
    "quote_default_subject",
    "quote_is_expired",
    "quote_reject",
    "quote_revise",
    "quote_send",
    "quote_update",
    "quote_valid_until_default",
]


def quote_default_recipient(quote: Quote) -> str:
    """The customer's primary e-mail address (or their first one), or "" when they have none."""
    address = quote.customer.emails.order_by("-is_primary", "id").values_list("email", flat=True).first()
    return address or ""
