"""Customer pages (list, 360° view, forms, history, organisation tree): thin views over selectors and services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.http import current_user
from peyvand.customers import export_views, page_queries, selectors, services
from peyvand.customers.forms import CustomerForm, InteractionForm
from peyvand.customers.models import (
    ConsentMethod,
    Customer,
    CustomerKind,
    CustomerRevision,
    LifecycleStage,
)

TIMELINE_LIMIT = 50


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    # Someone else's customer and a missing one look the same: neither exists for this user.
    try:
        return selectors.customer_get(user=current_user(request), pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = page_queries.ListFilters.from_query(request.GET)
    try:
        page = page_queries.customer_list_page(
            user=user,
            filters=filters,
            limit=settings.PEYVAND_PAGE_SIZE,
        )
    except ValidationError:
        messages.warning(request, _("That page link has expired; showing the first page."))
        filters = page_queries.ListFilters.from_query({**request.GET.dict(), "cursor": ""})
        page = page_queries.customer_list_page(
            user=user,
            filters=filters,
            limit=settings.PEYVAND_PAGE_SIZE,
        )
    first = request.GET.copy()
    first.pop("cursor", None)
    next_query = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_query = params.urlencode()
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "next_query": next_query,
        "first_query": first.urlencode(),
        "export_query": export_views.export_query(request),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "customer-results":
        # The export menu sits outside the results; it is swapped along with them to carry the new filters.
        return render(request, "customers/_customer_results.html", {**context, "export_menu_oob": True})
    context.update(
        kinds=CustomerKind.choices,
        stages=LifecycleStage.choices,
        teams=teams_visible_to(user),
        owners=users_visible_to(user).order_by("first_name", "last_name"),
        tags=page_queries.tag_names(),
        orders=[
            ("name", _("Name (A to Z)")),
            ("-name", _("Name (Z to A)")),
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
        ],
    )
    return render(request, "customers/customer_list.html", context)


@login_required
@require_GET
def customer_search(request: HttpRequest) -> HttpResponse:
    """The top bar's live results: a handful of matches, rendered as a dropdown."""
    text = (request.GET.get("q") or "").strip()[:200]
    results = page_queries.search_suggestions(user=current_user(request), text=text)
    return render(request, "customers/_search_results.html", {"results": results, "q": text})


@login_required
@require_GET
def organization_options(request: HttpRequest) -> HttpResponse:
    """The options of an organisation select as the user types in its search box: the chosen one kept
    first, then the best matches among the organisations the user may see."""
    field = request.GET.get("field", "organization_id")
    field = field if field in ("organization_id", "parent_id") else "organization_id"
    chosen = (request.GET.get(field) or "").strip()[:20]
    exclude = request.GET.get("exclude", "")
    options = page_queries.organization_choices(
        user=current_user(request),
        text=(request.GET.get("org_q") or "").strip()[:200],
        include=[chosen],
        exclude=int(exclude) if exclude.isdigit() and len(exclude) < 19 else None,
    )
    return render(request, "customers/_organization_options.html", {"options": options, "chosen": chosen})


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    return render(request, "customers/customer_detail.html", _detail_context(request, customer, InteractionForm()))


def _detail_context(request: HttpRequest, customer: Customer, form: InteractionForm) -> dict[str, Any]:
    return {
        "customer": customer,
        "profile": page_queries.customer_profile(user=current_user(request), customer=customer),
        "timeline": selectors.customer_timeline(customer=customer, limit=TIMELINE_LIMIT),
        "interaction_form": form,
        "consent_methods": ConsentMethod.choices,
        "can_manage": page_queries.may_manage_records(current_user(request)),
    }


@login_required
@require_POST
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_create(customer=customer, by=current_user(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            form = InteractionForm()
            if not _is_htmx(request):
                messages.success(request, _("The interaction was logged."))
                return redirect("customers:detail", pk=customer.pk)
    if not _is_htmx(request):
        return render(request, "customers/customer_detail.html", _detail_context(request, customer, form))
    context = {
        "customer": customer,
        "timeline": selectors.customer_timeline(customer=customer, limit=TIMELINE_LIMIT),
        "interaction_form": form,
    }
    return render(request, "customers/_timeline_panel.html", context)


@login_required
@require_POST
def consent_set(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    try:
        services.consent_set(
            customer=customer,
            by=current_user(request),
            channel=request.POST.get("channel", ""),
            granted=request.POST.get("granted") == "1",
            method=request.POST.get("method", ""),
            note=request.POST.get("note", "")[:200],
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The consent was recorded."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#consents")


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or CustomerKind.PERSON
    if kind not in CustomerKind.values:
        kind = CustomerKind.PERSON
    form = CustomerForm(request.POST or None, user=current_user(request), kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=current_user(request), data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": customer.display_name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    form = CustomerForm(request.POST or None, user=current_user(request), kind=customer.kind, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, by=current_user(request), data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except Customer.DoesNotExist:
            raise Http404(_("No such customer.")) from None
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer, "kind": customer.kind})


@login_required
@require_GET
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    revisions = customer.revisions.select_related("by").order_by("-number")[:200]
    return render(
        request,
        "customers/customer_history.html",
        {
            "customer": customer,
            "rows": page_queries.revision_rows(revisions),
            "can_restore": page_queries.may_manage_records(current_user(request)),
        },
    )


@login_required
@require_POST
def customer_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    try:
        revision = customer.revisions.get(number=number)
    except CustomerRevision.DoesNotExist:
        raise Http404(_("No such version.")) from None
    try:
        services.customer_restore(customer=customer, revision=revision, by=current_user(request))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Version %(number)s was restored.") % {"number": number})
    return redirect("customers:history", pk=customer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    if request.method == "POST":
        try:
            services.customer_delete(customer=customer, by=current_user(request))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
            return redirect("customers:detail", pk=customer.pk)
        messages.success(request, _("“%(name)s” was deleted.") % {"name": customer.display_name})
        return redirect("customers:list")
    return render(request, "customers/customer_confirm_delete.html", {"customer": customer})


@login_required
@require_GET
def organization_tree(request: HttpRequest) -> HttpResponse:
    try:
        forest, next_cursor = page_queries.organization_forest(
            user=current_user(request), cursor=request.GET.get("cursor") or None
        )
    except ValidationError:
        raise Http404 from None
    return render(request, "customers/organization_tree.html", {"forest": forest, "next_cursor": next_cursor})
