"""Order, invoice, payment and customer ranking pages: thin views over billing_selectors and the services; another
team's order or invoice answers 404, like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import Role, User
from peyvand.accounts.selectors import users_visible_to
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.jalali import parse_date
from peyvand.core.money import format_money
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import billing_selectors as selectors
from peyvand.sales.billing_forms import InvoiceForm, InvoiceFromOrderForm, OrderForm, PaymentForm, ReasonForm
from peyvand.sales.line_forms import LineEditor
from peyvand.sales.models import Invoice, InvoiceStatus, Order, OrderStatus, Payment
from peyvand.sales.selectors import deals_visible_to
from peyvand.sales.services import ConflictError
from peyvand.sales.services import customer_value as value_services
from peyvand.sales.services import invoices as invoice_services
from peyvand.sales.services import orders as order_services

INVOICE_TABS = ("all", "open", "overdue")
CHEQUE_DAYS = 7


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return selectors.order_get(user=current_user(request), pk=pk)
    except Order.DoesNotExist:
        raise Http404(_("No such order.")) from None


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    try:
        return selectors.invoice_get(user=current_user(request), pk=pk)
    except Invoice.DoesNotExist:
        raise Http404(_("No such invoice.")) from None


def _customer_or_404(user: User, params: QueryDict) -> Customer:
    customer_id = query_int(params, "customer")
    customer = customers_visible_to(user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        # Orders and invoices are made from their customer's page; an unknown or unseen customer is not there.
        raise Http404(_("No such customer."))
    return customer


def _date(params: QueryDict, name: str) -> Any:
    text = (params.get(name) or "").strip()[:20]
    if not text:
        return None
    try:
        return parse_date(text)
    except (ValueError, TypeError):
        return None


def _owners(user: User) -> QuerySet[User]:
    return users_visible_to(user).order_by("first_name", "last_name", "username")


# --- orders -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    customer: int | None = None
    status: str = ""
    owner: int | None = None
    date_from: str = ""
    date_to: str = ""
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> OrderFilters:
        status = params.get("status", "")
        return cls(
            customer=query_int(params, "customer"),
            status=status if status in OrderStatus.values else "",
            owner=query_int(params, "owner"),
            date_from=(params.get("from") or "").strip()[:20],
            date_to=(params.get("to") or "").strip()[:20],
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.customer or self.status or self.owner or self.date_from or self.date_to)

    def where(self, params: QueryDict) -> Q:
        return selectors.order_filter(
            customer_id=self.customer,
            status=self.status or None,
            owner_id=self.owner,
            ordered_from=_date(params, "from"),
            ordered_to=_date(params, "to"),
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
        "owners": _owners(user),
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
    customer = _customer_or_404(user, request.POST if request.method == "POST" else request.GET)
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


# --- invoices ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    tab: str = "all"
    customer: int | None = None
    status: str = ""
    owner: int | None = None
    date_from: str = ""
    date_to: str = ""
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> InvoiceFilters:
        tab = params.get("tab", "all")
        status = params.get("status", "")
        return cls(
            tab=tab if tab in INVOICE_TABS else "all",
            customer=query_int(params, "customer"),
            status=status if status in InvoiceStatus.values else "",
            owner=query_int(params, "owner"),
            date_from=(params.get("from") or "").strip()[:20],
            date_to=(params.get("to") or "").strip()[:20],
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.customer or self.status or self.owner or self.date_from or self.date_to)

    def where(self, params: QueryDict) -> Q:
        return selectors.invoice_filter(
            customer_id=self.customer,
            status=self.status or None,
            open_only=self.tab == "open",
            overdue=True if self.tab == "overdue" else None,
            owner_id=self.owner,
            issued_from=_date(params, "from"),
            issued_to=_date(params, "to"),
        )

    def order(self) -> str:
        # The overdue list: the longest overdue first.
        return "due" if self.tab == "overdue" else "newest"


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = InvoiceFilters.from_query(request.GET)
    where = filters.where(request.GET)
    listing = list_page(
        request,
        lambda cursor: selectors.invoice_list(
            user=user, where=where, order=filters.order(), cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    tab_query = request.GET.copy()
    tab_query.pop("cursor", None)
    tab_query.pop("tab", None)
    context = {
        **listing.context(),
        "filters": filters,
        "owners": _owners(user),
        "statuses": InvoiceStatus.choices,
        "tabs": [
            ("all", _("All")),
            ("open", _("Open")),
            ("overdue", _("Overdue")),
        ],
        "tab_query": tab_query.urlencode(),
        # Cheques to take to the bank this week (or already due and not yet cleared).
        "cheques_due": selectors.cheques_due(user=user, days=CHEQUE_DAYS, limit=20),
        "cheque_days": CHEQUE_DAYS,
    }
    return render(request, "sales/invoice_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    params = request.POST if request.method == "POST" else request.GET
    customer = _customer_or_404(user, params)
    order: Order | None = None
    order_id = query_int(params, "order")
    if order_id is not None:
        order = selectors.orders_visible_to(user).filter(pk=order_id, customer=customer).first()
        if order is None:
            raise Http404(_("No such order."))
    form = InvoiceForm(request.POST or None, user=user)
    editor = LineEditor(request.POST or None, vat_rate_bp=order.vat_rate_bp if order is not None else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and editor.is_valid():
            data = {**form.service_data(), "customer_id": customer.pk, "lines": editor.lines()}
            if order is not None:
                data["order_id"] = order.pk
            try:
                invoice = invoice_services.invoice_create(by=user, data=data)
            except ValidationError as exc:
                rest = editor.add_service_errors(exc)
                if rest is not None:
                    form.add_service_errors(rest)
            else:
                messages.success(request, _("The invoice %(number)s was issued.") % {"number": invoice.number})
                return redirect("sales:invoice_detail", pk=invoice.pk)
    context = {"form": form, "editor": editor, "customer": customer, "order": order}
    return render(request, "sales/invoice_form.html", context, status=status)


def _invoice_context(invoice: Invoice, *, payment_form: PaymentForm | None = None, **forms: Any) -> dict[str, Any]:
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "payments": list(invoice.payments.all()),
        "payment_form": payment_form or PaymentForm(balance=invoice.balance),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "can_pay": invoice.status in selectors.OPEN_STATUSES,
        "can_cancel": invoice.status != InvoiceStatus.CANCELLED and invoice.paid_total == 0,
    }


@login_required
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "sales/invoice_detail.html", _invoice_context(_invoice_or_404(request, pk)))


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice as a PDF, in the page's language unless ?lang=fa or ?lang=en asks for the other."""
    from peyvand.sales.pdf import invoice_pdf as render_pdf
    from peyvand.sales.pdf import invoice_pdf_filename

    invoice = _invoice_or_404(request, pk)
    lang = request.GET.get("lang")
    response = HttpResponse(
        render_pdf(invoice, lang=lang if lang in ("fa", "en") else None), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response


@login_required
@require_POST
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = PaymentForm(request.POST, balance=invoice.balance)
    status = 422
    if form.is_valid():
        try:
            payment = invoice_services.payment_record(invoice=invoice, by=current_user(request), **form.service_data())
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("A payment of %(amount)s was recorded.") % {"amount": format_money(payment.amount)}
            )
            return redirect(reverse("sales:invoice_detail", args=[invoice.pk]) + "#payments")
    invoice = _invoice_or_404(request, pk)
    return render(request, "sales/invoice_detail.html", _invoice_context(invoice, payment_form=form), status=status)


@login_required
@require_POST
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            invoice_services.invoice_cancel(
                invoice=invoice, by=current_user(request), reason=form.cleaned_data["reason"]
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The invoice %(number)s was cancelled.") % {"number": invoice.number})
            return redirect("sales:invoice_detail", pk=invoice.pk)
    invoice = _invoice_or_404(request, pk)
    return render(request, "sales/invoice_detail.html", _invoice_context(invoice, cancel_form=form), status=422)


@login_required
@require_POST
def cheque_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        payment = selectors.payment_get(user=user, pk=pk)
    except Payment.DoesNotExist:
        raise Http404(_("No such payment.")) from None
    try:
        invoice_services.cheque_set_status(payment=payment, by=user, status=request.POST.get("status", "")[:20])
    except (ValidationError, ConflictError) as exc:
        text = exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.success(request, _("The cheque's status was saved."))
    return redirect(reverse("sales:invoice_detail", args=[payment.invoice_id]) + "#payments")


# --- customer ranking -------------------------------------------------------------------------------------


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
