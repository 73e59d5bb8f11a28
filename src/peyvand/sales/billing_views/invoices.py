"""Invoice pages: the list with overdue invoices and cheques due, a new invoice, an invoice with its PDF, payments,
cancelling, and a cheque's status."""

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
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.money import format_money
from peyvand.sales import billing_selectors as selectors
from peyvand.sales.billing_forms import InvoiceForm, PaymentForm, ReasonForm
from peyvand.sales.billing_views._common import ListFilters, customer_or_404, date_param, owner_choices
from peyvand.sales.line_forms import LineEditor
from peyvand.sales.models import Invoice, InvoiceStatus, Order, Payment
from peyvand.sales.services import ConflictError
from peyvand.sales.services import invoices as invoice_services

INVOICE_TABS = ("all", "open", "overdue")
CHEQUE_DAYS = 7


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    try:
        return selectors.invoice_get(user=current_user(request), pk=pk)
    except Invoice.DoesNotExist:
        raise Http404(_("No such invoice.")) from None


@dataclass(frozen=True)
class InvoiceFilters(ListFilters):
    tab: str = "all"

    @classmethod
    def from_query(cls, params: QueryDict) -> InvoiceFilters:
        tab = params.get("tab", "all")
        return cls(tab=tab if tab in INVOICE_TABS else "all", **cls.shared_from_query(params, InvoiceStatus.values))

    def where(self, params: QueryDict) -> Q:
        return selectors.invoice_filter(
            customer_id=self.customer,
            status=self.status or None,
            open_only=self.tab == "open",
            overdue=True if self.tab == "overdue" else None,
            owner_id=self.owner,
            issued_from=date_param(params, "from"),
            issued_to=date_param(params, "to"),
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
        "owners": owner_choices(user),
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
    customer = customer_or_404(user, params)
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
