"""Finding customers by what people type or what rings: caller-ID by phone, and the search text parsed into
ranked, index-friendly phases (identifiers first, then names)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from peyvand.accounts.models import User
from peyvand.core.national_id import normalize_national_code
from peyvand.core.phone import iranian_mobile_e164, try_normalize_phone
from peyvand.core.text import normalize_digits, search_key, sort_key_of_search_key
from peyvand.customers.models import Customer, CustomerEmail, CustomerPhone
from peyvand.customers.search_index import FTS_TABLE
from peyvand.customers.selectors.scope import scope_branches

# A name fragment matching at least this many customers is searched by walking the name index.
COMMON_MATCHES = 2000
# A phone prefix needs this many digits after the country code (0912123 → 912123); fewer would match a
# good part of all customers.
MIN_PHONE_DIGITS = 6
_PHONEISH = re.compile(r"^[+()\d\s\-]{4,}$")
_EMAIL_START = re.compile(r"[a-z0-9][a-z0-9._%+\-]{2,}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CallerMatch:
    """What the call-centre pop-up shows the moment a number rings: who it is and whose customer."""

    id: int
    kind: str
    display_name: str
    lifecycle_stage: str
    organization_id: int | None
    job_title: str
    owner_id: int | None
    team_id: int
    preferred_channel: str


_CALLER_COLUMNS = ", ".join(f"c.{name}" for name in CallerMatch.__dataclass_fields__)


def customer_lookup_by_phone(*, user: User, phone: str, limit: int = 20) -> list[CallerMatch]:
    """Caller-ID: the visible customers owning `phone`, written in any form; none if it is not a number.

    The pop-up runs this on every ring, so it is one hand-written statement (the same indexed join as the
    bench's floor, with the caller's scope) read straight into small rows: the full record of each match
    is one `customer_get` away, and building model objects here cost three times the statement itself.
    """
    number = iranian_mobile_e164(phone) or try_normalize_phone(phone)
    branches = scope_branches(user)
    if number is None or not branches:
        return []
    scope: list[str] = []
    params: list[str | int] = [number]
    for branch in branches:
        if not branch:  # an administrator: no condition
            scope, params = [], [number]
            break
        scope.append("(" + " AND ".join(f"c.{field} = %s" for field in branch) + ")")
        params += list(branch.values())
    where = f" AND ({' OR '.join(scope)})" if scope else ""
    # Column names come from CallerMatch and scope_branches and the limit is an int; every value travels
    # as a parameter.
    sql = (
        f"SELECT {_CALLER_COLUMNS} FROM customers_customerphone p "  # noqa: S608
        "JOIN customers_customer c ON c.id = p.customer_id "
        f"WHERE p.number = %s AND c.deleted_at IS NULL{where} ORDER BY c.id LIMIT {int(limit)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [CallerMatch(*row) for row in cursor.fetchall()]


def _fts_match(words: list[str]) -> str:
    """An FTS5 query requiring every word, each quoted as a phrase."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def _fts_ids(words: list[str]) -> RawSQL:
    """Rowids whose search key holds every word (SQLite's FTS5 trigram index; words of 3+ letters)."""
    match = _fts_match(words)
    # The table name is a constant and the words travel as a parameter.
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE search_key MATCH %s", [match])  # noqa: S608, S611


def _is_common(words: list[str]) -> bool:
    """Whether the words match so many customers (COMMON_MATCHES or more) that walking the name index in
    order, testing each name, finds a page sooner than collecting and sorting every match (SQLite)."""
    match = _fts_match(words)
    sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE search_key MATCH %s LIMIT %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, COMMON_MATCHES])
        return bool(cursor.fetchone()[0] >= COMMON_MATCHES)


def _name_match(words: list[str]) -> Q:
    """Every word must occur in the search key, answered from each database's trigram index; on SQLite,
    very common words are tested while walking the name index instead (see _is_common)."""
    condition = Q()
    long_words = [w for w in words if len(w) >= 3]
    short = [w for w in words if len(w) < 3]
    if long_words and connection.vendor == "sqlite":
        ids = _fts_ids(long_words)
        if _is_common(long_words):
            # "+id IN (...)": SQLite may not drive the query by the match list, so it walks the name index.
            condition &= Q(
                RawSQL(  # noqa: S611 - built from _fts_ids, parameters kept separate
                    f'+"customers_customer"."id" IN ({ids.sql})', ids.params, output_field=BooleanField()
                )
            )
        else:
            condition &= Q(pk__in=ids)
    else:
        # LIKE '%w%' served by the pg_trgm GIN index. Hiding common words from that index so that the
        # name index is walked instead was measured slower at 1M (PostgreSQL then chose a sequential scan).
        for w in long_words:
            condition &= Q(search_key__contains=w)
    if short and not long_words:
        # Too short for trigrams: the name must start with it (a range on the name index).
        condition &= prefix_q("sort_key", sort_key_of_search_key(short[0]))
        short = short[1:]
    for w in short:
        condition &= Q(search_key__contains=w)
    return condition


@dataclass(frozen=True)
class SearchQuery:
    text: str
    phone_prefix: str | None
    email: str | None
    national_id: str | None
    words: list[str]
    # A Latin word without "@" («behrouz.e») may be the start of an e-mail address as well as a name.
    email_start: str | None = None

    @property
    def is_identifier(self) -> bool:
        """Only identifiers are searched: a phone number, a whole e-mail address or a national code."""
        return bool(self.phone_prefix or self.email or self.national_id)


def parse_search(text: str) -> SearchQuery:
    text = (text or "").strip()
    ascii_text = normalize_digits(text)
    phone_prefix = None
    if _PHONEISH.match(ascii_text):
        digits = re.sub(r"\D", "", ascii_text)
        full = try_normalize_phone(ascii_text)
        if full:
            phone_prefix = full
        else:
            if digits.startswith("0098"):
                candidate = "+98" + digits[4:]
            elif digits.startswith("98") and ascii_text.lstrip().startswith("+"):
                candidate = "+" + digits
            elif digits.startswith("0"):
                candidate = "+98" + digits[1:]
            elif digits.startswith("9"):
                candidate = "+98" + digits
            else:
                candidate = ""
            if len(candidate) >= len("+98") + MIN_PHONE_DIGITS:
                phone_prefix = candidate
    email = ascii_text.lower() if "@" in ascii_text else None
    national_id = None
    bare = re.sub(r"[\s\-]", "", ascii_text)
    if bare.isdigit() and 8 <= len(bare) <= 11:
        national_id = normalize_national_code(bare) if len(bare) <= 10 else bare
    words = [k for k in (search_key(w) for w in re.split(r"[\s\u200c]+", text)) if k]
    email_start = ascii_text.lower() if _EMAIL_START.fullmatch(ascii_text) and not ascii_text.isdigit() else None
    return SearchQuery(text, phone_prefix, email, national_id, words, email_start)


def identifier_phases(query: SearchQuery) -> list[Q]:
    """Rank 0: the number, e-mail or national code exactly; rank 1: numbers and e-mails starting with it.
    Each kind is its own indexed subquery, joined with UNION so no OR forces a table scan."""
    exact: list[QuerySet[Any]] = []
    starts: list[QuerySet[Any]] = []
    if query.phone_prefix:
        exact.append(CustomerPhone.objects.filter(number=query.phone_prefix).values("customer_id"))
        if len(query.phone_prefix) < 13:
            starts.append(CustomerPhone.objects.filter(prefix_q("number", query.phone_prefix)).values("customer_id"))
    if query.email:
        exact.append(CustomerEmail.objects.filter(email=query.email).values("customer_id"))
    if query.email or query.email_start:
        start = query.email or query.email_start or ""
        starts.append(CustomerEmail.objects.filter(prefix_q("email", start)).values("customer_id"))
    if query.national_id:
        exact.append(Customer.objects.filter(national_id=query.national_id).values("id"))

    def union(parts: list[QuerySet[Any]]) -> Q:
        parts = [part.order_by() for part in parts]  # a compound statement takes no ORDER BY in its parts
        return Q(pk__in=parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else Q(pk__in=parts[0])

    phases = [union(exact)] if exact else []
    if starts:
        phases.append(union(starts) & ~phases[0] if phases else union(starts))
    return phases


def name_phases(query: SearchQuery) -> list[Q]:
    """Rank 1: the name is exactly the query; 2: it starts with it; 3: it holds every word somewhere."""
    key = sort_key_of_search_key("".join(query.words))
    starts = prefix_q("sort_key", key)
    return [Q(sort_key=key), starts & ~Q(sort_key=key), _name_match(query.words) & ~starts]


def prefix_q(field: str, value: str) -> Q:
    """`field` starts with `value`, in the form each database answers from an index: LIKE 'v%' on
    PostgreSQL (sort_key is C-collated, the others have text_pattern_ops indexes), a range on SQLite
    (whose LIKE is case-insensitive and so skips the B-tree index)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": value})
    return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\uffff"})
