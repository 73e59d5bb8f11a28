"""Routing pages: the rules in order (moved up and down), the rule editor, and trying a ticket against the rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.core.http import current_user
from peyvand.service import routing_services as services
from peyvand.service.models import AssignmentPolicy, RoutingRule, TicketPriority
from peyvand.service.ordering import position_move
from peyvand.service.routing_forms import RoutingRuleForm, RoutingTryForm
from peyvand.service.routing_selectors import category_names, describe_conditions, routing_rule_rows


@login_required
@require_http_methods(["GET"])
def routing_rules(request: HttpRequest) -> HttpResponse:
    """The rules in the order they are tried; below them, a sample ticket tried against them (?try=1)."""
    user = current_user(request)
    services.require_routing_reader(user)
    context: dict[str, Any] = {
        "rows": routing_rule_rows(),
        "can_edit": user.is_admin_role,
        "try_form": RoutingTryForm(),
        "trial": None,
    }
    if request.GET.get("try"):
        form = RoutingTryForm(request.GET)
        context["try_form"] = form
        if form.is_valid():
            try:
                context["trial"] = _trial_context(services.routing_try(by=user, data=form.service_data()))
            except ValidationError as exc:
                form.add_service_errors(exc)
    return render(request, "service/routing_rules.html", context)


def _trial_context(trial: services.RoutingTrial) -> dict[str, Any]:
    names = category_names(pk for item in trial.rules for pk in (item.rule.conditions or {}).get("category", []))
    return {
        "trial": trial,
        "policy_label": dict(AssignmentPolicy.choices).get(trial.policy, ""),
        "priority_label": dict(TicketPriority.choices).get(trial.set_priority, ""),
        "rules": [
            {
                "rule": item.rule,
                "matched": item.matched,
                "winner": trial.rule is not None and item.rule.pk == trial.rule.pk,
                "checks": [
                    (text, item.checks.get(text.key, False))
                    for text in describe_conditions(item.rule.conditions or {}, names)
                ],
            }
            for item in trial.rules
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    services.require_routing_admin(user)
    form = RoutingRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                rule = services.routing_rule_create(by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The rule “%(name)s” was saved.") % {"name": rule.name})
                return redirect("service:routing_rules")
    return render(request, "service/routing_rule_form.html", {"form": form, "rule": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_routing_admin(user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    form = RoutingRuleForm(request.POST or None, rule=rule)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                rule = services.routing_rule_update(rule=rule, by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The rule “%(name)s” was saved.") % {"name": rule.name})
                return redirect("service:routing_rules")
    return render(request, "service/routing_rule_form.html", {"form": form, "rule": rule}, status=status)


@login_required
@require_POST
def routing_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    services.require_routing_admin(user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.routing_rule_delete(rule=rule, by=user)
    messages.success(request, _("The rule “%(name)s” was removed.") % {"name": rule.name})
    return redirect("service:routing_rules")


@login_required
@require_POST
def routing_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    """One place up or down (the page's arrows); the API takes a whole new order."""
    user = current_user(request)
    services.require_routing_admin(user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    ids = list(RoutingRule.objects.order_by("position", "id").values_list("pk", flat=True))
    moved = position_move(ids=ids, pk=rule.pk, up=request.POST.get("direction") == "up")
    if moved is not None:
        services.routing_rules_reorder(by=user, ids=moved)
    return redirect("service:routing_rules")


@login_required
@require_POST
def routing_rules_order(request: HttpRequest) -> HttpResponse:
    """A whole new order from dragging the rows (the ids, comma-separated, in the new order)."""
    user = current_user(request)
    services.require_routing_admin(user)
    text = request.POST.get("ids", "")
    ids = [int(part) for part in text.split(",") if part.strip().isdigit() and len(part.strip()) < 19]
    try:
        services.routing_rules_reorder(by=user, ids=ids)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("service:routing_rules")
    messages.success(request, _("The new order was saved."))
    return redirect("service:routing_rules")
