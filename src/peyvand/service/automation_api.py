"""The HTTP API of the service desk: automation (registered in core/api.py): the rules (administrators change
them, managers read them) and the log of their runs."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from peyvand.core.http import AuthedRequest
from peyvand.service import automation_rules as services
from peyvand.service import automation_selectors as selectors
from peyvand.service.automation_schemas import (
    AutomationReorderIn,
    AutomationRuleCreate,
    AutomationRuleOut,
    AutomationRulePatch,
    AutomationRunFilters,
    AutomationRunPage,
    RuleRunFilters,
)
from peyvand.service.models import AutomationRule

automation_rules_router = Router(tags=["service"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ADMINS_ONLY = {"responses": {403: {"description": "Only administrators change automation (`forbidden`).", **_ERROR}}}
_READERS = {"responses": {403: {"description": "Only managers and administrators (`forbidden`).", **_ERROR}}}


@automation_rules_router.get(
    "", response=list[AutomationRuleOut], summary="The automation rules, in the order they run", openapi_extra=_READERS
)
def automation_rule_list(request: AuthedRequest) -> Any:
    services.require_automation_reader(request.auth)
    return list(selectors.automation_rule_list())


@automation_rules_router.post(
    "", response={201: AutomationRuleOut}, summary="Add an automation rule (admins)", openapi_extra=_ADMINS_ONLY
)
def automation_rule_create(request: AuthedRequest, payload: AutomationRuleCreate) -> Any:
    rule = services.automation_rule_create(by=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, rule)


@automation_rules_router.post(
    "/reorder",
    response=list[AutomationRuleOut],
    summary="Put the rules in a new order (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def automation_rules_reorder(request: AuthedRequest, payload: AutomationReorderIn) -> Any:
    return services.automation_rules_reorder(by=request.auth, ids=payload.ids)


@automation_rules_router.get(
    "/runs",
    response=AutomationRunPage,
    summary="The log of rule runs, newest first (managers: runs on the tickets they see)",
    openapi_extra=_READERS,
)
def automation_run_list(request: AuthedRequest, filters: Query[AutomationRunFilters]) -> Any:
    services.require_automation_reader(request.auth)
    page = selectors.automation_run_list(user=request.auth, **filters.model_dump())
    return {"items": page.items, "next_cursor": page.next_cursor}


@automation_rules_router.get("/{int:rule_id}", response=AutomationRuleOut, openapi_extra=_READERS)
def automation_rule_get(request: AuthedRequest, rule_id: int) -> Any:
    services.require_automation_reader(request.auth)
    return AutomationRule.objects.get(pk=rule_id)


@automation_rules_router.patch(
    "/{int:rule_id}",
    response=AutomationRuleOut,
    summary="Change an automation rule (admins)",
    openapi_extra=_ADMINS_ONLY,
)
def automation_rule_update(request: AuthedRequest, rule_id: int, payload: AutomationRulePatch) -> Any:
    services.require_automation_admin(request.auth)
    rule = AutomationRule.objects.get(pk=rule_id)
    return services.automation_rule_update(rule=rule, by=request.auth, data=payload.model_dump(exclude_unset=True))


@automation_rules_router.delete(
    "/{int:rule_id}", response={204: None}, summary="Remove an automation rule (admins)", openapi_extra=_ADMINS_ONLY
)
def automation_rule_delete(request: AuthedRequest, rule_id: int) -> Any:
    services.require_automation_admin(request.auth)
    services.automation_rule_delete(rule=AutomationRule.objects.get(pk=rule_id), by=request.auth)
    return Status(204, None)


@automation_rules_router.get(
    "/{int:rule_id}/runs",
    response=AutomationRunPage,
    summary="The runs of one rule, newest first (managers: runs on the tickets they see)",
    openapi_extra=_READERS,
)
def automation_rule_runs(request: AuthedRequest, rule_id: int, filters: Query[RuleRunFilters]) -> Any:
    services.require_automation_reader(request.auth)
    rule = AutomationRule.objects.get(pk=rule_id)
    page = selectors.automation_run_list(user=request.auth, rule_id=rule.pk, **filters.model_dump())
    return {"items": page.items, "next_cursor": page.next_cursor}
