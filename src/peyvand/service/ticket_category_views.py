"""Ticket category pages: the tree (managers read it) and adding or changing a category (administrators)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.accounts.models import User
from peyvand.core.http import current_user, query_int
from peyvand.service import ticket_selectors as selectors
from peyvand.service.models import TicketCategory
from peyvand.service.services import tickets as services
from peyvand.service.ticket_forms import CategoryForm


def _may_read_categories(user: User) -> None:
    if not (user.is_admin_role or user.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators see the category settings."))


def _require_admin(user: User) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the ticket categories."))


@login_required
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _may_read_categories(user)
    return render(
        request,
        "service/ticket_categories.html",
        {"categories": selectors.category_tree(), "can_edit": user.is_admin_role},
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = current_user(request)
    _require_admin(user)
    category = None
    if pk is not None:
        category = TicketCategory.objects.filter(pk=pk).first()
        if category is None:
            raise Http404(_("No such category."))
    status = 200
    if request.method == "POST":
        form = CategoryForm(request.POST, category=category)
        if form.is_valid():
            try:
                if category is None:
                    services.category_create(by=user, data=form.service_data())
                else:
                    services.category_update(category=category, by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The category was saved."))
                return redirect("service:ticket_categories")
        status = 422
    else:
        initial: dict[str, Any] = {"parent": query_int(request.GET, "parent") or "", "is_active": True}
        if category is not None:
            initial = {
                "name": category.name,
                "name_en": category.name_en,
                "parent": category.parent_id or "",
                "position": category.position,
                "is_active": category.is_active,
                "description": category.description,
                "default_team": category.default_team_id or "",
                "default_priority": category.default_priority,
                "template": json.dumps(category.fields, ensure_ascii=False, indent=2) if category.fields else "",
            }
        form = CategoryForm(initial=initial, category=category)
    return render(request, "service/ticket_category_form.html", {"form": form, "category": category}, status=status)
