"""The periodic scan: every suspected pair among all live customers, found set-wise, and stale open pairs closed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, QuerySet
from rapidfuzz import fuzz, process

from peyvand.customers.duplicates.matching import (
    CERTAIN_SCORE,
    CHUNK,
    NAME_THRESHOLD,
    PREFIX_LETTERS,
    _Found,
    _live,
    close_stale_pairs,
    name_key,
    save_pairs,
)
from peyvand.customers.models import (
    CustomerAddress,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateKind,
    DuplicateSource,
    DuplicateStatus,
)

# A phone, e-mail or national code shared by more customers than this is a switchboard or a placeholder
# («info@», «0000000000»), not a duplicate: its group is left out of the scan rather than making n² pairs.
MAX_GROUP = 50
# A scan block (city, kind, first letters) larger than this is split on one more letter.
MAX_BLOCK = 3000


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
    """Find every suspected pair among live customers, store the new ones and remove the open ones that no
    longer hold; returns the figures (certain, probable, created, updated, closed).

    Certain matches come from GROUP BY … HAVING on the indexed identifier columns; probable ones from
    comparing names (rapidfuzz) only within blocks of the same city or organisation, kind and first
    letters, read in one ordered pass.
    """
    pairs: dict[tuple[int, int], _Found] = {}
    _certain_pairs(pairs)
    _probable_pairs(pairs)
    counts = save_pairs(pairs, found_by=found_by)
    certain = sum(1 for f in pairs.values() if f.kind == DuplicateKind.CERTAIN)
    return {"certain": certain, "probable": len(pairs) - certain, **counts, "closed": _close_unfound(pairs)}


def _close_unfound(pairs: dict[tuple[int, int], _Found]) -> int:
    """Re-check the open pairs this scan did not find (read after the scan, so pairs saved meanwhile are seen)
    and remove the stale ones; returns how many went."""
    unfound = (
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
        .order_by("pk")
        .values_list("pk", "first_id", "second_id")
    )
    rows = [(pk, a, b) for pk, a, b in unfound.iterator(chunk_size=5000) if (a, b) not in pairs]
    return close_stale_pairs(rows)
