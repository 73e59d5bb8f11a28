"""What makes two customers a suspected pair, and storing pairs: one customer against the rest (on save, on
import), re-checking stored pairs, and the upsert the scan shares.

Every candidate set comes from an indexed look-up (phone number, e-mail, national code, a name-prefix range
within a city or an organisation), never from comparing against all customers: detection runs on every save
at 1M customers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet
from django.utils import timezone
from rapidfuzz import fuzz

from peyvand.core.text import normalize_text
from peyvand.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateKind,
    DuplicateSource,
    DuplicateStatus,
)
from peyvand.customers.selectors import prefix_q

# token_sort_ratio (0–100) from which two names in the same city or organisation are a probable match;
# 88 lets one wrong or missing letter through in a typical two-word Persian name, not a different surname.
NAME_THRESHOLD = 88.0
# Names compared on save are those starting with the same letters (an index range on sort_key): a typo in
# the first letters is left to nobody, a price paid for never reading a whole city on a save.
PREFIX_LETTERS = 2
# How many same-prefix customers of a city a save compares against at most (a city of 300,000 still
# answers in milliseconds).
SAVE_CANDIDATES = 500
CHUNK = 500

CERTAIN_SCORE = 100.0
REASONS = ("phone", "email", "national_id", "name")


class Duplicate(NamedTuple):
    other: Customer
    kind: str
    reasons: list[str]
    score: float


@dataclass
class _Found:
    reasons: set[str] = field(default_factory=set)
    score: float = 0.0

    @property
    def kind(self) -> str:
        return DuplicateKind.CERTAIN if self.reasons - {"name"} else DuplicateKind.PROBABLE

    def add(self, reason: str, score: float) -> None:
        self.reasons.add(reason)
        self.score = max(self.score, score)


def name_key(display_name: str) -> str:
    """What names are compared on: normalised (Arabic and Persian letters folded, digits, case), words kept
    so that token_sort_ratio can match «علی رضایی» with «رضایی علی»."""
    return normalize_text(display_name)


def name_score(a: str, b: str) -> float:
    return float(fuzz.token_sort_ratio(name_key(a), name_key(b)))


def _live() -> QuerySet[Customer]:
    return Customer.objects.filter(deleted_at__isnull=True)


# --- one customer (on save, on import) ------------------------------------------------------------------


def _matches_of(customer: Customer) -> dict[int, _Found]:
    found: dict[int, _Found] = defaultdict(_Found)
    live_other = Q(customer__deleted_at__isnull=True) & ~Q(customer_id=customer.pk)
    numbers = list(customer.phones.values_list("number", flat=True))
    if numbers:
        for pk in CustomerPhone.objects.filter(live_other, number__in=numbers).values_list("customer_id", flat=True):
            found[pk].add("phone", CERTAIN_SCORE)
    emails = list(customer.emails.values_list("email", flat=True))
    if emails:
        for pk in CustomerEmail.objects.filter(live_other, email__in=emails).values_list("customer_id", flat=True):
            found[pk].add("email", CERTAIN_SCORE)
    if customer.national_id:
        same_id = _live().filter(national_id=customer.national_id).exclude(pk=customer.pk)
        for pk in same_id.values_list("pk", flat=True):
            found[pk].add("national_id", CERTAIN_SCORE)
    for pk, score in _similar_names(customer):
        found[pk].add("name", score)
    return found


def _similar_names(customer: Customer) -> Iterator[tuple[int, float]]:
    """Customers of the same kind whose names start alike and who share a city or the organisation."""
    prefix = customer.sort_key[:PREFIX_LETTERS]
    if not prefix:
        return
    peers = Q()
    cities = [c for c in customer.addresses.values_list("city", flat=True) if c]
    if cities:
        peers |= Q(pk__in=CustomerAddress.objects.filter(city__in=cities).values("customer_id"))
    group = "organization_id" if customer.kind == CustomerKind.PERSON else "parent_id"
    if getattr(customer, group):
        peers |= Q(**{group: getattr(customer, group)})
    if peers == Q():
        return
    rows = (
        _live()
        .filter(peers, prefix_q("sort_key", prefix), kind=customer.kind)
        .exclude(pk=customer.pk)
        .values_list("pk", "display_name")[:SAVE_CANDIDATES]
    )
    mine = name_key(customer.display_name)
    for pk, display_name in rows:
        score = float(fuzz.token_sort_ratio(mine, name_key(display_name)))
        if score >= NAME_THRESHOLD:
            yield pk, score


def find_duplicates_of(customer: Customer) -> list[Duplicate]:
    """Live customers that may be `customer`, certain matches first, best score first."""
    found = _matches_of(customer)
    others = _live().in_bulk(list(found))
    result = [
        Duplicate(others[pk], f.kind, sorted(f.reasons, key=REASONS.index), f.score)
        for pk, f in found.items()
        if pk in others
    ]
    result.sort(key=lambda d: (d.kind != DuplicateKind.CERTAIN, -d.score, d.other.pk))
    return result


def record_candidates(customer: Customer, found_by: str = DuplicateSource.SAVE) -> int:
    """Find and store the duplicates of one customer, and drop its open pairs that no longer hold (a phone
    changed, the customer deleted); returns how many pairs were new."""
    # A deleted (or merged-away) customer matches nobody: its open pairs are all re-checked, and all go.
    found = _matches_of(customer) if customer.deleted_at is None else {}
    pairs = {(min(customer.pk, pk), max(customer.pk, pk)): f for pk, f in found.items()}
    created = save_pairs(pairs, found_by=found_by)["created"]
    mine = DuplicateCandidate.objects.filter(Q(first_id=customer.pk) | Q(second_id=customer.pk))
    # The open pairs a save did not find again are few (usually none), so re-checking them costs a look-up or two.
    open_pairs = mine.filter(status=DuplicateStatus.OPEN).values_list("pk", "first_id", "second_id")
    missing = [(pk, a, b) for pk, a, b in open_pairs if (a, b) not in pairs]
    close_stale_pairs(missing)
    return created


def record_candidates_for(customer_ids: Iterable[int], found_by: str = DuplicateSource.IMPORT) -> int:
    """The import's hook, called once per committed batch; returns how many pairs were new."""
    created = 0
    for customer in _live().filter(pk__in=list(customer_ids)).order_by("pk"):
        created += record_candidates(customer, found_by=found_by)
    return created


def save_pairs(pairs: dict[tuple[int, int], _Found], *, found_by: str) -> dict[str, int]:
    """Upsert candidate pairs ((low id, high id) → what was found). A pair someone dismissed or merged is
    left as it is, so a dismissed pair never comes back; an open one takes the newest kind, reasons and score."""
    counts = {"created": 0, "updated": 0}
    keys = sorted(pairs)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        firsts = {a for a, _b in chunk}
        existing = {
            (c.first_id, c.second_id): c
            for c in DuplicateCandidate.objects.filter(first_id__in=firsts, second_id__in={b for _a, b in chunk})
        }
        new: list[DuplicateCandidate] = []
        changed: list[DuplicateCandidate] = []
        for key in chunk:
            found = pairs[key]
            reasons = sorted(found.reasons, key=REASONS.index)
            row = existing.get(key)
            if row is None:
                new.append(
                    DuplicateCandidate(
                        first_id=key[0],
                        second_id=key[1],
                        kind=found.kind,
                        reasons=reasons,
                        score=found.score,
                        found_by=found_by,
                    )
                )
            elif row.status == DuplicateStatus.OPEN and (row.kind, row.reasons, row.score) != (
                found.kind,
                reasons,
                found.score,
            ):
                row.kind, row.reasons, row.score = found.kind, reasons, found.score
                row.updated_at = timezone.now()
                changed.append(row)
        # ignore_conflicts: a concurrent save of the other customer may have stored the pair meanwhile.
        DuplicateCandidate.objects.bulk_create(new, ignore_conflicts=True)
        DuplicateCandidate.objects.bulk_update(changed, ["kind", "reasons", "score", "updated_at"])
        counts["created"] += len(new)
        counts["updated"] += len(changed)
    return counts


# --- pairs that no longer hold --------------------------------------------------------------------------


def pairs_that_hold(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], _Found]:
    """Of the pairs (low id, high id), those whose reason still holds, with what holds now: both customers live
    and sharing a phone, an e-mail or the national code, or of one kind with similar names in a shared city
    or the same organisation. The pair itself is checked, not re-found, so nothing the save's or the scan's
    look-up limits leave out (the 500 names, a switchboard number) makes a good pair look stale."""
    held: dict[tuple[int, int], _Found] = {}
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        ids = {pk for key in chunk for pk in key}
        people = {
            row[0]: row[1:]
            for row in _live()
            .filter(pk__in=ids)
            .values_list("pk", "kind", "display_name", "national_id", "organization_id", "parent_id")
        }
        phones = _values_by_customer(CustomerPhone.objects.filter(customer_id__in=people), "number")
        emails = _values_by_customer(CustomerEmail.objects.filter(customer_id__in=people), "email")
        cities = _values_by_customer(CustomerAddress.objects.filter(customer_id__in=people).exclude(city=""), "city")
        for a, b in chunk:
            if a not in people or b not in people:
                continue
            (kind_a, name_a, national_a, org_a, parent_a), (kind_b, name_b, national_b, org_b, parent_b) = (
                people[a],
                people[b],
            )
            found = _Found()
            if phones[a] & phones[b]:
                found.add("phone", CERTAIN_SCORE)
            if emails[a] & emails[b]:
                found.add("email", CERTAIN_SCORE)
            if national_a and national_a == national_b:
                found.add("national_id", CERTAIN_SCORE)
            group_a, group_b = (org_a, org_b) if kind_a == CustomerKind.PERSON else (parent_a, parent_b)
            peers = bool(cities[a] & cities[b]) or (group_a is not None and group_a == group_b)
            if kind_a == kind_b and peers:
                score = name_score(name_a, name_b)
                if score >= NAME_THRESHOLD:
                    found.add("name", score)
            if found.reasons:
                held[(a, b)] = found
    return held


def _values_by_customer(qs: QuerySet[Any], column: str) -> defaultdict[int, set[Any]]:
    values: defaultdict[int, set[Any]] = defaultdict(set)
    for pk, value in qs.values_list("customer_id", column):
        values[pk].add(value)
    return values


def close_stale_pairs(rows: Iterable[tuple[int, int, int]]) -> int:
    """Re-check open pairs (id, low id, high id): remove those whose reason no longer holds, bring the rest up
    to date; returns how many were removed. Only open pairs go: nobody has decided on them yet, so nothing is
    lost, whereas a dismissed or merged pair is the record of a decision and stays."""
    rows = list(rows)
    if not rows:
        return 0
    held = pairs_that_hold((a, b) for _pk, a, b in rows)
    stale = [pk for pk, a, b in rows if (a, b) not in held]
    save_pairs(held, found_by=DuplicateSource.SCAN)  # only updates: every one of them is stored already
    closed = 0
    for start in range(0, len(stale), CHUNK):
        # status=open again: a pair someone reviewed in the meantime is a decision, and stays.
        _total, by_model = DuplicateCandidate.objects.filter(
            pk__in=stale[start : start + CHUNK], status=DuplicateStatus.OPEN
        ).delete()
        closed += by_model.get(DuplicateCandidate._meta.label, 0)
    return closed
