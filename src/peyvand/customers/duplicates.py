"""Finding customers that may be one: certain matches on identifiers, probable ones on similar names.

Three entry points share one notion of a match: `record_candidates` (on every save), `record_candidates_for`
(a batch of imported customers) and `scan_duplicates` (the periodic scan over everything). Every candidate
set comes from an indexed look-up (phone number, e-mail, national code, a name-prefix range within a city or
an organisation), never from comparing against all customers: detection runs on every save at 1M customers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_tasks import task
from rapidfuzz import fuzz, process

from peyvand.accounts.models import User
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
from peyvand.customers.selectors import _prefix, customers_visible_to

# token_sort_ratio (0–100) from which two names in the same city or organisation are a probable match;
# 88 lets one wrong or missing letter through in a typical two-word Persian name, not a different surname.
NAME_THRESHOLD = 88.0
# Names compared on save are those starting with the same letters (an index range on sort_key): a typo in
# the first letters is left to nobody, a price paid for never reading a whole city on a save.
PREFIX_LETTERS = 2
# How many same-prefix customers of a city a save compares against at most (a city of 300,000 still
# answers in milliseconds).
SAVE_CANDIDATES = 500
# A phone, e-mail or national code shared by more customers than this is a switchboard or a placeholder
# («info@», «0000000000»), not a duplicate: its group is left out of the scan rather than making n² pairs.
MAX_GROUP = 50
# A scan block (city, kind, first letters) larger than this is split on one more letter.
MAX_BLOCK = 3000
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
        .filter(peers, _prefix("sort_key", prefix), kind=customer.kind)
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
    """Find and store the duplicates of one customer; returns how many pairs were new."""
    found = _matches_of(customer)
    pairs = {(min(customer.pk, pk), max(customer.pk, pk)): f for pk, f in found.items()}
    return save_pairs(pairs, found_by=found_by)["created"]


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


# --- the periodic scan ----------------------------------------------------------------------------------


def _shared_values(qs: QuerySet[Any], column: str, owner: str) -> Iterator[list[int]]:
    """Groups of live customers sharing one value of `column`: the values come from one GROUP BY … HAVING
    COUNT > 1 in the database, then their owners are read a chunk of values at a time."""
    shared = (
        qs.order_by()
        .values(column)
        .annotate(n=Count(owner, distinct=True))
        .filter(n__gt=1, n__lte=MAX_GROUP)
        .values_list(column, flat=True)
    )
    values = list(shared.iterator(chunk_size=2000))
    for start in range(0, len(values), CHUNK):
        groups: dict[Any, set[int]] = defaultdict(set)
        for value, pk in qs.filter(**{f"{column}__in": values[start : start + CHUNK]}).values_list(column, owner):
            groups[value].add(pk)
        for ids in groups.values():
            yield sorted(ids)


def _certain_pairs(pairs: dict[tuple[int, int], _Found]) -> None:
    live_phone = CustomerPhone.objects.filter(customer__deleted_at__isnull=True)
    live_email = CustomerEmail.objects.filter(customer__deleted_at__isnull=True)
    sources: list[tuple[str, QuerySet[Any], str, str]] = [
        ("phone", live_phone, "number", "customer_id"),
        ("email", live_email, "email", "customer_id"),
        ("national_id", _live().exclude(national_id=""), "national_id", "id"),
    ]
    for reason, qs, column, owner in sources:
        for ids in _shared_values(qs, column, owner):
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    pairs.setdefault((a, b), _Found()).add(reason, CERTAIN_SCORE)


def _blocks(rows: Iterable[tuple[Any, int, str, str, str]]) -> Iterator[list[tuple[int, str]]]:
    """Rows (group value, id, kind, sort key, name) in group order → blocks of (id, name) sharing the group,
    the kind and the first letters of the name; an oversized block is split on one more letter."""
    current: Any = object()
    bucket: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)

    def flush() -> Iterator[list[tuple[int, str]]]:
        for members in bucket.values():
            yield from _split(members, PREFIX_LETTERS)

    for group, pk, kind, sort_key, name in rows:
        if group != current:
            yield from flush()
            bucket = defaultdict(list)
            current = group
        bucket[(kind, sort_key[:PREFIX_LETTERS])].append((pk, sort_key, name))
    yield from flush()


def _split(members: list[tuple[int, str, str]], letters: int) -> Iterator[list[tuple[int, str]]]:
    if len(members) < 2:
        return
    if len(members) <= MAX_BLOCK or letters >= 6:
        yield [(pk, name) for pk, _key, name in members]
        return
    finer: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for member in members:
        finer[member[1][: letters + 1]].append(member)
    for part in finer.values():
        yield from _split(part, letters + 1)


def _compare_block(block: list[tuple[int, str]], pairs: dict[tuple[int, int], _Found]) -> None:
    ids = [pk for pk, _name in block]
    keys = [name_key(name) for _pk, name in block]
    # process.extract compares one name with the rest of the block in C (cdist would need NumPy, which
    # is not installed); the Python loop is over the block, never over all customers.
    for i, key in enumerate(keys[:-1]):
        rest = keys[i + 1 :]
        for _choice, score, j in process.extract(
            key, rest, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_THRESHOLD, limit=None
        ):
            a, b = sorted((ids[i], ids[i + 1 + j]))
            pairs.setdefault((a, b), _Found()).add("name", float(score))


def _probable_pairs(pairs: dict[tuple[int, int], _Found]) -> None:
    by_city = (
        CustomerAddress.objects.filter(customer__deleted_at__isnull=True)
        .exclude(city="")
        .order_by("city", "customer__sort_key")
        .values_list("city", "customer_id", "customer__kind", "customer__sort_key", "customer__display_name")
        .distinct()
    )
    by_org = (
        _live()
        .filter(kind=CustomerKind.PERSON, organization_id__isnull=False)
        .order_by("organization_id", "sort_key")
        .values_list("organization_id", "id", "kind", "sort_key", "display_name")
    )
    by_parent = (
        _live()
        .filter(kind=CustomerKind.ORGANIZATION, parent_id__isnull=False)
        .order_by("parent_id", "sort_key")
        .values_list("parent_id", "id", "kind", "sort_key", "display_name")
    )
    for rows in (by_city, by_org, by_parent):
        for block in _blocks(rows.iterator(chunk_size=5000)):
            _compare_block(block, pairs)


def scan_duplicates(*, found_by: str = DuplicateSource.SCAN) -> dict[str, int]:
    """Find every suspected pair among live customers and store the new ones; returns the figures.

    Certain matches come from GROUP BY … HAVING on the indexed identifier columns; probable ones from
    comparing names (rapidfuzz) only within blocks of the same city or organisation, kind and first
    letters, read in one ordered pass.
    """
    pairs: dict[tuple[int, int], _Found] = {}
    _certain_pairs(pairs)
    _probable_pairs(pairs)
    counts = save_pairs(pairs, found_by=found_by)
    certain = sum(1 for f in pairs.values() if f.kind == DuplicateKind.CERTAIN)
    return {"certain": certain, "probable": len(pairs) - certain, **counts}


@task()
def record_candidates_task(customer_ids: list[int]) -> int:
    """Duplicate detection for customers an import created, run after their batch is committed so that the
    import itself does not wait for it (updated customers are checked on save, like any other update)."""
    return record_candidates_for(customer_ids, found_by=DuplicateSource.IMPORT)


@task()
def scan_duplicates_task() -> dict[str, int]:
    """The periodic scan as a background task (queue it from cron, or run `peyvand scan_duplicates`)."""
    return scan_duplicates()


# --- reads for the review queue -------------------------------------------------------------------------


def open_duplicates_visible_to(user: User) -> QuerySet[DuplicateCandidate]:
    """Open pairs whose two customers are both live and both visible to `user` (only those can be merged)."""
    visible = customers_visible_to(user).values("pk")
    return DuplicateCandidate.objects.filter(
        status=DuplicateStatus.OPEN, first_id__in=visible, second_id__in=visible
    ).select_related("first", "second")
