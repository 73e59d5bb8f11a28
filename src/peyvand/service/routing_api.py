"""The HTTP API of routing rules: list, add, change, remove, reorder, and try a ticket (registered in core/api.py)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Status

from peyvand.core.http import AuthedRequest
from peyvand.service import routing_services as services
from peyvand.service.models import RoutingRule
from peyvand.service.routing_schemas import (
    RoutingReorderIn,
    RoutingRuleCreate,
    RoutingRuleOut,
    RoutingRulePatch,
    RoutingTryIn,
    RoutingTryOut,
)
from peyvand.service.routing_services import RoutingTrial

routing_rules_router = Router(tags=["service"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators change routing (`forbidden`).", **_ERROR}}}
_READERS = {"responses": {403: {"description": "Only managers and administrators (`forbidden`).", **_ERROR}}}


def _rules() -> Any:
    return RoutingRule.objects.select_related("team").order_by("position", "id")


@routing_rules_router.get(
    "", response=list[RoutingRuleOut], summary="The routing rules, in the order they are tried", openapi_extra=_READERS
)
def routing_rule_list(request: AuthedRequest) -> Any:
    services.require_routing_reader(request.auth)
    return list(_rules())


@routing_rules_router.post(
    "", response={201: RoutingRuleOut}, summary="Add a routing rule (admins)", openapi_extra=_ADMINS_ONLY
)
def routing_rule_create(request: AuthedRequest, payload: RoutingRuleCreate) -> Any:
    rule = services.routing_rule_create(by=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, _rules().get(pk=rule.pk))


@routing_rules_router.get("/{int:rule_id}", response=RoutingRuleOut, openapi_extra=_READERS)
def routing_rule_get(request: AuthedRequest, rule_id: int) -> Any:
    services.require_routing_reader(request.auth)
    return _rules().get(pk=rule_id)


@routing_rules_router.patch(
    "/{int:rule_id}", response=RoutingRuleOut, summary="Change a routing rule (admins)", openapi_extra=_ADMINS_ONLY
)
def routing_rule_update(request: AuthedRequest, rule_id: int, payload: RoutingRulePatch) -> Any:
    services.require_routing_admin(request.auth)
    rule = RoutingRule.objects.get(pk=rule_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "set_priority"}
    services.routing_rule_update(rule=rule, by=request.auth, data=data)
    return _rules().get(pk=rule_id)


@routing_rules_router.delete(
    "/{int:rule_id}", response={204: None}, summary="Remove a routing rule (admins)", openapi_extra=_ADMINS_ONLY
)
def routing_rule_delete(request: AuthedRequest, rule_id: int) -> Any:
    services.require_routing_admin(request.auth)
    services.routing_rule_delete(rule=RoutingRule.objects.get(pk=rule_id), by=request.auth)
    return Status(204, None)


@routing_rules_router.post(
    "/reorder",
    response=list[RoutingRuleOut],
    summary="Put the rules in a new order (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def routing_rules_reorder(request: AuthedRequest, payload: RoutingReorderIn) -> Any:
    services.routing_rules_reorder(by=request.auth, ids=payload.ids)
    return list(_rules())


@routing_rules_router.post(
    "/test",
    response=RoutingTryOut,
    summary="Try a ticket against the rules: which would match, and why",
    openapi_extra=_READERS,
)
def routing_try(request: AuthedRequest, payload: RoutingTryIn) -> Any:
    trial = services.routing_try(by=request.auth, data=payload.model_dump(exclude_none=True))
    return _trial_out(trial)


def _trial_out(trial: RoutingTrial) -> dict[str, Any]:
    return {
        "reason": trial.reason,
        "rule_id": trial.rule.pk if trial.rule else None,
        "rule_name": trial.rule.name if trial.rule else None,
        "team_id": trial.team.pk if trial.team else None,
        "team_name": trial.team.name if trial.team else None,
        "policy": trial.policy,
        "set_priority": trial.set_priority,
        "rules": [
            {
                "id": item.rule.pk,
                "name": item.rule.name,
                "position": item.rule.position,
                "matched": item.matched,
                "checks": item.checks,
            }
            for item in trial.rules
        ],
    }
