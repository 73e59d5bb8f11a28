"""Catalogue pages: every member of staff reads the products; managers and administrators add and change them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.accounts.models import Role, User
from peyvand.core.http import current_user, list_page
from peyvand.sales import selectors, services
from peyvand.sales.forms import ProductForm
from peyvand.sales.models import Product, ProductKind


def may_edit_catalogue(user: User) -> bool:
    """Whether to offer the catalogue's forms; mirrors services (which remain the authority)."""
    return bool(user.is_admin_role or user.role == Role.MANAGER)


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "").strip()[:200]
    kind = request.GET.get("kind", "")
    kind = kind if kind in ProductKind.values else ""
    listing = list_page(
        request,
        lambda cursor: selectors.product_list(
            text=text, kind=kind or None, cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    context = {
        **listing.context(),
        "q": text,
        "kind": kind,
        "kinds": ProductKind.choices,
        "can_edit": may_edit_catalogue(current_user(request)),
    }
    return render(request, "sales/product_list.html", context)


def _form_page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "sales/product_form.html", context, status=status)


def _refused(request: HttpRequest, product: Product | None, reason: str) -> HttpResponse:
    """The clear answer for someone who may read the catalogue but not change it: the page, saying why."""
    return _form_page(request, {"form": None, "product": product, "refused": reason}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    refusal = _("Only a manager or an administrator can add or change products and services.")
    if not may_edit_catalogue(user):
        return _refused(request, None, refusal)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(by=user, data=form.service_data())
        except PermissionDenied as exc:
            return _refused(request, None, str(exc) or refusal)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": product.name})
            return redirect("sales:products")
    return _form_page(request, {"form": form, "product": None})


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise Http404(_("No such product."))
    refusal = _("Only a manager or an administrator can add or change products and services.")
    if not may_edit_catalogue(user):
        return _refused(request, product, refusal)
    form = ProductForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(product=product, by=user, data=form.service_data())
        except PermissionDenied as exc:
            return _refused(request, product, str(exc) or refusal)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("sales:products")
    return _form_page(request, {"form": form, "product": product})
