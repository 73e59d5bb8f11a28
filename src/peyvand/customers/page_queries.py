"""Read helpers for the customer pages: list filters, dashboard counts, profile extras and history display."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, ForeignObjectRel, Q, prefetch_related_objects
from django.utils.translation import get_language

from peyvand.accounts.models import Role, Team, User
from peyvand.core.http import query_int
from peyvand.core.jalali import format_date
from peyvand.core.pagination import Page
from peyvand.core.phone import format_phone
from peyvand.core.text import is_persian
from peyvand.customers import selectors
from peyvand.customers.health import PROBLEMS as HEALTH_PROBLEMS
from peyvand.customers.models import (
    CONSENT_CHANNELS,
    Consent,
    ContactChannel,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomerRevision,
    CustomField,
    Gender,
    IncomeBracket,
    LifecycleStage,
    SettlementHabit,
    Source,
    Tag,
    Tier,
)

STAGE_COUNTS_SECONDS = 60


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    kind: str = ""
    stage: str = ""
    team: int | None = None
    owner: int | None = None
    tag: str = ""
    city: str = ""
    order: str = "name"
    cursor: str = ""
    health: str = ""  # a data-health problem (customers.health.PROBLEMS), for the health page's links
    months: int | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ListFilters:
        """Filters from a query string; values that cannot be meant (unknown choices, non-numbers) are ignored."""

        kind = params.get("kind", "")
        stage = params.get("stage", "")
        order = params.get("order", "name")
        health = params.get("health", "")
        return cls(
            q=(params.get("q") or "").strip()[:200],
            kind=kind if kind in CustomerKind.values else "",
            stage=stage if stage in LifecycleStage.values else "",
            team=query_int(params, "team"),
            owner=query_int(params, "owner"),
            tag=(params.get("tag") or "").strip()[:60],
            city=(params.get("city") or "").strip()[:80],
            order=order if order in selectors.LIST_ORDERS else "name",
            cursor=(params.get("cursor") or "").strip()[:500],
            health=health if health in HEALTH_PROBLEMS else "",
            months=query_int(params, "months") if (query_int(params, "months") or 0) < 1000 else None,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q or self.kind or self.stage or self.team or self.owner or self.tag or self.city or self.health
        )

    def where(self) -> Q:
        """The condition these filters (all but the search text) put on customers; the list's export uses
        it too, so that the file holds exactly the customers the list shows."""
        return selectors.customer_filter(
            kind=self.kind,
            lifecycle_stage=self.stage,
            team_id=self.team,
            owner_id=self.owner,
            tag=self.tag,
            city=self.city,
            health=self.health,
            inactive_months=self.months,
        )


def customer_list_page(*, user: User, filters: ListFilters, limit: int) -> Page:
    """One page of the visible customers matching `filters`: no COUNT, phones prefetched, owners joined.

    Raises ValidationError for a cursor that is not one of ours.
    """
    page = selectors.customer_list_page(
        user=user,
        where=filters.where(),
        text=filters.q,
        order=filters.order,
        cursor=filters.cursor or None,
        limit=limit,
        related=("owner", "team"),
    )
    prefetch_related_objects(page.items, "phones")
    return page


def search_suggestions(*, user: User, text: str, limit: int = 8) -> list[Customer]:
    """The first few visible matches for the search box in the top bar."""
    if not text.strip():
        return []
    found = selectors.customer_search(user=user, text=text, limit=limit)
    prefetch_related_objects(found, "phones")
    return found


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


def stage_counts(*, user: User) -> list[StageCount]:
    """Visible customers per lifecycle stage, cached briefly per user: a GROUP BY over a million rows is
    too slow to repeat on every visit to the dashboard, and a minute-old figure is fine there."""
    key = f"peyvand:stage-counts:{user.pk}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = selectors.customer_stage_counts(user=user)
        cache.set(key, counts, STAGE_COUNTS_SECONDS)
    return [StageCount(stage.value, str(stage.label), counts.get(stage.value, 0)) for stage in LifecycleStage]


def may_manage_records(user: User) -> bool:
    """Whether to offer restore and delete; mirrors the checks in services (which remain the authority)."""
    return bool(user.is_admin_role or user.role == Role.MANAGER)


@dataclass(frozen=True)
class ConsentRow:
    channel: str
    label: str
    consent: Consent | None


@dataclass(frozen=True)
class CustomFieldRow:
    key: str
    label: str
    value: Any
    field_type: str


@dataclass
class CustomerProfile:
    customer: Customer
    phones: list[CustomerPhone]
    emails: list[CustomerEmail]
    addresses: list[CustomerAddress]
    tags: list[Tag]
    consents: list[ConsentRow]
    custom_fields: list[CustomFieldRow]
    organization: Customer | None = None
    parent: Customer | None = None
    sub_organizations: list[Customer] = field(default_factory=list)
    contacts: list[Customer] = field(default_factory=list)


RELATED_LIMIT = 50


def customer_profile(*, user: User, customer: Customer) -> CustomerProfile:
    """Everything the 360° page shows besides the timeline; linked records only when the user may see them."""
    visible = selectors.customers_visible_to(user)
    by_channel = {c.channel: c for c in customer.consents.all()}
    profile = CustomerProfile(
        customer=customer,
        phones=list(customer.phones.all()),
        emails=list(customer.emails.all()),
        addresses=list(customer.addresses.all()),
        tags=list(customer.tags.all()),
        consents=[ConsentRow(ch.value, str(ch.label), by_channel.get(ch.value)) for ch in CONSENT_CHANNELS],
        custom_fields=custom_field_rows(customer),
    )
    if customer.organization_id:
        profile.organization = visible.filter(pk=customer.organization_id).first()
    if customer.parent_id:
        profile.parent = visible.filter(pk=customer.parent_id).first()
    if customer.is_organization:
        profile.sub_organizations = list(visible.filter(parent=customer).order_by("display_name")[:RELATED_LIMIT])
        profile.contacts = list(
            visible.filter(organization=customer).prefetch_related("phones").order_by("display_name")[:RELATED_LIMIT]
        )
    return profile


def custom_field_definitions(kind: str) -> list[CustomField]:
    return [f for f in CustomField.objects.filter(is_active=True) if f.applies_to in ("", kind)]


def custom_field_label(definition: CustomField) -> str:
    return definition.label_fa if is_persian() else definition.label_en


def custom_field_rows(customer: Customer) -> list[CustomFieldRow]:
    rows = []
    for definition in custom_field_definitions(customer.kind):
        value = customer.custom_fields.get(definition.key)
        if value in (None, ""):
            continue
        if definition.field_type == "date" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value)
        rows.append(CustomFieldRow(definition.key, custom_field_label(definition), value, definition.field_type))
    return rows


# --- history ---------------------------------------------------------------------------------------------

_CHOICES: dict[str, Any] = {
    "kind": CustomerKind,
    "gender": Gender,
    "income_bracket": IncomeBracket,
    "lifecycle_stage": LifecycleStage,
    "source": Source,
    "preferred_channel": ContactChannel,
    "settlement_habit": SettlementHabit,
    "tier": Tier,
}
_LIST_LABELS = {
    "phones": CustomerPhone._meta.verbose_name_plural,
    "emails": CustomerEmail._meta.verbose_name_plural,
    "addresses": CustomerAddress._meta.verbose_name_plural,
}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RevisionRow:
    revision: CustomerRevision
    changes: list[ChangeRow]


def field_label(name: str) -> str:
    if name in _LIST_LABELS:
        return str(_LIST_LABELS[name])
    for candidate in (name, name.removesuffix("_id")):
        try:
            model_field = Customer._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if isinstance(model_field, ForeignObjectRel):
            continue  # a reverse relation has no verbose_name of its own
        return str(model_field.verbose_name)
    return name  # a field a later version removed still has a history; show its key


def revision_rows(revisions: Iterable[CustomerRevision]) -> list[RevisionRow]:
    """Each revision with its changed fields labelled and its values readable, names looked up in bulk."""
    revisions = list(revisions)
    ids: dict[str, set[int]] = {"user": set(), "team": set(), "customer": set()}
    for revision in revisions:
        for name, pair in revision.changes.items():
            bucket = {"owner_id": "user", "team_id": "team", "parent_id": "customer", "organization_id": "customer"}
            if name in bucket:
                ids[bucket[name]].update(v for v in pair if isinstance(v, int))
    names: dict[str, dict[int, str]] = {
        "user": {u.pk: str(u) for u in User.objects.filter(pk__in=ids["user"])},
        "team": {t.pk: t.name for t in Team.objects.filter(pk__in=ids["team"])},
        "customer": dict(Customer.objects.filter(pk__in=ids["customer"]).values_list("pk", "display_name")),
    }
    labels = {f.key: custom_field_label(f) for f in CustomField.objects.all()}
    rows = []
    for revision in revisions:
        changes = []
        for name, pair in revision.changes.items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            before, after = _show(name, pair[0], names, labels), _show(name, pair[1], names, labels)
            if before or after:  # None → "" is a change to the data, not to anything a reader sees
                changes.append(ChangeRow(name, field_label(name), before, after))
        rows.append(RevisionRow(revision, changes))
    return rows


def _show(name: str, value: Any, names: dict[str, dict[int, str]], labels: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return ""
    if name in _CHOICES:
        try:
            return str(_CHOICES[name](value).label)
        except ValueError:
            return str(value)
    if name == "birth_date":
        try:
            return format_date(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    lookup = {"owner_id": "user", "team_id": "team", "parent_id": "customer", "organization_id": "customer"}
    if name in lookup:
        return names[lookup[name]].get(value, f"#{value}")
    if name == "phones":
        return "، ".join(format_phone(p.get("number", "")) for p in value)
    if name == "emails":
        return "، ".join(e.get("email", "") for e in value)
    if name == "addresses":
        return " | ".join(
            " ، ".join(str(a.get(k)) for k in ("province", "city", "line", "postal_code") if a.get(k)) for a in value
        )
    if name == "tags":
        return "، ".join(str(t) for t in value)
    if name == "custom_fields" and isinstance(value, dict):
        return "؛ ".join(f"{labels.get(k, k)}: {v}" for k, v in value.items())
    return str(value)


# --- organisations ----------------------------------------------------------------------------------------


@dataclass
class OrgNode:
    organization: Customer
    contact_count: int
    children: list[OrgNode] = field(default_factory=list)


def organization_forest(*, user: User, cursor: str | None = None) -> tuple[list[OrgNode], str | None]:
    """One page of the visible organisation tree as nested nodes, with each organisation's visible contact
    count, and the cursor of the next page of top-level organisations."""
    page = selectors.organization_roots_page(user=user, cursor=cursor)
    flat = selectors.organization_subtree(user=user, roots=page.items)
    ids = [org.pk for org, _depth in flat]
    counts = dict(
        selectors.customers_visible_to(user)
        .filter(organization_id__in=ids)
        .order_by()
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    roots: list[OrgNode] = []
    stack: list[tuple[int, OrgNode]] = []
    for org, depth in flat:
        node = OrgNode(org, counts.get(org.pk, 0))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((depth, node))
    return roots, page.next_cursor


# --- choices for forms and filters --------------------------------------------------------------------------

CHOICE_LIMIT = 500
ORGANIZATION_OPTIONS = 30


def organization_choices(
    *, user: User, text: str = "", include: Iterable[int | str | None] = (), exclude: int | None = None
) -> list[tuple[int, str]]:
    """Organisations for a select that is searched as one types: the chosen ones first, then the first
    ORGANIZATION_OPTIONS visible ones matching `text` (best match first; by name when there is no text).
    Read through the list's own scoped, indexed paths, so it stays quick with many organisations."""
    visible = selectors.customers_visible_to(user).filter(kind=CustomerKind.ORGANIZATION)
    wanted = [int(pk) for pk in include if pk and str(pk).isdigit() and int(pk) != exclude]
    rows: list[tuple[int, str]] = list(visible.filter(pk__in=wanted).values_list("pk", "display_name"))
    page = selectors.customer_list_page(
        user=user, where=Q(kind=CustomerKind.ORGANIZATION), text=text, limit=ORGANIZATION_OPTIONS + 1
    )
    chosen = {pk for pk, _name in rows}
    rows += [(c.pk, c.display_name) for c in page.items if c.pk not in chosen and c.pk != exclude]
    return rows[: len(chosen) + ORGANIZATION_OPTIONS]


def tag_names(limit: int = CHOICE_LIMIT) -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:limit])


def active_language() -> str:
    return (get_language() or "fa").split("-")[0]
