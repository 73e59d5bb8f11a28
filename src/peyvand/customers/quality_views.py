"""Data-quality pages: the duplicate review queue, the side-by-side merge, undo, and the data-health cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.http import current_user
from peyvand.core.jalali import format_date
from peyvand.core.pagination import paginate
from peyvand.customers import duplicates, health, page_queries, selectors, services
from peyvand.customers.models import Customer, CustomerMerge, DuplicateCandidate
from peyvand.customers.services.merge import MERGE_FIELDS, consent_conflicts, may_merge

QUEUE_PAGE = 50
RECENT_MERGES = 20


def _require_manager(user: User) -> None:
    if not may_merge(user):
        raise PermissionDenied(_("Only a manager or an administrator can review duplicates."))


def _candidate_or_404(user: User, pk: int) -> DuplicateCandidate:
    try:
        return duplicates.open_duplicates_visible_to(user).get(pk=pk)
    except DuplicateCandidate.DoesNotExist:
        raise Http404(_("No such suspected duplicate.")) from None


@login_required
@require_GET
def duplicate_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    try:
        page = paginate(
            duplicates.open_duplicates_visible_to(user),
            order=("-score", "-id"),
            cursor=request.GET.get("cursor") or None,
            limit=QUEUE_PAGE,
        )
    except ValidationError:
        raise Http404 from None
    visible = selectors.customers_visible_to(user).values("pk")
    merges = (
        CustomerMerge.objects.filter(undone_at__isnull=True, survivor_id__in=visible)
        .select_related("survivor", "merged", "by")
        .order_by("-id")[:RECENT_MERGES]
    )
    return render(request, "customers/quality/duplicates.html", {"page": page, "merges": merges})


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_manager(user)
    candidate = _candidate_or_404(user, pk)
    try:
        services.duplicate_dismiss(candidate=candidate, by=user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The pair was marked as not a duplicate."))
    return redirect("customers:duplicates")


@dataclass(frozen=True)
class FieldChoice:
    name: str
    label: str
    survivor: str
    merged: str


def _shown(customer: Customer, name: str) -> str:
    value = getattr(customer, name)
    if value in (None, "", {}, []):
        return ""
    if name.endswith("_id"):
        return str(getattr(customer, name.removesuffix("_id")) or "")
    display = getattr(customer, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if name == "birth_date":
        return format_date(value)
    if name == "custom_fields":
        return "؛ ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _differences(survivor: Customer, merged: Customer) -> list[FieldChoice]:
    return [
        FieldChoice(name, page_queries.field_label(name), _shown(survivor, name), _shown(merged, name))
        for name in MERGE_FIELDS
        if getattr(survivor, name) != getattr(merged, name)
    ]


def _undo_message(request: HttpRequest, merge: CustomerMerge) -> str:
    return format_html(
        '{} <form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="btn btn-sm btn-light ms-2">{}</button></form>',
        _("“%(merged)s” was merged into “%(survivor)s”.")
        % {"merged": merge.merged.display_name, "survivor": merge.survivor.display_name},
        reverse("customers:merge_undo", args=[merge.pk]),
        get_token(request),
        _("Undo"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Both records side by side, one choice per differing field (the survivor's value preselected) and per
    consent channel on which they disagree (the latest wish preselected)."""
    user = current_user(request)
    _require_manager(user)
    candidate = _candidate_or_404(user, pk)
    wanted = request.POST.get("survivor") or request.GET.get("survivor") or ""
    survivor, merged = candidate.first, candidate.second
    if wanted == str(candidate.second_id):
        survivor, merged = merged, survivor
    rows = _differences(survivor, merged)
    consents = consent_conflicts(survivor=survivor, merged=merged)
    if request.method == "POST":
        chosen = {row.name: request.POST.get(f"field_{row.name}", "survivor") for row in rows}
        chosen |= {c.key: request.POST.get(f"consent_{c.channel}", c.default) for c in consents}
        try:
            merge = services.customer_merge(
                survivor=survivor, merged=merged, by=user, chosen=chosen, candidate=candidate
            )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        except Customer.DoesNotExist:
            raise Http404(_("No such customer.")) from None
        else:
            # It carries the Undo button, so it stays until the user closes it.
            messages.success(request, _undo_message(request, merge), extra_tags="pv-persistent")
            return redirect("customers:detail", pk=merge.survivor_id)
    context: dict[str, Any] = {
        "candidate": candidate,
        "survivor": survivor,
        "merged": merged,
        "rows": rows,
        "consents": consents,
    }
    return render(request, "customers/quality/merge.html", context)


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        merge = CustomerMerge.objects.select_related("survivor", "merged").get(pk=pk)
        services.customer_merge_undo(merge=merge, by=user)
    except CustomerMerge.DoesNotExist:
        raise Http404(_("No such merge.")) from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("customers:duplicates")
    messages.success(
        request,
        _("The merge was undone: “%(name)s” is back as a customer of its own.") % {"name": merge.merged.display_name},
    )
    return redirect("customers:detail", pk=merge.survivor_id)


@login_required
@require_GET
def data_health(request: HttpRequest) -> HttpResponse:
    months_param = (request.GET.get("months") or "").strip()
    months = int(months_param) if months_param.isdigit() and 0 < int(months_param) < 1000 else health.INACTIVE_MONTHS
    total, cards = health.health_cards(current_user(request), months)
    return render(request, "customers/quality/health.html", {"total": total, "cards": cards, "months": months})
