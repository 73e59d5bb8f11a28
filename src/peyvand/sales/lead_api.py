"""HTTP API for leads: list, create, qualify, convert to a customer and a deal."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from peyvand.core.http import AuthedRequest
from peyvand.sales import lead_selectors
from peyvand.sales.lead_schemas import (
    CustomerMatchOut,
    LeadConversionOut,
    LeadConvertIn,
    LeadCreate,
    LeadFilters,
    LeadImportOut,
    LeadOut,
    LeadPage,
    LeadPatch,
    LeadStatusIn,
    SourcePeriod,
    SourceReportOut,
)
from peyvand.sales.services.lead_import import LeadImportError, lead_import
from peyvand.sales.services.leads import lead_convert, lead_create, lead_set_status, lead_update

leads_router = Router(tags=["leads"])

# An import of the largest allowed number of rows is far below this; a bigger upload is not a lead list.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


@leads_router.get("", response=LeadPage, summary="List leads")
def lead_list(request: AuthedRequest, filters: Query[LeadFilters]) -> Any:
    where = lead_selectors.lead_filter(
        status=filters.status,
        source=filters.source,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        q=filters.q or "",
        created_from=filters.created_from,
        created_to=filters.created_to,
    )
    page = lead_selectors.lead_list(
        user=request.auth, where=where, order=filters.order, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@leads_router.post("", response={201: LeadOut}, summary="Record a lead (source `api` unless given)")
def lead_create_endpoint(request: AuthedRequest, payload: LeadCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    source = data.pop("source", "api")
    lead = lead_create(by=request.auth, data=data, source=source)
    return Status(201, lead)


@leads_router.post("/import", response=LeadImportOut, summary="Import leads from a CSV or Excel file")
def lead_import_endpoint(request: AuthedRequest, file: File[UploadedFile], source_detail: Form[str] = "") -> Any:
    """Read a CSV or XLSX file whose first row holds headings (Persian or English: «نام», «نام خانوادگی»,
    «شرکت», «تلفن», «ایمیل», «شهر», «منبع», …). Each row is imported whole or refused whole; the answer lists
    every refused row with its line number, field and reason. At most 5,000 rows a file."""
    if (file.size or 0) > MAX_IMPORT_BYTES:
        raise HttpError(413, _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)})
    try:
        report = lead_import(by=request.auth, file=file, source_detail=source_detail[:200])
    except LeadImportError as exc:
        raise HttpError(422, exc.message) from None
    return {
        "rows": report.rows,
        "imported": report.imported,
        "refused": len(report.refused_lines),
        "lead_ids": report.lead_ids,
        "columns": report.columns,
        "ignored_columns": report.ignored_columns,
        "problems": report.problems,
    }


@leads_router.get("/report/sources", response=SourceReportOut, summary="Leads and conversions per source")
def lead_source_report(
    request: AuthedRequest,
    period: Query[SourcePeriod],
) -> Any:
    rows = lead_selectors.lead_source_report(user=request.auth, date_from=period.date_from, date_to=period.date_to)
    return {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "rows": rows,
        "total": lead_selectors.source_report_total(rows),
    }


@leads_router.get("/{int:lead_id}", response=LeadOut)
def lead_get(request: AuthedRequest, lead_id: int) -> Any:
    return lead_selectors.lead_get(user=request.auth, pk=lead_id)


@leads_router.patch("/{int:lead_id}", response=LeadOut, summary="Change some fields of a lead")
def lead_update_endpoint(request: AuthedRequest, lead_id: int, payload: LeadPatch) -> Any:
    lead = lead_selectors.lead_get(user=request.auth, pk=lead_id)
    lead_update(lead=lead, by=request.auth, data=payload.model_dump(exclude_unset=True))
    return lead_selectors.lead_get(user=request.auth, pk=lead_id)


@leads_router.post("/{int:lead_id}/status", response=LeadOut, summary="Qualify or disqualify a lead")
def lead_status_endpoint(request: AuthedRequest, lead_id: int, payload: LeadStatusIn) -> Any:
    lead = lead_selectors.lead_get(user=request.auth, pk=lead_id)
    lead_set_status(lead=lead, by=request.auth, status=payload.status, reason=payload.reason)
    return lead_selectors.lead_get(user=request.auth, pk=lead_id)


@leads_router.post(
    "/{int:lead_id}/convert",
    response={201: LeadConversionOut},
    summary="Convert a lead into a customer (new or existing) and a deal, in one step",
)
def lead_convert_endpoint(request: AuthedRequest, lead_id: int, payload: LeadConvertIn) -> Any:
    lead = lead_selectors.lead_get(user=request.auth, pk=lead_id)
    result = lead_convert(lead=lead, by=request.auth, **payload.model_dump())
    return Status(
        201,
        {
            "lead": lead_selectors.lead_get(user=request.auth, pk=lead_id),
            "customer_id": result.customer.pk,
            "person_id": result.person.pk if result.person is not None else None,
            "deal_id": result.deal.pk if result.deal is not None else None,
            "created_customer": result.created_customer,
        },
    )


@leads_router.get(
    "/{int:lead_id}/matches",
    response=list[CustomerMatchOut],
    summary="Customers the lead may already be (same phone, e-mail or company name)",
)
def lead_matches(request: AuthedRequest, lead_id: int) -> Any:
    lead = lead_selectors.lead_get(user=request.auth, pk=lead_id)
    return lead_selectors.lead_matching_customers(lead=lead, user=request.auth)
