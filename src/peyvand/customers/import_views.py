"""Import wizard pages: upload, map columns, preview, confirm, then the job's progress and rejected rows."""

from __future__ import annotations

import copy
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.http import current_user
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.customers.importing.jobs import (
    import_job_cancel,
    import_job_create,
    import_job_stalled,
    import_mapping_save,
    preview_rows,
)
from peyvand.customers.importing.mapping import field_choices
from peyvand.customers.importing.readers import MAX_UPLOAD_BYTES, ImportFileError
from peyvand.customers.importing.rejected import rejected_rows_xlsx
from peyvand.customers.importing.selectors import import_job_get, import_jobs_visible_to, import_mappings_for
from peyvand.customers.importing.sheets import import_job_sheet_set, import_job_sheets
from peyvand.customers.models import ImportJob, ImportMapping, ImportStatus, OnDuplicate

RECENT_JOBS = 20
PREVIEW_ROWS = 20
# Text with no letter in it (a phone, a date, a code) is shown with Persian digits in Persian, as everywhere
# else; text with letters (an e-mail, an address) is shown as it is.
_LETTER = re.compile(r"[^\W\d_]")


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or Excel .xlsx)"))
    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("When the customer exists"), choices=OnDuplicate.choices, initial=OnDuplicate.SKIP
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Dry run: check every row, write nothing"), required=False)
    saved_mapping: forms.ModelChoiceField[ImportMapping] = forms.ModelChoiceField(
        label=gettext_lazy("Saved column mapping"), queryset=None, required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_mapping"].queryset = import_mappings_for(user)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)d MB; at most %(limit)d MB can be uploaded.")
                % {"size": upload.size // (1024 * 1024), "limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _job_or_404(request: HttpRequest, pk: int, *, pending: bool = False) -> ImportJob:
    try:
        job = import_job_get(user=current_user(request), pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404(_("No such import.")) from None
    if pending and (job.status != ImportStatus.PENDING or job.by_id != request.user.pk):
        raise Http404(_("This import has already started."))
    return job


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                by=user,
                stream=upload,
                file_name=upload.name or "import",
                on_duplicate=form.cleaned_data["on_duplicate"],
                dry_run=form.cleaned_data["dry_run"],
                saved_mapping=form.cleaned_data["saved_mapping"],
            )
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("customers:import_map", pk=job.pk)
    jobs = import_jobs_visible_to(user).select_related("by")[:RECENT_JOBS]
    return render(
        request,
        "customers/import/start.html",
        {"form": form, "jobs": jobs, "limit_mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, pending=True)
    choices = field_choices()
    if request.method == "POST":
        known = {key for key, _label in choices}
        mapping = {}
        for index in range(len(job.headers)):
            value = request.POST.get(f"col_{index}", "")
            if value in known:
                mapping[str(index)] = value
        job.mapping = mapping
        job.save(update_fields=["mapping", "updated_at"])
        name = request.POST.get("save_as", "").strip()
        if name:
            import_mapping_save(job=job, by=current_user(request), name=name)
            messages.success(request, _("The mapping was saved as “%(name)s”.") % {"name": name[:100]})
        return redirect("customers:import_preview", pk=job.pk)
    columns = [{"index": i, "header": h, "field": job.mapping.get(str(i), "")} for i, h in enumerate(job.headers)]
    sheets = import_job_sheets(job)
    return render(
        request,
        "customers/import/map.html",
        {"job": job, "columns": columns, "choices": choices, "sheets": sheets if len(sheets) > 1 else []},
    )


@login_required
@require_POST
def import_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, pending=True)
    try:
        import_job_sheet_set(job=job, by=current_user(request), sheet=request.POST.get("sheet", "")[:100])
    except ImportFileError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Reading sheet “%(sheet)s” now; its columns were matched again, check them below.")
            % {"sheet": job.sheet},
        )
    return redirect("customers:import_map", pk=job.pk)


@login_required
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, pending=True)
    labels = dict(field_choices())
    fields = [(int(i), labels.get(f, f)) for i, f in sorted(job.mapping.items(), key=lambda kv: int(kv[0]))]
    rows = []
    # preview_rows marks the job it is given as a dry run (so previewing writes nothing); the page must still
    # offer what the user chose, so it gets a copy.
    for row in preview_rows(copy.copy(job), limit=PREVIEW_ROWS):
        cells, values = row["cells"], row.get("values") or {}
        shown = []
        for i, _label in fields:
            raw = str(cells[i]) if i < len(cells) else ""
            # Rows with errors have no cleaned values: they show the cells as read, next to the reason.
            value = raw if row["errors"] else values.get(i, raw)
            shown.append({"value": _digits(value), "raw": _digits(raw), "changed": value != raw})
        rows.append({"line": row["line"], "cells": shown, "errors": row["errors"]})
    return render(request, "customers/import/preview.html", {"job": job, "fields": fields, "rows": rows})


def _digits(text: str) -> str:
    return to_persian_digits(text) if text and is_persian() and not _LETTER.search(text) else text


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    from peyvand.customers.tasks import run_import_job

    job = _job_or_404(request, pk, pending=True)
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    return redirect("customers:import_detail", pk=job.pk)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    user = current_user(request)
    active = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    # A running job that was cancelled finishes the batch it is writing first; the page follows it until then.
    stopping = job.status == ImportStatus.CANCELLED and job.finished_at is None and not import_job_stalled(job)
    template = (
        "customers/import/_progress.html" if request.headers.get("HX-Request") else "customers/import/detail.html"
    )
    context = {
        "job": job,
        "running": active or stopping,
        "stopping": stopping,
        "stalled": job.status == ImportStatus.RUNNING and import_job_stalled(job),
        "can_cancel": active and (job.by_id == user.pk or user.is_superuser),
    }
    return render(request, template, context)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    try:
        import_job_cancel(job=job, by=current_user(request))
    except ValidationError as exc:
        messages.warning(request, exc.messages[0])
    else:
        messages.success(request, _("The import was cancelled."))
    # From the wizard's steps the user gave up on the file: back to the start, ready for another one.
    if request.POST.get("then") == "start":
        return redirect("customers:import")
    return redirect("customers:import_detail", pk=job.pk)


@login_required
@require_GET
def import_rejected(request: HttpRequest, pk: int) -> FileResponse:
    job = _job_or_404(request, pk)
    return rejected_download(job)


def rejected_download(job: ImportJob) -> FileResponse:
    """The rejected rows as an XLSX download (pages and API)."""
    import tempfile

    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    rejected_rows_xlsx(job, out)
    out.seek(0)
    name = f"{job.file_name.rsplit('.', 1)[0]}-rejected.xlsx"
    return FileResponse(
        out,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
