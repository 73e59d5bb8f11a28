"""The customer ranking page (revenue, orders, margin per customer) and recomputing it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.accounts.models import Role, User
from peyvand.core.http import current_user, list_page
from peyvand.sales import billing_selectors as selectors
from peyvand.sales.services import customer_value as value_services


def _can_recompute(user: User) -> bool:
    return bool(user.is_admin_role or user.role == Role.MANAGER)


@login_required
@require_GET
def customer_ranking(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    listing = list_page(
        request, lambda cursor: selectors.customer_ranking(user=user, cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE)
    )
    page = listing.page
    rows = [
        {
            "value": row,
            "average": value_services.half_up_division(row.revenue, row.order_count),
            "margin_percent": value_services.margin_percent_of(revenue=row.revenue, margin=row.margin),
        }
        for row in page.items
    ]
    computed_at = max((row.computed_at for row in page.items), default=None)
    context = {
        **listing.context(),
        "rows": rows,
        "computed_at": computed_at,
        "can_recompute": _can_recompute(user),
    }
    return render(request, "sales/customer_ranking.html", context)


@login_required
@require_POST
def customer_ranking_recompute(request: HttpRequest) -> HttpResponse:
    if not _can_recompute(current_user(request)):
        raise PermissionDenied(_("Only a manager or an administrator can recompute the ranking."))
    ranked = value_services.ranking_recompute()
    messages.success(request, _("The ranking was recomputed: %(count)s customers.") % {"count": ranked})
    return redirect("sales:customer_ranking")
