"""Reads of routing: the rules in the order they are tried, with their conditions put in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _

from peyvand.customers.models import LifecycleStage, Tier
from peyvand.service.models import (
    AssignmentPolicy,
    RoutingRule,
    TicketCategory,
    TicketChannel,
    TicketKind,
    TicketPriority,
)

_CHOICES: dict[str, type[TextChoices]] = {
    "kind": TicketKind,
    "channel": TicketChannel,
    "priority": TicketPriority,
    "customer_stage": LifecycleStage,
    "customer_tier": Tier,
}


def condition_label(key: str) -> str:
    return {
        "kind": _("Kind"),
        "category": _("Category"),
        "channel": _("Channel"),
        "priority": _("Priority"),
        "customer_stage": _("Customer's stage"),
        "customer_tier": _("Customer's tier"),
        "keywords": _("Keywords"),
        "status": _("Status"),
        "team": _("Team"),
    }.get(key, key)


@dataclass(frozen=True)
class ConditionText:
    key: str
    label: str
    values: list[str]


@dataclass(frozen=True)
class RuleRow:
    rule: RoutingRule
    conditions: list[ConditionText]
    policy_label: str
    priority_label: str


def describe_conditions(conditions: Mapping[str, list[Any]], categories: Mapping[int, str]) -> list[ConditionText]:
    """Each key of a rule's conditions with its values as people read them (labels, category names)."""
    out = []
    for key, values in conditions.items():
        if key in _CHOICES:
            labels = dict(_CHOICES[key].choices)
            texts = [str(labels.get(value, value)) for value in values]
        elif key == "category":
            texts = [categories.get(pk, _("(deleted category %(id)s)") % {"id": pk}) for pk in values]
        else:
            texts = [str(value) for value in values]
        out.append(ConditionText(key=key, label=condition_label(key), values=texts))
    return out


def category_names(ids: Iterable[int]) -> dict[int, str]:
    return {category.pk: category.label for category in TicketCategory.objects.filter(pk__in=set(ids))}


def routing_rule_rows() -> list[RuleRow]:
    """Every rule, active or not, in the order they are tried."""
    rules = list(RoutingRule.objects.select_related("team").order_by("position", "id"))
    names = category_names(pk for rule in rules for pk in (rule.conditions or {}).get("category", []))
    policies = dict(AssignmentPolicy.choices)
    priorities = dict(TicketPriority.choices)
    return [
        RuleRow(
            rule=rule,
            conditions=describe_conditions(rule.conditions or {}, names),
            policy_label=str(policies.get(rule.policy, rule.policy)),
            priority_label=str(priorities.get(rule.set_priority, "")) if rule.set_priority else "",
        )
        for rule in rules
    ]
