"""Automation pages: the rules in the order they run, the rule editor, the log of runs, and a preview of the
messages customers get. Administrators change rules; managers read them and the runs on their tickets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.http import current_user, list_page, query_int
from peyvand.service import automation_rules as services
from peyvand.service import automation_selectors as selectors
from peyvand.service.automation_forms import (
    ACTION_TYPE_LABELS,
    CONDITION_LABELS,
    ActionRows,
    RuleForm,
    action_labels,
    template_label,
)
from peyvand.service.models import AutomationEvent, AutomationRule, AutomationRunStatus, Ticket, TicketStatus
from peyvand.service.notify import TEMPLATES, render_notification
from peyvand.service.ordering import position_move
from peyvand.service.selectors import tickets_visible_to


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    services.require_automation_reader(user)
    return user


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    services.require_automation_admin(user)
    return user


def _summary(rule: AutomationRule) -> dict[str, Any]:
    return {
        "rule": rule,
        "conditions": [CONDITION_LABELS.get(key, key) for key in rule.conditions or {}],
        "actions": [ACTION_TYPE_LABELS.get(a.get("type"), a.get("type")) for a in rule.actions or []],
    }


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    rules = [_summary(rule) for rule in selectors.automation_rule_list()]
    return render(request, "service/automation_rules.html", {"rules": rules, "can_edit": user.is_admin_role})


def _editor(
    request: HttpRequest, form: RuleForm, rows: ActionRows, rule: AutomationRule | None, *, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "rows": rows,
        "rule": rule,
        "labels": action_labels(),
        "next_index": len(rows.rows),
        "no_reply": AutomationEvent.NO_REPLY,
    }
    return render(request, "service/automation_rule_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(AutomationRule, pk=pk))


def _edit(request: HttpRequest, rule: AutomationRule | None) -> HttpResponse:
    user = _admin(request)
    if request.method != "POST":
        return _editor(request, RuleForm(rule=rule), ActionRows.from_rule(rule), rule)
    form = RuleForm(request.POST, rule=rule)
    rows = ActionRows.from_post(request.POST)
    if form.is_valid():
        data = {**form.service_data(), "actions": rows.actions()}
        try:
            if rule is None:
                saved = services.automation_rule_create(by=user, data=data)
            else:
                saved = services.automation_rule_update(rule=rule, by=user, data=data)
        except ValidationError as exc:
            form.add_service_errors(exc, rows)
        else:
            messages.success(request, _("The rule “%(name)s” was saved.") % {"name": saved.name})
            return redirect("service:automation_rules")
    return _editor(request, form, rows, rule, status=422)


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    rule = get_object_or_404(AutomationRule, pk=pk)
    services.automation_rule_delete(rule=rule, by=user)
    messages.success(request, _("The rule “%(name)s” was removed; its runs stay in the log.") % {"name": rule.name})
    return redirect("service:automation_rules")


@login_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a rule one place up or down (it runs earlier or later)."""
    user = _admin(request)
    ids = list(selectors.automation_rule_list().values_list("pk", flat=True))
    if pk not in ids:
        raise Http404
    moved = position_move(ids=ids, pk=pk, up=request.POST.get("direction") == "up")
    if moved is not None:
        services.automation_rules_reorder(by=user, ids=moved)
    return redirect("service:automation_rules")


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    rule_id = query_int(request.GET, "rule")
    status = request.GET.get("status", "")
    status = status if status in AutomationRunStatus.values else ""
    ticket_id = query_int(request.GET, "ticket")
    ticket = None
    if ticket_id is not None:
        # Another team's ticket does not exist for the reader, here as everywhere.
        ticket = get_object_or_404(tickets_visible_to(user), pk=ticket_id)
    listing = list_page(
        request,
        lambda cursor: selectors.automation_run_list(
            user=user,
            rule_id=rule_id,
            status=status or None,
            ticket_id=ticket_id,
            cursor=cursor,
            limit=settings.PEYVAND_PAGE_SIZE,
        ),
    )
    context = {
        **listing.context(),
        "rules": selectors.automation_rule_list(),
        "rule_id": rule_id,
        "status": status,
        "statuses": AutomationRunStatus.choices,
        "ticket": ticket,
        "filtered": bool(rule_id or status or ticket),
    }
    return render(request, "service/automation_runs.html", context)


@login_required
@require_GET
def notification_preview(request: HttpRequest) -> HttpResponse:
    """Every customer message as it reads in Persian and English, for a sample ticket or a real one."""
    user = _reader(request)
    ticket_id = query_int(request.GET, "ticket")
    if ticket_id is not None:
        ticket = get_object_or_404(tickets_visible_to(user).select_related("customer", "assignee"), pk=ticket_id)
        name = ticket.customer.display_name if ticket.customer_id and ticket.customer else ticket.contact_name
    else:
        ticket = Ticket(number="T-1405-00042", subject=_("The internet connection keeps dropping"))
        ticket.status = TicketStatus.IN_PROGRESS
        name = _("Sara Ahmadi")
    chosen = request.GET.get("template", "")
    codes = [chosen] if chosen in TEMPLATES else list(TEMPLATES)
    extra = {"reply": _("(the text of the reply)"), "link": "/s/…"}
    previews = [
        {
            "code": code,
            "label": template_label(code),
            "texts": [
                (language, render_notification(ticket=ticket, template=code, language=language, extra=extra, name=name))
                for language in ("fa", "en")
            ],
        }
        for code in codes
    ]
    context = {
        "previews": previews,
        "templates": [(code, template_label(code)) for code in TEMPLATES],
        "chosen": chosen if chosen in TEMPLATES else "",
        "ticket": ticket if ticket_id is not None else None,
    }
    return render(request, "service/notification_preview.html", context)
