"""Writes to contracts themselves: create and change them, activate and terminate them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.text import clean_text
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.models import Contract, ContractStatus
from peyvand.sales.selectors import deals_visible_to, within_reach
from peyvand.sales.services._common import Errors, check_money, clean_date, clean_line, clean_people, unknown_fields
from peyvand.sales.services.contracts.common import (
    EDITABLE,
    check_term,
    locked,
    require_visible,
    term_text,
    write_timeline,
)
from peyvand.sales.services.numbering import next_number

# What create and PATCH take; the customer is fixed once the contract is made.
EDIT_FIELDS = {
    "title",
    "deal_id",
    "start_date",
    "end_date",
    "value",
    "auto_renew",
    "renewal_notice_days",
    "terms",
    "signed_at",
    "owner_id",
    "team_id",
}
CREATE_FIELDS = EDIT_FIELDS | {"customer_id"}
MAX_NOTICE_DAYS = 366


def _clean_fields(data: Mapping[str, Any], by: User, errors: Errors) -> dict[str, Any]:
    """The editable fields given in `data`, checked and normalised (only those given, so PATCH is partial)."""
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_line(data["title"], model=Contract, field="title", errors=errors)
        if not out["title"]:
            errors.add("title", _("This field is required."))
    for name in ("start_date", "end_date"):
        if name in data:
            out[name] = clean_date(data[name], errors, name)
            if out[name] is None and name not in errors.fields:
                errors.add(name, _("This field is required."))
    if "signed_at" in data:
        out["signed_at"] = clean_date(data["signed_at"], errors, "signed_at")
    if "value" in data:
        out["value"] = check_money(data["value"], field="value", errors=errors)
    if "auto_renew" in data:
        if not isinstance(data["auto_renew"], bool):
            errors.add("auto_renew", _("Answer yes or no (true or false)."))
        else:
            out["auto_renew"] = data["auto_renew"]
    if "renewal_notice_days" in data:
        days = data["renewal_notice_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_NOTICE_DAYS:
            errors.add(
                "renewal_notice_days",
                _("Give a whole number of days from 0 to %(max)d.") % {"max": MAX_NOTICE_DAYS},
            )
        else:
            out["renewal_notice_days"] = days
    if "terms" in data:
        out["terms"] = str(data["terms"] or "").strip()
    if "deal_id" in data:
        deal_id = data["deal_id"]
        if deal_id is not None and (isinstance(deal_id, bool) or not isinstance(deal_id, int)):
            errors.add("deal_id", _("No such deal of this customer."))
        else:
            out["deal_id"] = deal_id
    clean_people(data, by, errors, out)
    return out


def _check_deal(deal_id: int | None, *, customer_id: int, by: User, errors: Errors) -> None:
    # A contract's deal is one of its own customer's that the caller can see; any other is "no such deal".
    if deal_id is not None and not deals_visible_to(by).filter(pk=deal_id, customer_id=customer_id).exists():
        errors.add("deal_id", _("No such deal of this customer."))


def _check_reach(by: User, *, owner_id: int | None, team_id: int | None, errors: Errors) -> None:
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        errors.add("owner_id", _("This would put the contract out of your reach: keep yourself or your team on it."))


@transaction.atomic
def contract_create(*, by: User, data: Mapping[str, Any]) -> Contract:
    """A new draft contract with a customer the caller can see, optionally for one of that customer's deals;
    owned by the caller and their team unless they assign it (within their reach). It is numbered CT-1405-00001
    in the Jalali year it is made."""
    errors = Errors()
    unknown_fields(data, CREATE_FIELDS, errors)
    customer_id = data.get("customer_id")
    customer = None
    if isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0:
        customer = customers_visible_to(by).filter(pk=customer_id).first()
    if customer is None:
        # The same answer for a customer that does not exist and one the caller may not see.
        errors.add("customer_id", _("No such customer."))
    given = dict(data)
    for required in ("title", "start_date", "end_date"):
        given.setdefault(required, "")
    given.setdefault("owner_id", by.pk)
    given.setdefault("team_id", by.team_id)
    if given["owner_id"] is None and given["team_id"] is None:
        given["owner_id"] = by.pk
    values = _clean_fields(given, by, errors)
    check_term(values.get("start_date"), values.get("end_date"), errors)
    if customer is not None:
        _check_deal(values.get("deal_id"), customer_id=customer.pk, by=by, errors=errors)
    if not errors:
        _check_reach(by, owner_id=values.get("owner_id"), team_id=values.get("team_id"), errors=errors)
    errors.raise_if_any()
    assert customer is not None
    contract = Contract.objects.create(
        customer=customer, number=next_number("contract"), created_by=by, status=ContractStatus.DRAFT, **values
    )
    write_timeline(
        contract,
        by=by,
        subject=_("Contract created: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=term_text(contract),
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, by: User, data: Mapping[str, Any]) -> Contract:
    """Change some fields of a draft or active contract the caller can see."""
    require_visible(contract, by)
    errors = Errors()
    unknown_fields(data, EDIT_FIELDS, errors)
    errors.raise_if_any()
    contract = locked(contract)
    if contract.status not in EDITABLE:
        errors.add(
            "status",
            _("A contract that is %(status)s is kept as it was; it cannot be changed.")
            % {"status": contract.get_status_display()},
        )
        errors.raise_if_any()
    values = _clean_fields(data, by, errors)
    check_term(values.get("start_date", contract.start_date), values.get("end_date", contract.end_date), errors)
    if "deal_id" in values:
        _check_deal(values["deal_id"], customer_id=contract.customer_id, by=by, errors=errors)
    if not errors and ("owner_id" in values or "team_id" in values):
        _check_reach(
            by,
            owner_id=values.get("owner_id", contract.owner_id),
            team_id=values.get("team_id", contract.team_id),
            errors=errors,
        )
    errors.raise_if_any()
    fields = list(values)
    if (
        values.get("end_date", contract.end_date) != contract.end_date
        or values.get("renewal_notice_days", contract.renewal_notice_days) != contract.renewal_notice_days
    ):
        # A new end (or notice) is a new date to talk renewal: the reminder is owed again.
        values["renewal_reminded_at"] = None
        fields.append("renewal_reminded_at")
    for field, value in values.items():
        setattr(contract, field, value)
    contract.save(update_fields=[*fields, "updated_at"])
    return contract


@transaction.atomic
def contract_activate(*, contract: Contract, by: User) -> Contract:
    """A draft contract comes into force (it was signed)."""
    require_visible(contract, by)
    contract = locked(contract)
    errors = Errors()
    if contract.status != ContractStatus.DRAFT:
        errors.add("status", _("Only a draft contract can be activated."))
    elif contract.end_date < timezone.localdate():
        errors.add("end_date", _("This contract has already ended; change its dates first."))
    errors.raise_if_any()
    contract.status = ContractStatus.ACTIVE
    fields = ["status", "updated_at"]
    if contract.signed_at is None:
        # Put into force means signed: today unless the date was given.
        contract.signed_at = timezone.localdate()
        fields.append("signed_at")
    contract.save(update_fields=fields)
    write_timeline(
        contract,
        by=by,
        subject=_("Contract activated: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=term_text(contract),
    )
    return contract


@transaction.atomic
def contract_terminate(*, contract: Contract, by: User, reason: str) -> Contract:
    """End a draft or active contract before its term, saying why (the reason goes on the timeline)."""
    require_visible(contract, by)
    contract = locked(contract)
    errors = Errors()
    why = clean_text(reason or "").strip()
    if contract.status not in EDITABLE:
        errors.add("status", _("Only a draft or active contract can be terminated."))
    if not why:
        errors.add("reason", _("Say why the contract is terminated."))
    elif len(why) > 2000:
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": 2000})
    errors.raise_if_any()
    contract.status = ContractStatus.TERMINATED
    contract.terminated_at = timezone.now()
    contract.termination_reason = why
    contract.save(update_fields=["status", "terminated_at", "termination_reason", "updated_at"])
    write_timeline(
        contract,
        by=by,
        subject=_("Contract terminated: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=_("Reason: %(reason)s") % {"reason": why},
    )
    return contract
