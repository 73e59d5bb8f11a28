"""Creating many already-validated customers at once (imports): the same rows and revisions customer_create
writes, in a handful of statements per batch instead of a dozen per customer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.core.text import sort_key_of_search_key
from peyvand.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerRevision,
    RevisionAction,
    Tag,
)
from peyvand.customers.services.validation import SCALAR_FIELDS, display_name_for, search_key_for


def customer_values_allowed(*, by: User, values: dict[str, Any]) -> None:
    """customer_create's rule for staff who are not admins, applied to values that were already cleaned:
    what they create stays within their own reach."""
    if by.is_admin_role:
        return
    values.setdefault("team_id", by.team_id)
    if by.role == Role.AGENT:
        values.setdefault("owner_id", by.pk)
        if values.get("owner_id") != by.pk and values.get("team_id") != by.team_id:
            raise ValidationError({"team_id": [_("You can only create customers for your own team.")]})


def _primary_first(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # The order customer_snapshot reads them back in (primary first, then as created).
    return [dict(r) for r in sorted(rows, key=lambda r: not r.get("is_primary"))]


def _snapshot(customer: Customer, values: Mapping[str, Any]) -> dict[str, Any]:
    """What customer_snapshot would read back from the database for this new customer."""
    snap: dict[str, Any] = {"kind": customer.kind}
    for name in SCALAR_FIELDS:
        value = getattr(customer, name)
        snap[name] = value.isoformat() if isinstance(value, date | datetime) else value
    snap["phones"] = _primary_first(values.get("phones", []))
    snap["emails"] = _primary_first(values.get("emails", []))
    snap["addresses"] = [
        {k: a[k] for k in ("kind", "province", "city", "line", "postal_code", "is_primary")}
        for a in _primary_first(values.get("addresses", []))
    ]
    snap["tags"] = sorted(values.get("tags", []))
    return snap


def _tags_by_name(names: set[str]) -> dict[str, Tag]:
    found = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = names - found.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
        found = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return found


@transaction.atomic
def customers_bulk_create(*, by: User, rows: Sequence[dict[str, Any]]) -> list[Customer]:
    """Create one customer per row of values cleaned by services.validation (as customer_create would,
    with its first revision); the caller has applied customer_values_allowed to each row."""
    if not rows:
        return []
    customers: list[Customer] = []
    for values in rows:
        customer = Customer(kind=values["kind"])
        for name in SCALAR_FIELDS:
            if name in values:
                setattr(customer, name, values[name])
        customer.display_name = display_name_for(
            kind=customer.kind, first_name=customer.first_name, last_name=customer.last_name, name=customer.name
        )
        customer.search_key = search_key_for(customer.display_name)
        customer.sort_key = sort_key_of_search_key(customer.search_key)
        customers.append(customer)
    Customer.objects.bulk_create(customers)

    phones: list[CustomerPhone] = []
    emails: list[CustomerEmail] = []
    addresses: list[CustomerAddress] = []
    revisions: list[CustomerRevision] = []
    tag_links: list[tuple[int, str]] = []
    for customer, values in zip(customers, rows, strict=True):
        phones += [CustomerPhone(customer=customer, **p) for p in values.get("phones", [])]
        emails += [CustomerEmail(customer=customer, **e) for e in values.get("emails", [])]
        addresses += [CustomerAddress(customer=customer, **a) for a in values.get("addresses", [])]
        tag_links += [(customer.pk, name) for name in values.get("tags", [])]
        snapshot = _snapshot(customer, values)
        revisions.append(
            CustomerRevision(
                customer=customer,
                number=1,
                action=RevisionAction.CREATE,
                changes={k: [None, v] for k, v in snapshot.items() if v is not None},
                snapshot=snapshot,
                by=by,
            )
        )
    CustomerPhone.objects.bulk_create(phones)
    CustomerEmail.objects.bulk_create(emails)
    CustomerAddress.objects.bulk_create(addresses)
    CustomerRevision.objects.bulk_create(revisions)
    if tag_links:
        tags = _tags_by_name({name for _pk, name in tag_links})
        through = Customer.tags.through
        through.objects.bulk_create([through(customer_id=pk, tag_id=tags[name].pk) for pk, name in tag_links])
    return customers
