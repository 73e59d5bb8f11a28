"""Contract and sales-target pages: thin views over the contract selectors and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import Role, User
from peyvand.core.downloads import stored_file_download
from peyvand.core.http import current_user, list_page, query_int
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import contract_selectors as selectors
from peyvand.sales.contract_forms import (
    ContractFileForm,
    ContractForm,
    ContractRenewForm,
    ContractTerminateForm,
    TargetForm,
    jalali_year_now,
    period_number_choices,
)
from peyvand.sales.models import Contract, ContractFile, ContractStatus, Deal, Target, TargetMetric, TargetPeriod
from peyvand.sales.selectors import deals_visible_to
from peyvand.sales.services import contracts as services
from peyvand.sales.services import targets as target_services

# The "ending soon" choices of the list, in days.
ENDING_CHOICES = (30, 60, 90)
DEAL_CHOICES_LIMIT = 200


def _contract_or_404(request: HttpRequest, pk: int) -> Contract:
    # Another team's contract and a missing one look the same: neither exists for this user.
    try:
        return selectors.contract_get(user=current_user(request), pk=pk)
    except Contract.DoesNotExist:
        raise Http404(_("No such contract.")) from None


def _deals_of(user: User, customer: Customer) -> list[Deal]:
    return list(deals_visible_to(user).filter(customer=customer).order_by("-id")[:DEAL_CHOICES_LIMIT])


# --- list -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFilters:
    status: str = ""
    ending: int | None = None
    customer: int | None = None
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> ContractFilters:
        status = params.get("status", "")
        ending = query_int(params, "ending")
        return cls(
            status=status if status in ContractStatus.values else "",
            ending=ending if ending in ENDING_CHOICES else None,
            customer=query_int(params, "customer"),
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.ending or self.customer)

    def where(self) -> Any:
        return selectors.contract_filter(
            status=self.status or None, customer_id=self.customer, ending_within_days=self.ending
        )


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = ContractFilters.from_query(request.GET)
    listing = list_page(
        request,
        lambda cursor: selectors.contract_list(
            user=user, where=filters.where(), cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    customer = customers_visible_to(user).filter(pk=filters.customer).first() if filters.customer else None
    context = {
        **listing.context(),
        "filters": filters,
        "customer": customer,
        "statuses": ContractStatus.choices,
        "ending_choices": ENDING_CHOICES,
        "today": timezone.localdate(),
    }
    return render(request, "sales/contract_list.html", context)


# --- detail and actions -----------------------------------------------------------------------------------


def _detail(request: HttpRequest, contract: Contract, *, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "contract": contract,
        "files": list(contract.files.select_related("uploaded_by").order_by("id")),
        "renewal": Contract.objects.filter(renewed_from=contract).first(),
        "today": timezone.localdate(),
        "file_form": forms.get("file_form") or ContractFileForm(),
        "renew_form": forms.get("renew_form") or ContractRenewForm(),
        "terminate_form": forms.get("terminate_form") or ContractTerminateForm(),
        "can_edit": contract.status in services.EDITABLE,
        "can_renew": contract.status in services.RENEWABLE,
    }
    return render(request, "sales/contract_detail.html", context, status=status)


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _contract_or_404(request, pk))


def _service_failed(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def contract_activate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    try:
        services.contract_activate(contract=contract, by=current_user(request))
    except ValidationError as exc:
        _service_failed(request, exc)
    else:
        messages.success(request, _("The contract is now active."))
    return redirect("sales:contract_detail", pk=contract.pk)


@login_required
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ContractTerminateForm(request.POST)
    if form.is_valid():
        try:
            services.contract_terminate(contract=contract, by=current_user(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The contract was terminated."))
            return redirect("sales:contract_detail", pk=contract.pk)
    return _detail(request, contract, status=422, terminate_form=form)


@login_required
@require_POST
def contract_renew(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ContractRenewForm(request.POST)
    if form.is_valid():
        try:
            renewal = services.contract_renew(
                contract=contract,
                by=current_user(request),
                start_date=form.cleaned_data.get("start_date"),
                end_date=form.cleaned_data.get("end_date"),
                value=form.cleaned_data.get("value"),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The contract was renewed as %(number)s.") % {"number": renewal.number})
            return redirect("sales:contract_detail", pk=renewal.pk)
    return _detail(request, contract, status=422, renew_form=form)


@login_required
@require_POST
def contract_file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ContractFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.contract_file_add(contract=contract, by=current_user(request), upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The file was attached."))
            return redirect(reverse("sales:contract_detail", args=[contract.pk]) + "#files")
    return _detail(request, contract, status=422, file_form=form)


def _file_or_404(request: HttpRequest, pk: int, file_id: int) -> ContractFile:
    try:
        return selectors.contract_file_get(user=current_user(request), contract_id=pk, file_id=file_id)
    except ContractFile.DoesNotExist:
        raise Http404(_("No such file.")) from None


@login_required
@require_GET
def contract_file_download(request: HttpRequest, pk: int, file_id: int) -> HttpResponseBase:
    """The only way to a contract's file: the contract's scope is checked first (there is no public media URL)."""
    row = _file_or_404(request, pk, file_id)
    return stored_file_download(
        request,
        row.file,
        filename=row.name,
        content_type=row.content_type,
        missing=_("The file is missing from the storage."),
    )


@login_required
@require_POST
def contract_file_remove(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    row = _file_or_404(request, pk, file_id)
    services.contract_file_remove(file=row, by=current_user(request))
    messages.success(request, _("The file was removed."))
    return redirect(reverse("sales:contract_detail", args=[pk]) + "#files")


# --- create and edit --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    """A new contract, from its customer's page (?customer=) or a deal's (?deal=)."""
    user = current_user(request)
    params = request.POST if request.method == "POST" else request.GET
    deal_id = query_int(params, "deal")
    deal = deals_visible_to(user).filter(pk=deal_id).first() if deal_id is not None else None
    customer_id = deal.customer_id if deal is not None else query_int(params, "customer")
    customer = customers_visible_to(user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        # A contract is made with a customer; an unknown or unseen one is not there to sign with.
        raise Http404(_("No such customer."))
    form = ContractForm(request.POST or None, user=user, deals=_deals_of(user, customer), deal=deal)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(by=user, data={"customer_id": customer.pk, **form.service_data()})
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The contract %(number)s was saved.") % {"number": contract.number})
            return redirect("sales:contract_detail", pk=contract.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "contract": None, "customer": customer, "deal": deal}
    return render(request, "sales/contract_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    contract = _contract_or_404(request, pk)
    if contract.status not in services.EDITABLE:
        messages.warning(request, _("This contract is kept as it was; it cannot be changed."))
        return redirect("sales:contract_detail", pk=contract.pk)
    form = ContractForm(request.POST or None, user=user, deals=_deals_of(user, contract.customer), contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(contract=contract, by=user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("sales:contract_detail", pk=contract.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "contract": contract, "customer": contract.customer, "deal": None}
    return render(request, "sales/contract_form.html", context, status=status)


# --- targets ----------------------------------------------------------------------------------------------


def _chosen_period(params: QueryDict) -> selectors.Period:
    """The period asked for in the query (?period=quarter&year=1404&number=2), or the current one."""
    kind = params.get("period", TargetPeriod.MONTH)
    if kind not in TargetPeriod.values:
        kind = TargetPeriod.MONTH
    current = selectors.current_period(kind)
    year = query_int(params, "year") or current.jalali_year
    number = query_int(params, "number")
    if kind == TargetPeriod.YEAR:
        number = 0
    try:
        return selectors.period_of(kind, year, current.number if number is None else number)
    except ValueError:
        # A month's number kept when switching to quarters (month 7, no quarter 7): the current one, that year.
        try:
            return selectors.period_of(kind, year, current.number)
        except ValueError:
            return current


def _period_query(period: selectors.Period, metric: str) -> str:
    return urlencode({"period": period.kind, "year": period.jalali_year, "number": period.number, "metric": metric})


def _may_set_targets(user: User) -> bool:
    return bool(user.is_admin_role or user.role == Role.MANAGER)


@login_required
@require_GET
def target_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    period = _chosen_period(request.GET)
    metric = request.GET.get("metric", TargetMetric.REVENUE)
    if metric not in TargetMetric.values:
        metric = TargetMetric.REVENUE
    rows = selectors.target_sheet(user=user, period=period, metric=metric)
    elapsed, total = selectors.pace_share(period)
    this_year = jalali_year_now()
    context = {
        "rows": rows,
        "period": period,
        "metric": metric,
        "metrics": TargetMetric.choices,
        "periods": TargetPeriod.choices,
        "numbers": period_number_choices(period.kind),
        "years": list(range(this_year + 1, this_year - 5, -1)),
        "pace_percent": elapsed * 100 // total if total else 0,
        "can_set": _may_set_targets(user),
        "query": _period_query(period, metric),
    }
    return render(request, "sales/target_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest) -> HttpResponse:
    """Set one target: a form of its own, and where the targets page's inline forms post to."""
    user = current_user(request)
    if not _may_set_targets(user):
        raise PermissionDenied(_("Only a manager or an administrator can set sales targets."))
    period = _chosen_period(request.GET)
    initial = {
        "subject": request.GET.get("subject", ""),
        "metric": request.GET.get("metric", TargetMetric.REVENUE),
        "period": period.kind,
        "jalali_year": period.jalali_year,
        "period_number": period.number,
    }
    form = TargetForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.service_data()
            target = target_services.target_set(by=user, **data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The target was saved."))
            chosen = selectors.period_of(target.period, target.jalali_year, target.period_number)
            return redirect(reverse("sales:targets") + "?" + _period_query(chosen, target.metric))
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/target_form.html", {"form": form, "period": period}, status=status)


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        target = selectors.targets_visible_to(user).get(pk=pk)
        target_services.target_delete(target=target, by=user)
    except Target.DoesNotExist:
        raise Http404(_("No such target.")) from None
    messages.success(request, _("The target was deleted."))
    chosen = selectors.period_of(target.period, target.jalali_year, target.period_number)
    return redirect(reverse("sales:targets") + "?" + _period_query(chosen, target.metric))
