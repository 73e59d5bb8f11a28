"""Order pages: the list, a new order from the customer's page, an order and its cancel, fulfil and invoice steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.http import current_user, list_page
from peyvand.customers.models import Customer
from peyvand.sales import billing_selectors as selectors
from peyvand.sales.billing_forms import InvoiceFromOrderForm, OrderForm, ReasonForm
from peyvand.sales.billing_views._common import ListFilters, customer_or_404, date_param, owner_choices
from peyvand.sales.line_forms import LineEditor
from peyvand.sales.models import InvoiceStatus, Order, OrderStatus
from peyvand.sales.selectors import deals_visible_to
from peyvand.sales.services import invoices as invoice_services
from peyvand.sales.services import orders as order_services


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return selectors.order_get(user=current_user(request), pk=pk)
    except Order.DoesNotExist:
        raise Http404(_("No such order.")) from None


@dataclass(frozen=True)
class OrderFilters(ListFilters):
    @classmethod
    def from_query(cls, params: QueryDict) -> OrderFilters:
        return cls(**cls.shared_from_query(params, OrderStatus.values))

    def where(self, params: QueryDict) -> Q:
        return selectors.order_filter(
            customer_id=self.customer,
            status=self.status or None,
            owner_id=self.owner,
            ordered_from=date_param(params, "from"),
            ordered_to=date_param(params, "to"),
        )


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = OrderFilters.from_query(request.GET)
    where = filters.where(request.GET)
    listing = list_page(
        request,
        lambda cursor: selectors.order_list(user=user, where=where, cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE),
    )
    context = {
        **listing.context(),
        "filters": filters,
        "owners": owner_choices(user),
        "statuses": OrderStatus.choices,
    }
    return render(request, "sales/order_list.html", context)


def _deals_of(user: User, customer: Customer) -> list[tuple[int, str]]:
    deals = deals_visible_to(user).filter(customer=customer).order_by("-id")
    return list(deals.values_list("id", "title")[:200])


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    customer = customer_or_404(user, request.POST if request.method == "POST" else request.GET)
    form = OrderForm(request.POST or None, user=user, deals=_deals_of(user, customer))
    editor = LineEditor(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and editor.is_valid():
            try:
                order = order_services.order_create(
                    by=user, customer_id=customer.pk, lines=editor.lines(), **form.service_data()
                )
            except ValidationError as exc:
                rest = editor.add_service_errors(exc)
                if rest is not None:
                    form.add_service_errors(rest)
            else:
                messages.success(request, _("The order %(number)s was placed.") % {"number": order.number})
                return redirect("sales:order_detail", pk=order.pk)
    context = {"form": form, "editor": editor, "customer": customer}
    return render(request, "sales/order_form.html", context, status=status)


def _order_context(order: Order, **forms: Any) -> dict[str, Any]:
    invoices = list(order.invoices.all())
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "margin": order.net_total - order.cost_total,
        "invoices": invoices,
        "invoiceable": order.status != OrderStatus.CANCELLED
        and not any(i.status != InvoiceStatus.CANCELLED for i in invoices),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "invoice_form": forms.get("invoice_form") or InvoiceFromOrderForm(),
    }


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "sales/order_detail.html", _order_context(_order_or_404(request, pk)))


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            order_services.order_cancel(order=order, by=current_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The order %(number)s was cancelled.") % {"number": order.number})
            return redirect("sales:order_detail", pk=order.pk)
    order = _order_or_404(request, pk)
    return render(request, "sales/order_detail.html", _order_context(order, cancel_form=form), status=422)


@login_required
@require_POST
def order_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    try:
        order_services.order_mark_fulfilled(order=order, by=current_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order %(number)s is marked delivered.") % {"number": order.number})
    return redirect("sales:order_detail", pk=order.pk)


@login_required
@require_POST
def order_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    form = InvoiceFromOrderForm(request.POST)
    if form.is_valid():
        try:
            invoice = invoice_services.invoice_create_from_order(
                order=order,
                by=current_user(request),
                issue_date=form.cleaned_data.get("issue_date"),
                due_date=form.cleaned_data.get("due_date"),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The invoice %(number)s was issued.") % {"number": invoice.number})
            return redirect("sales:invoice_detail", pk=invoice.pk)
    order = _order_or_404(request, pk)
    return render(request, "sales/order_detail.html", _order_context(order, invoice_form=form), status=422)
