"""The one condition language of routing rules, SLA policies and automation rules: checking a condition an
administrator saves, and matching it against a ticket, fast enough to route thousands of tickets a second.

A condition is a JSON object whose keys are ANDed and whose values are lists ORed:
`{"kind": ["complaint"], "category": [3], "customer_tier": ["gold"], "keywords": ["قطعی", "خرابی"]}` matches
a complaint in category 3 (or any of its sub-categories) from a gold customer whose subject or text contains
«قطعی» or «خرابی». An empty object matches every ticket. Keywords are compared after the same Persian
normalisation as every search (core.text.search_key): «ي»/«ی», «ك»/«ک», digits, half-spaces and case do not matter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.core.text import search_key
from peyvand.customers.models import LifecycleStage, Tier

__all__ = [
    "ALL_KEYS",
    "TicketFacts",
    "compile_conditions",
    "conditions_clean",
    "conditions_match",
]

MAX_VALUES = 200  # per key: a rule is read by people; more than this is a mistake (or a list that wants a team)
MAX_KEYWORD_LENGTH = 100


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
            wrong = [str(item) for item in items if item not in choices[key]]
            if wrong:
                errors.append(
                    _("Condition “%(key)s” has values that do not exist: %(values)s.")
                    % {"key": key, "values": ", ".join(wrong)}
                )
                continue
            cleaned[key] = sorted(set(items))
        elif key in ID_KEYS:
            ids = set()
            for item in items:
                if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
                    errors.append(_("Condition “%(key)s” must list ids (whole numbers).") % {"key": key})
                    break
                ids.add(int(item))
            else:
                missing = ids - _existing_ids(key, ids)
                if missing:
                    errors.append(
                        _("Condition “%(key)s” names ids that do not exist: %(values)s.")
                        % {"key": key, "values": ", ".join(str(pk) for pk in sorted(missing))}
                    )
                    continue
                cleaned[key] = sorted(ids)
        else:  # keywords
            words = []
            for item in items:
                if not isinstance(item, str) or not item.strip():
                    errors.append(_("Keywords must be non-empty texts."))
                    break
                if len(item) > MAX_KEYWORD_LENGTH:
                    errors.append(_("A keyword is at most %(max)d characters long.") % {"max": MAX_KEYWORD_LENGTH})
                    break
                words.append(search_key(item))
            else:
                cleaned[key] = sorted(set(word for word in words if word))
    if errors:
        raise ValidationError({"conditions": errors})
    return cleaned


def _existing_ids(key: str, ids: set[int]) -> set[int]:
    from peyvand.accounts.models import Team
    from peyvand.service.models import TicketCategory

    model = TicketCategory if key == "category" else Team
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
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
    text: str  # search_key of the subject and the description

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
            text=search_key(f"{ticket.subject} {ticket.description}"),
        )


def compile_conditions(
    conditions: Mapping[str, list[Any]], *, category_paths: Mapping[int, str] | None = None
) -> Callable[[TicketFacts], bool]:
    """A function telling whether a ticket's facts match `conditions` (already cleaned). `category_paths`: id →
    path of the categories the conditions name (read from the database when not given; a category deleted
    since matches nothing)."""
    checks: list[Callable[[TicketFacts], bool]] = []
    for key in CHOICE_KEYS:
        if key in conditions:
            checks.append(_one_of(key, frozenset(conditions[key])))
    if "team" in conditions:
        teams = frozenset(conditions["team"])
        checks.append(lambda facts: facts.team_id in teams)
    if "category" in conditions:
        if category_paths is None:
            from peyvand.service.models import TicketCategory

            category_paths = dict(
                TicketCategory.objects.filter(pk__in=conditions["category"]).values_list("pk", "path")
            )
        prefixes = tuple(category_paths[pk] for pk in conditions["category"] if category_paths.get(pk))
        checks.append(lambda facts: bool(facts.category_path) and facts.category_path.startswith(prefixes))
    if "keywords" in conditions:
        words = tuple(conditions["keywords"])
        checks.append(lambda facts: any(word in facts.text for word in words))
    return lambda facts: all(check(facts) for check in checks)


def _one_of(key: str, wanted: frozenset[str]) -> Callable[[TicketFacts], bool]:
    return lambda facts: getattr(facts, key) in wanted


def conditions_match(conditions: Mapping[str, list[Any]], ticket: Any) -> bool:
    """Whether one ticket matches (for a single check; to test many tickets against many rules, compile once)."""
    return compile_conditions(conditions)(TicketFacts.of(ticket))
