"""The one condition language of routing rules, SLA policies and automation rules: checking a condition an
administrator saves, and matching it against a ticket, fast enough to route thousands of tickets a second.

A condition is a JSON object whose keys are ANDed and whose values are lists ORed:
`{"kind": ["complaint"], "category": [3], "customer_tier": ["gold"], "keywords": ["قطعی", "خرابی"]}` matches
a complaint in category 3 (or any of its sub-categories) from a gold customer whose subject or text contains
«قطعی» or «خرابی». An empty object matches every ticket. Keywords are compared after the same Persian
normalisation as every search (core.text.search_key): «ي»/«ی», «ك»/«ک», digits, half-spaces and case do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.core import text as text_module
from peyvand.core.text import normalize_digits, search_key
from peyvand.customers.models import LifecycleStage, Tier

__all__ = [
    "ALL_KEYS",
    "TicketFacts",
    "compile_conditions",
    "conditions_clean",
    "conditions_explain",
    "conditions_match",
    "text_key",
    "ticket_text",
]

MAX_VALUES = 200  # per key: a rule is read by people; more than this is a mistake (or a list that wants a team)
MAX_KEYWORD_LENGTH = 100
MAX_ID = 2**63 - 1  # the largest id the databases' 64-bit keys hold
_ID = re.compile(r"[0-9]+")


def _choices() -> dict[str, set[str]]:
    from peyvand.service.models import TicketChannel, TicketKind, TicketPriority, TicketStatus

    return {
        "kind": set(TicketKind.values),
        "channel": set(TicketChannel.values),
        "priority": set(TicketPriority.values),
        "status": set(TicketStatus.values),
        "customer_stage": set(LifecycleStage.values),
        "customer_tier": set(Tier.values),
    }


# Every key a condition may have; each user of conditions allows a subset (routing has no "status": a new
# ticket's status is always new).
CHOICE_KEYS = ("kind", "channel", "priority", "status", "customer_stage", "customer_tier")
ID_KEYS = ("category", "team")
ALL_KEYS = (*CHOICE_KEYS, *ID_KEYS, "keywords")


def conditions_clean(value: Any, *, allowed: Collection[str] = ALL_KEYS) -> dict[str, list[Any]]:
    """`value` checked and put in its one form (lists without repeats, keywords normalised, ids as ints), or a
    ValidationError on "conditions" naming every fault. Category and team ids must exist."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError({"conditions": [_("Conditions must be an object of lists.")]})
    errors: list[str] = []
    cleaned: dict[str, list[Any]] = {}
    choices = _choices()
    for key, raw in value.items():
        if key not in allowed:
            errors.append(_("Unknown condition “%(key)s”.") % {"key": key})
            continue
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            continue  # an empty list says nothing: left out rather than matching nothing
        if len(items) > MAX_VALUES:
            errors.append(_("Condition “%(key)s” has more than %(max)d values.") % {"key": key, "max": MAX_VALUES})
            continue
        if key in CHOICE_KEYS:
            # Only texts can be choices; anything else (a number, a list, an object) is named, not looked up.
            wrong = [str(item) for item in items if not isinstance(item, str) or item not in choices[key]]
            if wrong:
                errors.append(
                    _("Condition “%(key)s” has values that do not exist: %(values)s.")
                    % {"key": key, "values": ", ".join(wrong)}
                )
                continue
            cleaned[key] = sorted(set(items))
        elif key in ID_KEYS:
            ids = _clean_ids(items)
            if ids is None:
                errors.append(_("Condition “%(key)s” must list ids (whole numbers).") % {"key": key})
                continue
            missing = ids - _existing_ids(key, ids)
            if missing:
                errors.append(
                    _("Condition “%(key)s” names ids that do not exist: %(values)s.")
                    % {"key": key, "values": ", ".join(str(pk) for pk in sorted(missing))}
                )
                continue
            cleaned[key] = sorted(ids)
        else:  # keywords
            words = _clean_keywords(items, errors)
            if words is not None:
                cleaned[key] = words
    if errors:
        raise ValidationError({"conditions": errors})
    return cleaned


def _clean_ids(items: list[Any]) -> set[int] | None:
    """Whole positive numbers (ints, or texts of ASCII, Persian or Arabic digits); None if any is not one."""
    ids = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            return None
        text = normalize_digits(str(item).strip())
        # isdigit() alone would pass «²», which int() refuses; ids also have to fit the database's integers
        if not _ID.fullmatch(text) or not 0 < int(text) <= MAX_ID:
            return None
        ids.add(int(text))
    return ids


def _clean_keywords(items: list[Any], errors: list[str]) -> list[str] | None:
    words = set()
    for item in items:
        if not isinstance(item, str) or not item.strip():
            errors.append(_("Keywords must be non-empty texts."))
            return None
        if len(item) > MAX_KEYWORD_LENGTH:
            errors.append(_("A keyword is at most %(max)d characters long.") % {"max": MAX_KEYWORD_LENGTH})
            return None
        word = search_key(item)
        if not word:
            # Only punctuation: after normalisation nothing is left to look for, and an empty keyword would
            # match every ticket.
            errors.append(_("The keyword “%(word)s” has no letters or digits.") % {"word": item.strip()})
            return None
        words.add(word)
    return sorted(words)


def _existing_ids(key: str, ids: set[int]) -> set[int]:
    from peyvand.accounts.models import Team
    from peyvand.service.models import TicketCategory

    model = TicketCategory if key == "category" else Team
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What conditions look at, read once from a ticket (and its customer and category)."""

    kind: str
    channel: str
    priority: str
    status: str
    category_path: str  # "/1/4/" or ""
    team_id: int | None
    customer_stage: str
    customer_tier: str
    text: str  # text_key of the subject, a "|", text_key of the description

    @classmethod
    def of(cls, ticket: Any) -> TicketFacts:
        customer = ticket.customer if ticket.customer_id else None
        category = ticket.category if ticket.category_id else None
        return cls(
            kind=ticket.kind,
            channel=ticket.channel,
            priority=ticket.priority,
            status=ticket.status,
            category_path=category.path if category else "",
            team_id=ticket.team_id,
            customer_stage=customer.lifecycle_stage if customer else "",
            customer_tier=customer.tier if customer else "",
            text=ticket_text(ticket.subject, ticket.description),
        )


def ticket_text(subject: str, description: str) -> str:
    """The text keywords are looked for in: the subject's key, "|", the description's key. Keyed apart (no
    keyword holds "|"), so a keyword never matches across the end of the subject and the start of the
    description."""
    subject, description = subject or "", description or ""
    if "\x00" in subject or "\x00" in description:
        return f"{text_key(subject)}|{text_key(description)}"
    # Both parts in one pass, split at a NUL (left alone by every step but the last), and checked as one.
    first, _nul, second = _folded(f"{subject}\x00{description}").partition("\x00")
    joined = f"{_NOT_ALNUM.sub('', first)}|{_NOT_ALNUM.sub('', second)}"
    if _STABLE.fullmatch(joined):
        return joined
    return f"{text_key(subject)}|{text_key(description)}"


# search_key's steps folded into one pass. search_key repeats every step until nothing changes, which costs
# ~300 µs for a ticket's text; done once here (C-level regular expressions over the few characters that
# change) it is a fraction of that, and routing thousands of tickets a second needs it. The result is the
# same (checked by the tests): a key made only of characters no step changes is final, and any other is
# passed once more, and given to search_key itself if that changes it.
_KEY_TABLE: dict[int, Any] = {
    **text_module._INVISIBLE,
    **text_module._SEARCH_LETTERS,
    **text_module._DIACRITICS,
    **text_module._TO_ASCII_DIGITS,
    **dict.fromkeys(map(ord, text_module._SPACE_LIKE)),
}
_REPLACEMENTS = {
    chr(code): "" if to is None else to if isinstance(to, str) else chr(to) for code, to in _KEY_TABLE.items()
}
_CHANGED = re.compile("[" + "".join(re.escape(ch) for ch in _REPLACEMENTS) + "]")
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is str.isalnum() plus "_": search_key keeps exactly the isalnum ones
# Lower-case ASCII letters and digits, and the Arabic-script letters Persian is written in, less those folded:
# NFKC, the folding and casefold leave all of them as they are.
_STABLE = re.compile(
    "["
    + "".join(
        re.escape(ch)
        for ch in (
            "abcdefghijklmnopqrstuvwxyz0123456789|"
            + "".join(map(chr, range(0x0621, 0x063B)))
            + "".join(map(chr, range(0x0641, 0x064B)))
            + "پچژکگی"
        )
        if ch not in _REPLACEMENTS
    )
    + "]*"
)


def _folded(value: str) -> str:
    return _CHANGED.sub(_replace, unicodedata.normalize("NFKC", value)).casefold()


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS[match.group()]


def _key_once(value: str) -> str:
    return _NOT_ALNUM.sub("", _folded(value))


def text_key(value: str | None) -> str:
    """core.text.search_key(value), computed faster."""
    if not value:
        return ""
    once = _key_once(value)
    if _STABLE.fullmatch(once) or _key_once(once) == once:
        return once
    return search_key(value)


def compile_conditions(
    conditions: Mapping[str, list[Any]], *, category_paths: Mapping[int, str] | None = None
) -> Callable[[TicketFacts], bool]:
    """A function telling whether a ticket's facts match `conditions` (already cleaned).

    A category matches itself and every sub-category: a ticket's category path ("/1/4/9/") lists the ids of
    the category and all its parents, so the test is whether "/4/" is in it. It needs no paths read from the
    database, and stays right when a category moves (`category_paths` is accepted for older callers and not
    needed). A category deleted since matches nothing.

    The checks are written out as one Python expression over the facts (values passed in as names, never as
    source text), so matching a rule costs a few comparisons and no calls per key."""
    del category_paths
    names: dict[str, Any] = {}
    parts: list[str] = []

    def value(obj: Any) -> str:
        name = f"v{len(names)}"
        names[name] = obj
        return name

    for key in CHOICE_KEYS:
        if key in conditions:
            parts.append(f"f.{key} in {value(frozenset(conditions[key]))}")
    if "team" in conditions:
        parts.append(f"f.team_id in {value(frozenset(conditions['team']))}")
    if "category" in conditions:
        markers = [f"/{int(pk)}/" for pk in conditions["category"]]
        parts.append("(" + " or ".join(f"{value(marker)} in f.category_path" for marker in markers) + ")")
    if "keywords" in conditions:
        words = list(conditions["keywords"])
        parts.append("(" + " or ".join(f"{value(word)} in f.text" for word in words) + ")" if words else "False")
    body = " and ".join(parts) or "True"
    # Safe: the source is built only from this function's own fixed fragments and generated names.
    return eval(f"lambda f: {body}", {"__builtins__": {}, **names})  # type: ignore[no-any-return]  # noqa: S307


def conditions_explain(conditions: Mapping[str, list[Any]], facts: TicketFacts) -> dict[str, bool]:
    """Each key of `conditions` and whether the ticket meets it (the rule tester shows why a rule did or did
    not match)."""
    return {key: compile_conditions({key: values})(facts) for key, values in conditions.items()}


def conditions_match(conditions: Mapping[str, list[Any]], ticket: Any) -> bool:
    """Whether one ticket matches (for a single check; to test many tickets against many rules, compile once)."""
    return compile_conditions(conditions)(TicketFacts.of(ticket))
