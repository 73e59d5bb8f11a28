"""The form builder's pages (administrators edit, managers read) and the submissions pages (staff, each seeing
the submissions within their reach)."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.comms.webforms import services
from peyvand.comms.webforms.forms import FieldRows, WebFormForm
from peyvand.comms.webforms.models import FormSubmission, SubmissionStatus, WebForm
from peyvand.comms.webforms.schema import field_label
from peyvand.comms.webforms.selectors import (
    can_read_forms,
    form_list,
    require_form_reader,
    submission_get,
    submissions_visible_to,
)
from peyvand.core.http import current_user


def _site_url(request: HttpRequest) -> str:
    return str(getattr(settings, "PEYVAND_SITE_URL", "") or request.build_absolute_uri("/").rstrip("/"))


@login_required
@require_GET
def form_list_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    forms = list(form_list(user=user))
    return render(request, "webforms/form_list.html", {"forms": forms, "can_edit": user.is_admin_role})


def _editor(request: HttpRequest, web_form: WebForm | None) -> HttpResponse:
    user = current_user(request)
    if not user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change web forms."))
    form = WebFormForm(request.POST or None, web_form=web_form)
    rows = FieldRows.from_post(request.POST) if request.method == "POST" else FieldRows.from_form(web_form)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                if web_form is None:
                    web_form = services.form_create(by=user, data=form.service_data(rows))
                else:
                    web_form = services.form_update(form=web_form, by=user, data=form.service_data(rows))
            except ValidationError as exc:
                form.add_service_errors(exc, rows)
            else:
                messages.success(request, _("The form “%(name)s” was saved.") % {"name": web_form.name})
                return redirect("comms:webforms:detail", pk=web_form.pk)
    context = {
        "form": form,
        "rows": rows,
        "web_form": web_form,
        "labels": FieldRows.labels(),
        "next_index": len(rows.rows) + 1,
    }
    return render(request, "webforms/form_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def form_create_page(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def form_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, get_object_or_404(WebForm, pk=pk))


@login_required
@require_GET
def form_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One form: its questions, a live preview, the hosted link and the code to embed it."""
    user = current_user(request)
    require_form_reader(user)
    web_form = get_object_or_404(WebForm, pk=pk)
    site = _site_url(request)
    hosted = site + reverse("comms:webforms:public", args=[web_form.key])
    script = static("peyvand/webforms-embed.js")
    script_url = script if script.startswith("http") else site + script
    iframe = (
        f'<iframe src="{hosted}?embed=1" data-peyvand-form="{web_form.key}" title="{web_form.title_fa}" '
        'style="width:100%;border:0;min-height:420px" loading="lazy"></iframe>\n'
        f'<script src="{script_url}" async></script>'
    )
    context = {
        "web_form": web_form,
        "field_rows": [{**spec, "label": field_label(spec)} for spec in web_form.fields],
        "hosted_url": hosted,
        "embed_code": iframe,
        "api_url": site + f"/api/v1/comms/forms/{web_form.key}",
        "can_edit": user.is_admin_role,
        "counts": {status: web_form.submissions.filter(status=status).count() for status in SubmissionStatus.values},
    }
    return render(request, "webforms/form_detail.html", context)


def _visible_form_submissions(request: HttpRequest, web_form: WebForm) -> Any:
    user = current_user(request)
    rows = submissions_visible_to(user).filter(form=web_form)
    status = request.GET.get("status", "")
    if status in SubmissionStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related("customer", "lead", "ticket").order_by("-id")


@login_required
@require_GET
def submissions_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A form's submissions within the user's reach, newest first (the latest 200; the CSV has them all)."""
    user = current_user(request)
    web_form = get_object_or_404(WebForm, pk=pk)
    rows = _visible_form_submissions(request, web_form)
    if not user.is_admin_role and not can_read_forms(user) and not rows.exists():
        # An agent reaches a form's submissions only through what it made for them.
        raise Http404
    context = {
        "web_form": web_form,
        "rows": list(rows[:200]),
        "status": request.GET.get("status", ""),
        "statuses": SubmissionStatus.choices,
        "labels": [(spec["key"], field_label(spec)) for spec in web_form.fields[:4]],
    }
    return render(request, "webforms/submissions.html", context)


@login_required
@require_GET
def submissions_csv(request: HttpRequest, pk: int) -> HttpResponse:
    web_form = get_object_or_404(WebForm, pk=pk)
    rows = _visible_form_submissions(request, web_form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="form-{web_form.pk}-{stamp}.csv"'
    # The byte-order mark makes Excel read the file as UTF-8 (Persian text otherwise comes out garbled).
    response.write("\ufeff")
    writer = csv.writer(response)
    keys = [spec["key"] for spec in web_form.fields]
    writer.writerow(["id", "created_at", "status", *[field_label(spec) for spec in web_form.fields]])
    for row in rows.iterator(chunk_size=500):
        data = row.data or {}
        writer.writerow(
            [row.pk, timezone.localtime(row.created_at).isoformat(), row.status, *[_cell(data.get(k)) for k in keys]]
        )
    return response


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: a visitor must not be able to plant one.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
@require_GET
def submission_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        row = submission_get(user=user, pk=pk)
    except FormSubmission.DoesNotExist:
        raise Http404 from None
    answers = [
        {"label": field_label(spec), "value": row.data.get(spec["key"]), "type": spec.get("type")}
        for spec in row.form.fields
        if spec["key"] in (row.data or {})
    ]
    extra = {k: v for k, v in (row.data or {}).items() if k not in {spec["key"] for spec in row.form.fields}}
    context = {"row": row, "answers": answers, "extra": extra, "can_retry": user.is_admin_role}
    return render(request, "webforms/submission.html", context)


@login_required
@require_POST
def submission_retry_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        row = submission_get(user=user, pk=pk)
    except FormSubmission.DoesNotExist:
        raise Http404 from None
    try:
        row = services.submission_retry(submission=row, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if row.status == SubmissionStatus.ACCEPTED:
            messages.success(request, _("The submission was processed."))
        else:
            messages.error(request, _("It failed again: %(error)s") % {"error": row.error})
    return redirect("comms:webforms:submission", pk=row.pk)
