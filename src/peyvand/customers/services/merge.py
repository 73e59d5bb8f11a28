"""Merging two customers into one, field by field, moving every related record, and undoing it.

Related records are found generically from Customer's reverse relations (hidden ones too, so the through
tables of many-to-many fields such as tags are covered), which means deals, tickets and orders added by
later apps move without this module knowing them. Each moved row's id is kept in CustomerMerge.moved under
"app_label.model:field", and undo moves exactly those rows back.

Consent is the exception that is chosen rather than moved: a customer has one record per channel, so where
both have one and they differ the user picks which stands (by default the latest stated wish); the merged
record's row stays with it, the survivor's row takes the chosen values, and undo puts the survivor's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.customers.duplicates import record_candidates
from peyvand.customers.models import (
    CONSENT_CHANNELS,
    Consent,
    Customer,
    CustomerMerge,
    CustomerRevision,
    Direction,
    DuplicateCandidate,
    DuplicateSource,
    DuplicateStatus,
    Interaction,
    InteractionChannel,
    RevisionAction,
)
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services.records import _apply, _record, customer_snapshot, values_from_snapshot
from peyvand.customers.services.timeline import interaction_create
from peyvand.customers.services.validation import SCALAR_FIELDS, _clean

# The fields a merge lets the user take from either side (everything a form edits; contact rows move).
MERGE_FIELDS = SCALAR_FIELDS
SIDES = ("survivor", "merged")
# Rows that describe the two records themselves rather than belonging to the customer: the merged record
# keeps its own history (it is soft-deleted, not removed), and pairs and merges name both sides on purpose.
_NOT_MOVED = (CustomerRevision, DuplicateCandidate, CustomerMerge)
_CHUNK = 1000
# CustomerMerge.chosen keys for consent: "consent:sms", "consent:email", "consent:call".
CONSENT_KEY = "consent:"
_CONSENT_VALUES = ("granted", "recorded_at", "method", "note", "recorded_by_id")


def may_merge(user: User) -> bool:
    return bool(user.is_admin_role or user.role == Role.MANAGER)


def _require_manager(by: User) -> None:
    if not may_merge(by):
        raise PermissionDenied(_("Only a manager or an administrator can merge customers."))


def _links() -> list[tuple[type[models.Model], str]]:
    """(model, name of its foreign key to Customer) for every relation that points at a customer."""
    links: list[tuple[type[models.Model], str]] = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model = rel.related_model
        if not isinstance(rel, models.ForeignObjectRel) or not isinstance(model, type) or model in _NOT_MOVED:
            continue
        fk = rel.field
        if model is Customer and fk.name == "merged_into":
            continue
        links.append((model, fk.name))
    return links


def _unique_sets(model: type[models.Model], fk: str) -> list[tuple[str, ...]]:
    """The other fields that, with the customer, must be unique: rows clashing on them are not moved."""
    sets: list[tuple[str, ...]] = []
    field = model._meta.get_field(fk)
    if getattr(field, "unique", False):
        sets.append(())
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None and fk in constraint.fields:
            sets.append(tuple(f for f in constraint.fields if f != fk))
    for together in model._meta.unique_together:
        if fk in together:
            sets.append(tuple(f for f in together if f != fk))
    return sets


def _move(model: type[models.Model], fk: str, ids: list[int], *, source: Customer, target: Customer) -> int:
    moved = 0
    manager = model._base_manager
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        moved += manager.filter(pk__in=chunk, **{fk: source}).update(**{fk: target})
    return moved


def _move_related(*, survivor: Customer, merged: Customer) -> dict[str, list[int]]:
    """Move every row pointing at `merged` to `survivor`, except rows the survivor already has (the same
    phone, e-mail, tag, consent channel): those stay with the merged record, so undo has nothing to restore."""
    moved: dict[str, list[int]] = {}
    for model, fk in _links():
        manager = model._base_manager
        rows = manager.filter(**{fk: merged})
        if model is Customer:
            rows = rows.exclude(pk=survivor.pk)  # the survivor under the merged organisation stays where it is
        kept: set[Any] = set()
        for others in _unique_sets(model, fk):
            if not others:
                if manager.filter(**{fk: survivor}).exists():
                    kept.update(rows.values_list("pk", flat=True))
                continue
            taken = set(manager.filter(**{fk: survivor}).values_list(*others))
            for pk, *values in rows.values_list("pk", *others):
                if tuple(values) in taken:
                    kept.add(pk)
        ids = [pk for pk in rows.order_by("pk").values_list("pk", flat=True) if pk not in kept]
        if ids:
            _move(model, fk, ids, source=merged, target=survivor)
            moved[f"{model._meta.label_lower}:{fk}"] = ids
    return moved


def _refresh_last_interaction(*customers: Customer) -> None:
    for customer in customers:
        last = Interaction.objects.filter(customer_id=customer.pk).aggregate(at=Max("occurred_at"))["at"]
        Customer.objects.filter(pk=customer.pk).update(last_interaction_at=last)


def _pair(a: Customer, b: Customer) -> DuplicateCandidate | None:
    low, high = sorted((a.pk, b.pk))
    return DuplicateCandidate.objects.filter(first_id=low, second_id=high).first()


def _chosen_values(chosen: Mapping[str, str], merged: Customer) -> dict[str, Any]:
    known = {*MERGE_FIELDS, *(f"{CONSENT_KEY}{channel}" for channel in CONSENT_CHANNELS)}
    unknown = {k: [_("Unknown field.")] for k in chosen if k not in known}
    bad = {k: [_("Choose “survivor” or “merged”.")] for k, v in chosen.items() if k in known and v not in SIDES}
    if unknown or bad:
        raise ValidationError({**unknown, **bad})
    return {
        field: getattr(merged, field) for field, side in chosen.items() if side == "merged" and field in MERGE_FIELDS
    }


@dataclass(frozen=True)
class ConsentConflict:
    """Both customers have a consent record for `channel` and they say different things."""

    channel: str
    survivor: Consent
    merged: Consent
    default: str  # the side kept unless the user chooses: "survivor" or "merged"

    @property
    def key(self) -> str:
        return f"{CONSENT_KEY}{self.channel}"

    @property
    def sides(self) -> tuple[tuple[str, Consent], tuple[str, Consent]]:
        return (("survivor", self.survivor), ("merged", self.merged))


def _latest_wish(survivor: Consent, merged: Consent) -> str:
    """Consent law goes by the latest stated wish; recorded at the same moment, the refusal wins, so that an
    opt-out is never lost by default."""
    if merged.recorded_at != survivor.recorded_at:
        return "merged" if merged.recorded_at > survivor.recorded_at else "survivor"
    return "merged" if survivor.granted and not merged.granted else "survivor"


def consent_conflicts(*, survivor: Customer, merged: Customer) -> list[ConsentConflict]:
    """The channels on which a merge has to choose between the two customers' consent records."""
    mine = {c.channel: c for c in Consent.objects.filter(customer_id=survivor.pk)}
    theirs = {c.channel: c for c in Consent.objects.filter(customer_id=merged.pk)}
    both = [str(channel) for channel in CONSENT_CHANNELS if channel in mine and channel in theirs]
    return [
        ConsentConflict(channel, mine[channel], theirs[channel], _latest_wish(mine[channel], theirs[channel]))
        for channel in both
        if _says(mine[channel]) != _says(theirs[channel])
    ]


def _says(consent: Consent) -> tuple[bool, datetime, str]:
    return consent.granted, consent.recorded_at, consent.method


def _consent_values(consent: Consent) -> dict[str, Any]:
    values = {name: getattr(consent, name) for name in _CONSENT_VALUES}
    values["recorded_at"] = consent.recorded_at.isoformat()
    return values


def _take_consents(
    *, survivor: Customer, merged: Customer, chosen: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Resolve each conflicting channel (the user's choice, else the latest wish) and give the survivor's row
    the merged record's values where that side won. Returns the choices made and the survivor's rows as they
    were, for undo. The merged record's own row is left as it is: the unique channel keeps it from moving."""
    sides: dict[str, str] = {}
    before: dict[str, dict[str, Any]] = {}
    for conflict in consent_conflicts(survivor=survivor, merged=merged):
        side = chosen.get(conflict.key, conflict.default)
        sides[conflict.key] = side
        if side == "merged":
            before[conflict.channel] = _consent_values(conflict.survivor)
            row = conflict.survivor
            for name in _CONSENT_VALUES:
                setattr(row, name, getattr(conflict.merged, name))
            row.save(update_fields=[*_CONSENT_VALUES, "updated_at"])
    return sides, before


def _give_back_consents(*, survivor: Customer, merged: Customer, before: Mapping[str, Mapping[str, Any]]) -> None:
    for channel, values in before.items():
        row = Consent.objects.filter(customer_id=survivor.pk, channel=channel).first()
        taken = Consent.objects.filter(customer_id=merged.pk, channel=channel).first()
        # Put back only what the merge wrote: a consent recorded on the survivor since then is a later wish.
        if row is None or taken is None or _consent_values(row) != _consent_values(taken):
            continue
        for name in _CONSENT_VALUES:
            setattr(row, name, datetime.fromisoformat(values[name]) if name == "recorded_at" else values[name])
        if row.recorded_by_id is not None and not User.objects.filter(pk=row.recorded_by_id).exists():
            row.recorded_by_id = None  # the member of staff has gone since, as their other references do
        row.save(update_fields=[*_CONSENT_VALUES, "updated_at"])


@transaction.atomic
def customer_merge(
    *,
    survivor: Customer,
    merged: Customer,
    by: User,
    chosen: Mapping[str, str],
    candidate: DuplicateCandidate | None = None,
) -> CustomerMerge:
    """Fold `merged` into `survivor`: the chosen fields copied over (a revision of the survivor), every
    related record moved, the merged record soft-deleted and pointing at the survivor with its history
    kept, and a note on the survivor's timeline. `chosen` maps fields, and "consent:<channel>" where both
    have a consent record that differs, to "survivor" or "merged"; a channel not chosen keeps the latest
    wish. Undo with customer_merge_undo."""
    _require_manager(by)
    visible = customers_visible_to(by)
    # Locked in id order so that two merges of the same pair cannot deadlock.
    locked = {c.pk: c for c in visible.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")}
    if survivor.pk not in locked or merged.pk not in locked:
        raise Customer.DoesNotExist
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.pk == merged.pk:
        raise ValidationError({"merged_id": [_("A customer cannot be merged with itself.")]})
    if survivor.kind != merged.kind:
        raise ValidationError({"merged_id": [_("A person and an organisation cannot be merged.")]})
    if candidate is not None and {candidate.first_id, candidate.second_id} != {survivor.pk, merged.pk}:
        raise ValidationError({"candidate": [_("This suspected pair is about other customers.")]})
    changes = _chosen_values(chosen, merged)

    before = customer_snapshot(survivor)
    moved = _move_related(survivor=survivor, merged=merged)
    consent_sides, consents_before = _take_consents(survivor=survivor, merged=merged, chosen=chosen)
    values = _clean(data=changes, by=by, instance=survivor)
    _apply(survivor, values)
    _record(customer=survivor, by=by, action=RevisionAction.UPDATE, before=before)

    merged_before = customer_snapshot(merged)
    merged.deleted_at = timezone.now()
    merged.merged_into = survivor
    merged.save(update_fields=["deleted_at", "merged_into", "updated_at"])
    _record(customer=merged, by=by, action=RevisionAction.DELETE, before=merged_before)

    candidate = _pair(survivor, merged)
    if candidate is not None:
        candidate.status = DuplicateStatus.MERGED
        candidate.reviewed_by = by
        candidate.reviewed_at = timezone.now()
        candidate.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    merge = CustomerMerge.objects.create(
        survivor=survivor,
        merged=merged,
        by=by,
        candidate=candidate,
        chosen={**{k: v for k, v in chosen.items() if not k.startswith(CONSENT_KEY)}, **consent_sides},
        survivor_before={**before, "consents": consents_before} if consents_before else before,
        moved=moved,
    )
    subject = _("Merged with “%(name)s” (#%(id)s)") % {"name": merged.display_name, "id": merged.pk}
    _after_merge_or_undo(merge, survivor=survivor, merged=merged, by=by, subject=subject)
    return merge


def _after_merge_or_undo(merge: CustomerMerge, *, survivor: Customer, merged: Customer, by: User, subject: str) -> None:
    """What follows a merge and its undo alike: last-interaction dates, a note on the survivor's timeline, and
    both customers checked for duplicates again, as on save and in the same transaction. After a merge the
    survivor holds the merged record's phones and e-mails and the merged record's own open pairs no longer
    hold; after an undo the reopened pair takes its current reasons (or goes), and the pairs the merged
    record had with others, closed while it was merged away, come back."""
    _refresh_last_interaction(survivor, merged)
    interaction_create(
        customer=survivor,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=subject,
        related=merge,
        check_visible=False,
    )
    record_candidates(survivor, found_by=DuplicateSource.SAVE)
    record_candidates(merged, found_by=DuplicateSource.SAVE)


@transaction.atomic
def customer_merge_undo(*, merge: CustomerMerge, by: User) -> CustomerMerge:
    """Put both customers back as they were: every moved row returned, the survivor's merged-in fields
    restored (a new revision), the survivor's consent records as they were, the merged record live again,
    and both checked for duplicates again, so that their pair is back in the review queue."""
    _require_manager(by)
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    scope = customers_visible_to(by, include_deleted=True)
    if not scope.filter(pk=merge.survivor_id).exists() or not scope.filter(pk=merge.merged_id).exists():
        raise CustomerMerge.DoesNotExist
    if merge.undone_at is not None:
        raise ValidationError({"merge": [_("This merge has already been undone.")]})
    both = [merge.survivor_id, merge.merged_id]
    later = CustomerMerge.objects.filter(pk__gt=merge.pk, undone_at__isnull=True).filter(
        Q(survivor_id__in=both) | Q(merged_id__in=both)
    )
    if later.exists():
        raise ValidationError({"merge": [_("A later merge involves these customers; undo that one first.")]})
    survivor = Customer.objects.select_for_update().get(pk=merge.survivor_id)
    merged = Customer.objects.select_for_update().get(pk=merge.merged_id)
    if survivor.deleted_at is not None:
        raise ValidationError({"merge": [_("The surviving customer has been deleted; restore it first.")]})

    for key, ids in merge.moved.items():
        label, fk = key.split(":")
        _move(apps.get_model(label), fk, [int(pk) for pk in ids], source=survivor, target=merged)

    before = customer_snapshot(survivor)
    fields = [f for f, side in merge.chosen.items() if side == "merged" and f in MERGE_FIELDS]
    values = values_from_snapshot({f: merge.survivor_before[f] for f in fields})
    _apply(survivor, values)
    _record(customer=survivor, by=by, action=RevisionAction.UPDATE, before=before)
    _give_back_consents(survivor=survivor, merged=merged, before=merge.survivor_before.get("consents", {}))

    merged_before = customer_snapshot(merged)
    merged.deleted_at = None
    merged.merged_into = None
    merged.save(update_fields=["deleted_at", "merged_into", "updated_at"])
    _record(customer=merged, by=by, action=RevisionAction.RESTORE, before=merged_before)

    if merge.candidate_id is not None:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            status=DuplicateStatus.OPEN, reviewed_by=None, reviewed_at=None, updated_at=timezone.now()
        )
    merge.undone_at = timezone.now()
    merge.undone_by = by
    merge.save(update_fields=["undone_at", "undone_by", "updated_at"])
    subject = _("The merge with “%(name)s” (#%(id)s) was undone") % {"name": merged.display_name, "id": merged.pk}
    _after_merge_or_undo(merge, survivor=survivor, merged=merged, by=by, subject=subject)
    return merge


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, by: User) -> DuplicateCandidate:
    """Mark a suspected pair as not a duplicate; scans and saves never reopen it."""
    _require_manager(by)
    visible = customers_visible_to(by)
    if visible.filter(pk__in=[candidate.first_id, candidate.second_id]).count() != 2:
        raise DuplicateCandidate.DoesNotExist
    if candidate.status != DuplicateStatus.OPEN:
        raise ValidationError({"status": [_("This pair has already been reviewed.")]})
    candidate.status = DuplicateStatus.DISMISSED
    candidate.reviewed_by = by
    candidate.reviewed_at = timezone.now()
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return candidate
