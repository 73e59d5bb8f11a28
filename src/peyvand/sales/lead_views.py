"""Lead pages (list, form, detail with qualification and conversion, import, source report): thin views over the
lead selectors and services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.selectors import users_visible_to
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.jalali import parse_date
from peyvand.sales import lead_selectors
from peyvand.sales.lead_forms import LeadConvertForm, LeadForm, LeadImportForm, LeadStatusForm
from peyvand.sales.models import Activity, Lead, LeadSource, LeadStatus
from peyvand.sales.services.lead_import import IMPORT_HEADERS, ImportReport, LeadImportError, lead_import
from peyvand.sales.services.leads import lead_convert, lead_create, lead_set_status, lead_update

# The import page reads the whole file in the request; a bigger upload is not a list of leads.
MAX_IMPORT_BYTES = 10 * 1024 * 1024
# The problems an import page lists; the rest are counted.
SHOWN_PROBLEMS = 500


def _lead_or_404(request: HttpRequest, pk: int) -> Lead:
    # Another team's lead and a missing one look the same: neither exists for this user.
    try:
        return lead_selectors.lead_get(user=current_user(request), pk=pk)
    except Lead.DoesNotExist:
        raise Http404(_("No such lead.")) from None


def _date_param(params: QueryDict, name: str) -> dt.date | None:
    text = (params.get(name) or "").strip()[:20]
    if not text:
        return None
    try:
        return parse_date(text)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    source: str = ""
    owner: int | None = None
    q: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> LeadFilters:
        status = params.get("status", "")
        source = params.get("source", "")
        return cls(
            status=status if status in LeadStatus.values else "",
            source=source if source in LeadSource.values else "",
            owner=query_int(params, "owner"),
            q=(params.get("q") or "").strip()[:200],
            created_from=_date_param(params, "from"),
            created_to=_date_param(params, "to"),
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.source or self.owner or self.q or self.created_from or self.created_to)

    def where(self) -> Any:
        return lead_selectors.lead_filter(
            status=self.status or None,
            source=self.source or None,
            owner_id=self.owner,
            q=self.q,
            created_from=self.created_from,
            created_to=self.created_to,
        )


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = LeadFilters.from_query(request.GET)
    listing = list_page(
        request,
        lambda cursor: lead_selectors.lead_list(
            user=user, where=filters.where(), cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    context = {
        **listing.context(),
        "filters": filters,
        "filter_from": request.GET.get("from", "")[:20],
        "filter_to": request.GET.get("to", "")[:20],
        "owners": users_visible_to(user).order_by("first_name", "last_name", "username"),
        "statuses": LeadStatus.choices,
        "sources": LeadSource.choices,
    }
    return render(request, "sales/lead_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = LeadForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                lead = lead_create(by=user, data=form.service_data(), source=form.cleaned_data["source"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The lead “%(name)s” was saved.") % {"name": lead.display_name})
                return redirect("sales:lead_detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_or_404(request, pk)
    if lead.status == LeadStatus.CONVERTED:
        messages.info(request, _("This lead was converted; change its customer or deal instead."))
        return redirect("sales:lead_detail", pk=lead.pk)
    form = LeadForm(request.POST or None, user=user, lead=lead)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                lead_update(lead=lead, by=user, data={**form.service_data(), "source": form.cleaned_data["source"]})
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Lead.DoesNotExist:
                raise Http404(_("No such lead.")) from None
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("sales:lead_detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": lead}, status=status)


def _detail_context(
    request: HttpRequest,
    lead: Lead,
    *,
    status_form: LeadStatusForm | None = None,
    convert_form: LeadConvertForm | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    matches = lead_selectors.lead_matching_customers(lead=lead, user=user)
    return {
        "lead": lead,
        "matches": matches,
        "status_form": status_form or LeadStatusForm(),
        "convert_form": convert_form or LeadConvertForm(lead=lead, matches=matches),
        "next_statuses": [
            (value, label)
            for value, label in LeadStatus.choices
            if value not in (lead.status, LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED)
        ],
        "activities": list(Activity.objects.filter(lead=lead).select_related("assigned_to").order_by("due_at")[:50]),
        "is_open": lead.status != LeadStatus.CONVERTED,
    }


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    return render(request, "sales/lead_detail.html", _detail_context(request, lead))


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        try:
            lead = lead_set_status(
                lead=lead,
                by=current_user(request),
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The lead is now %(status)s.") % {"status": lead.get_status_display()})
            return redirect("sales:lead_detail", pk=lead.pk)
    context = _detail_context(request, lead, status_form=form)
    return render(request, "sales/lead_detail.html", context, status=422)


@login_required
@require_POST
def lead_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_or_404(request, pk)
    matches = lead_selectors.lead_matching_customers(lead=lead, user=user)
    form = LeadConvertForm(request.POST, lead=lead, matches=matches)
    if form.is_valid():
        try:
            result = lead_convert(lead=lead, by=user, **form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("The lead was converted: %(customer)s.") % {"customer": result.customer.display_name},
            )
            if result.deal is not None:
                return redirect("sales:deal_detail", pk=result.deal.pk)
            return redirect("customers:detail", pk=result.customer.pk)
    lead = _lead_or_404(request, pk)
    context = _detail_context(request, lead, convert_form=form)
    return render(request, "sales/lead_detail.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def lead_import_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = LeadImportForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // 2**20})
            else:
                try:
                    report = lead_import(by=user, file=upload, source_detail=form.cleaned_data["source_detail"])
                except LeadImportError as exc:
                    form.add_error("file", exc.message)
                else:
                    status = 200
                    form = LeadImportForm()
    context = {
        "form": form,
        "report": report,
        "problems": report.problems[:SHOWN_PROBLEMS] if report else [],
        "hidden_problems": max(len(report.problems) - SHOWN_PROBLEMS, 0) if report else 0,
        "headings": [(LeadForm.base_fields[name].label, spellings) for name, spellings in IMPORT_HEADERS.items()],
    }
    return render(request, "sales/lead_import.html", context, status=status)


@login_required
@require_GET
def lead_sources(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    date_from = _date_param(request.GET, "from")
    date_to = _date_param(request.GET, "to")
    rows = lead_selectors.lead_source_report(user=user, date_from=date_from, date_to=date_to)
    total = lead_selectors.source_report_total(rows)
    most = max((row.leads for row in rows), default=0)
    context = {
        "rows": rows,
        "total": total,
        # Bar widths (percent of the busiest source) for the chart drawn in plain HTML.
        "bars": [
            (row, round(100 * row.leads / most) if most else 0, round(100 * row.converted / most) if most else 0)
            for row in rows
        ],
        "filter_from": request.GET.get("from", "")[:20],
        "filter_to": request.GET.get("to", "")[:20],
        "date_from": date_from,
        "date_to": date_to,
        "leads_url": reverse("sales:leads"),
    }
    return render(request, "sales/lead_sources.html", context)
