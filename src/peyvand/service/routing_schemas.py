"""API shapes of routing rules and of trying a ticket against them; unknown fields are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import Strict
from peyvand.sales.schemas import Id

PolicyName = Literal["queue", "round_robin", "least_loaded", "account_manager"]
PriorityName = Literal["", "low", "normal", "high", "urgent"]

_CONDITIONS = (
    "Keys ANDed, each a list ORed: kind, category (ids; sub-categories match too), channel, priority, "
    "customer_stage, customer_tier, keywords (found in the subject or description after Persian normalisation). "
    "Empty: every ticket."
)


class RoutingRuleCreate(Strict):
    name: str = Field(..., max_length=120)
    team_id: Id = Field(..., description="the team the matching tickets go to")
    policy: PolicyName = Field("queue", description="how the team's member is chosen")
    set_priority: PriorityName = Field("", description="the priority the ticket is given; empty: left as it is")
    conditions: dict[str, Any] = Field(
        default_factory=dict,
        description=_CONDITIONS,
        examples=[{"customer_tier": ["gold"], "keywords": ["قطعی"]}],
    )
    is_active: bool = True
    position: int | None = Field(None, ge=0, le=2**31 - 1, description="default: after the last rule")


class RoutingRulePatch(Strict):
    name: str | None = Field(None, max_length=120)
    team_id: Id | None = None
    policy: PolicyName | None = None
    set_priority: PriorityName | None = None
    conditions: dict[str, Any] | None = Field(None, description=_CONDITIONS)
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, le=2**31 - 1)


class RoutingRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    conditions: dict[str, Any]
    team_id: int
    team_name: str = Field(..., validation_alias="team.name")
    policy: str
    set_priority: str
    created_at: datetime
    updated_at: datetime


class RoutingReorderIn(Strict):
    ids: list[Id] = Field(..., max_length=10000, description="every rule's id once, in the new order")


class RoutingTryIn(Strict):
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    kind: Literal["request", "complaint", "question", "suggestion"] | None = None
    category_id: Id | None = None
    channel: Literal["staff", "phone", "email", "sms", "chat", "portal", "form", "bot", "api"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    customer_id: Id | None = None


class RuleTrialOut(Schema):
    id: int
    name: str
    position: int
    matched: bool
    checks: dict[str, bool] = Field(..., description="each condition of the rule and whether the ticket meets it")


class RoutingTryOut(Schema):
    reason: Literal["rule", "category", "channel", "default_queue", "none"]
    rule_id: int | None
    rule_name: str | None
    team_id: int | None
    team_name: str | None
    policy: str
    set_priority: str
    rules: list[RuleTrialOut]
