"""Writes to customer records: create, change, delete and restore, each kept as a revision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.core.text import sort_key_of_search_key
from peyvand.customers.duplicates import record_candidates
from peyvand.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerRevision,
    DuplicateSource,
    RevisionAction,
    Tag,
)
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services.validation import (
    LIST_FIELDS,
    SCALAR_FIELDS,
    _clean,
    _require_visible,
    display_name_for,
    search_key_for,
)

# --- history --------------------------------------------------------------------------------------------


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """Everything a restore puts back, as JSON."""
    snap: dict[str, Any] = {"kind": customer.kind}
    for field in SCALAR_FIELDS:
        value = getattr(customer, field)
        snap[field] = value.isoformat() if isinstance(value, date | datetime) else value
    snap["phones"] = [{"number": p.number, "kind": p.kind, "is_primary": p.is_primary} for p in customer.phones.all()]
    snap["emails"] = [{"email": e.email, "kind": e.kind, "is_primary": e.is_primary} for e in customer.emails.all()]
    snap["addresses"] = [
        {k: getattr(a, k) for k in ("kind", "province", "city", "line", "postal_code", "is_primary")}
        for a in customer.addresses.all()
    ]
    snap["tags"] = sorted(t.name for t in customer.tags.all())
    return snap


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def _record(
    *, customer: Customer, by: User | None, action: str, before: Mapping[str, Any], restored_from: int | None = None
) -> CustomerRevision | None:
    after = customer_snapshot(customer)
    changes = _diff(before, after)
    if action == RevisionAction.UPDATE and not changes:
        return None
    last = CustomerRevision.objects.filter(customer=customer).aggregate(n=Max("number"))["n"] or 0
    return CustomerRevision.objects.create(
        customer=customer,
        number=last + 1,
        action=action,
        changes=changes,
        snapshot=after,
        restored_from=restored_from,
        by=by,
    )


# --- writes ---------------------------------------------------------------------------------------------


def _apply(customer: Customer, values: Mapping[str, Any]) -> None:
    for field in SCALAR_FIELDS:
        if field in values:
            setattr(customer, field, values[field])
    customer.display_name = display_name_for(
        kind=customer.kind, first_name=customer.first_name, last_name=customer.last_name, name=customer.name
    )
    customer.search_key = search_key_for(customer.display_name)
    customer.sort_key = sort_key_of_search_key(customer.search_key)
    customer.save()
    if "phones" in values:
        customer.phones.all().delete()
        CustomerPhone.objects.bulk_create(CustomerPhone(customer=customer, **p) for p in values["phones"])
    if "emails" in values:
        customer.emails.all().delete()
        CustomerEmail.objects.bulk_create(CustomerEmail(customer=customer, **e) for e in values["emails"])
    if "addresses" in values:
        customer.addresses.all().delete()
        CustomerAddress.objects.bulk_create(CustomerAddress(customer=customer, **a) for a in values["addresses"])
    if "tags" in values:
        tags = [Tag.objects.get_or_create(name=name)[0] for name in values["tags"]]
        customer.tags.set(tags)


@transaction.atomic
def customer_create(*, by: User, data: Mapping[str, Any]) -> Customer:
    values = _clean(data=data, by=by, instance=None)
    if not by.is_admin_role:
        # Staff who are not admins keep what they create within their own reach.
        values.setdefault("team_id", by.team_id)
        if by.role == Role.AGENT:
            values.setdefault("owner_id", by.pk)
            if values.get("owner_id") != by.pk and values.get("team_id") != by.team_id:
                raise ValidationError({"team_id": [_("You can only create customers for your own team.")]})
    customer = Customer(kind=values["kind"])
    _apply(customer, values)
    _record(customer=customer, by=by, action=RevisionAction.CREATE, before={})
    # Suspected duplicates are stored as the record is saved, so the review queue is never behind.
    record_candidates(customer, found_by=DuplicateSource.SAVE)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User, data: Mapping[str, Any]) -> Customer:
    _require_visible(customer, by)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    values = _clean(data=data, by=by, instance=customer)
    before = customer_snapshot(customer)
    _apply(customer, values)
    if by.role == Role.AGENT and not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise ValidationError({"owner_id": [_("This change would move the customer out of your reach.")]})
    _record(customer=customer, by=by, action=RevisionAction.UPDATE, before=before)
    record_candidates(customer, found_by=DuplicateSource.SAVE)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, by: User) -> None:
    _require_visible(customer, by)
    if by.role == Role.AGENT and not by.is_admin_role:
        raise PermissionDenied(_("Only a manager or an administrator can delete customers."))
    before = customer_snapshot(customer)
    customer.deleted_at = timezone.now()
    customer.save(update_fields=["deleted_at", "updated_at"])
    _record(customer=customer, by=by, action=RevisionAction.DELETE, before=before)


def values_from_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """Fields read from a stored snapshot made fit to write again: the birth date as a date, and references
    that have gone since (a deleted team, user or organisation) dropped rather than failing the write."""
    from peyvand.accounts.models import Team

    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    if values.get("team_id") and not Team.objects.filter(pk=values["team_id"]).exists():
        values["team_id"] = None
    if values.get("owner_id") and not User.objects.filter(pk=values["owner_id"]).exists():
        values["owner_id"] = None
    for ref in ("parent_id", "organization_id"):
        if values.get(ref) and not Customer.objects.filter(pk=values[ref], deleted_at__isnull=True).exists():
            values[ref] = None
    return values


@transaction.atomic
def customer_restore(*, customer: Customer, revision: CustomerRevision, by: User) -> Customer:
    """Put the customer back as it was at `revision`; the restore is itself a new revision."""
    _require_visible(customer, by)
    if not (by.is_admin_role or by.role == Role.MANAGER):
        raise PermissionDenied(_("Only a manager or an administrator can restore an earlier version."))
    if revision.customer_id != customer.pk:
        raise ValidationError({"revision": [_("That version belongs to another customer.")]})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = customer_snapshot(customer)
    snap = dict(revision.snapshot)
    values = values_from_snapshot({k: snap[k] for k in (*SCALAR_FIELDS, *LIST_FIELDS) if k in snap})
    _apply(customer, values)
    _record(customer=customer, by=by, action=RevisionAction.RESTORE, before=before, restored_from=revision.number)
    return customer
