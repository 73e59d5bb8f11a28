"""Drafting quotes: create one, change the draft, revise a quote into a new proposal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.models import Quote, QuoteLine, QuoteStatus
from peyvand.sales.selectors import deals_visible_to, within_reach
from peyvand.sales.services._common import ConflictError, Errors, clean_date, clean_line, clean_people, unknown_fields
from peyvand.sales.services.numbering import next_number
from peyvand.sales.services.pricing import clean_lines, default_vat_rate_bp, totals_of
from peyvand.sales.services.quotes.common import (
    EDITABLE,
    MAX_TEXT,
    REVISABLE,
    move_status,
    require_visible,
    summary,
    write_timeline,
)

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
    write_timeline(
        quote,
        by=by,
        subject=_("Quote created: %(number)s %(title)s") % {"number": quote.display_number, "title": quote.title},
        body=summary(quote),
    )
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, by: User, version: int, data: Mapping[str, Any]) -> Quote:
    """Change a draft the caller can see; `lines`, when given, replace all of its lines. `version` is the one
    the caller read (ConflictError if it moved on). A sent quote is changed by revising it."""
    require_visible(quote, by)
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
    require_visible(quote, by)
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
    move_status(
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
    write_timeline(
        new,
        by=by,
        subject=_("Quote revised: %(number)s, revision %(revision)s")
        % {"number": new.number, "revision": new.revision},
        body=summary(new),
    )
    return new


def quote_valid_until_default(issue_date: date | None = None) -> date:
    """What a new quote's form offers as its validity: a month, as proposals in Iran usually run."""
    return (issue_date or timezone.localdate()) + timedelta(days=30)
