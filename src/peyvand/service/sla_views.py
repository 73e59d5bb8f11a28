"""The SLA pages: the policies (administrators change them, managers read them) and the working calendar with
the desk's settings, the holidays of a Jalali year and a due time calculator that shows the arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.http import current_user
from peyvand.core.jalali import format_date_long
from peyvand.service.models import Holiday, SlaPolicy, TicketCategory
from peyvand.service.ordering import position_move
from peyvand.service.services.settings import service_settings
from peyvand.service.sla_forms import CONDITION_FIELDS, DueTimeForm, HolidayForm, ServiceSettingsForm, SlaPolicyForm
from peyvand.service.sla_selectors import current_jalali_year, due_time, holiday_list, may_read_sla
from peyvand.service.sla_services import (
    holiday_add,
    holiday_remove,
    holidays_load_year,
    official_holiday_years,
    service_settings_update,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_reorder,
    sla_policy_update,
)

REFUSED_READ = gettext_lazy("Only managers and administrators can see the service desk's SLAs and calendar.")
REFUSED_WRITE = gettext_lazy("Only an administrator can change the service desk's SLAs, calendar and settings.")


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "service/sla_refused.html", {"refused": reason}, status=403)


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if not may_read_sla(user):
        raise PermissionDenied(REFUSED_READ)
    return user


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.is_admin_role:
        raise PermissionDenied(REFUSED_WRITE)
    return user


def _condition_labels(policy: SlaPolicy, form: SlaPolicyForm, categories: dict[int, str]) -> list[tuple[str, str]]:
    """The conditions as (what, values) for people: category names, choice labels."""
    labels = []
    for key, field_name in CONDITION_FIELDS.items():
        values = (policy.conditions or {}).get(key) or []
        if not values:
            continue
        field = form.fields[field_name]
        if key == "category":
            texts = [categories.get(int(value), f"#{value}") for value in values]
        else:
            names = dict(field.choices)  # type: ignore[attr-defined]
            texts = [str(names.get(value, value)) for value in values]
        labels.append((str(field.label), "، ".join(texts)))
    return labels


@login_required
@require_GET
def sla_policies(request: HttpRequest) -> HttpResponse:
    try:
        user = _reader(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    policies = list(SlaPolicy.objects.select_related("escalate_to").order_by("position", "id"))
    categories = {category.pk: category.label for category in TicketCategory.objects.all()}
    form = SlaPolicyForm()  # its fields' labels and choices name the conditions
    rows = [(policy, _condition_labels(policy, form, categories)) for policy in policies]
    return render(request, "service/sla_policies.html", {"rows": rows, "can_edit": user.is_admin_role})


def _policy_form_page(request: HttpRequest, form: SlaPolicyForm, policy: SlaPolicy | None) -> HttpResponse:
    return render(request, "service/sla_policy_form.html", {"form": form, "policy": policy})


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_create_view(request: HttpRequest) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    form = SlaPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = sla_policy_create(by=user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": policy.name})
            return redirect("service:sla_policies")
    return _policy_form_page(request, form, None)


def _policy(pk: int) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise Http404(_("No such SLA policy."))
    return policy


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    policy = _policy(pk)
    form = SlaPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            sla_policy_update(policy=policy, by=user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("service:sla_policies")
    return _policy_form_page(request, form, policy)


@login_required
@require_POST
def sla_policy_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    policy = _policy(pk)
    name = policy.name
    if sla_policy_delete(policy=policy, by=user):
        messages.success(request, _("“%(name)s” was removed.") % {"name": name})
    else:
        messages.info(
            request,
            _("Tickets were held to “%(name)s”, so it was deactivated instead of removed.") % {"name": name},
        )
    return redirect("service:sla_policies")


@login_required
@require_POST
def sla_policy_move(request: HttpRequest, pk: int) -> HttpResponse:
    """One place up or down in the order the policies are tried."""
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    policy = _policy(pk)
    ids = list(SlaPolicy.objects.order_by("position", "id").values_list("pk", flat=True))
    moved = position_move(ids=ids, pk=policy.pk, up=request.POST.get("direction") == "up")
    if moved is not None:
        sla_policy_reorder(by=user, ids=moved)
    return redirect("service:sla_policies")


# --- the working calendar ---------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    text = (request.GET.get("year") or request.POST.get("year") or "").strip()
    if text.isdigit() and 1300 <= int(text) <= 1500:
        return int(text)
    return current_jalali_year()


def _calendar_page(
    request: HttpRequest,
    user: User,
    *,
    settings_form: ServiceSettingsForm | None = None,
    holiday_form: HolidayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    year = _year(request)
    row = service_settings()
    calculator = DueTimeForm(request.GET if "calc-minutes" in request.GET else None)
    result: dict[str, Any] | None = None
    if calculator.is_bound and calculator.is_valid():
        data = calculator.cleaned_data
        start = timezone.make_aware(dt.datetime.combine(data["start_date"], data["start_time"]))
        try:
            result = {"start": start, "minutes": data["minutes"], "due": due_time(start=start, minutes=data["minutes"])}
        except (ValidationError, ValueError) as exc:
            calculator.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
    holidays = [(holiday, format_date_long(holiday.date)) for holiday in holiday_list(year=year)]
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "holidays": holidays,
        "official_years": official_holiday_years(),
        "settings_form": settings_form or ServiceSettingsForm(row=row),
        "holiday_form": holiday_form or HolidayForm(),
        "calculator": calculator,
        "result": result,
        "can_edit": user.is_admin_role,
    }
    return render(request, "service/sla_calendar.html", context, status=status)


@login_required
@require_GET
def service_calendar(request: HttpRequest) -> HttpResponse:
    try:
        user = _reader(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    return _calendar_page(request, user)


def _back(year: int) -> HttpResponse:
    return redirect(f"{reverse('service:service_calendar')}?year={year}")


@login_required
@require_POST
def service_settings_save(request: HttpRequest) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    form = ServiceSettingsForm(request.POST, row=service_settings())
    if form.is_valid():
        try:
            service_settings_update(by=user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The desk's settings were saved."))
            return _back(_year(request))
    return _calendar_page(request, user, settings_form=form)


@login_required
@require_POST
def holiday_create(request: HttpRequest) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = holiday_add(by=user, date=form.cleaned_data["date"], name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(date)s is a holiday now.") % {"date": format_date_long(holiday.date)})
            return _back(_year(request))
    return _calendar_page(request, user, holiday_form=form)


@login_required
@require_POST
def holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    holiday = Holiday.objects.filter(pk=pk).first()
    if holiday is None:
        raise Http404(_("No such holiday."))
    day = format_date_long(holiday.date)
    holiday_remove(by=user, holiday=holiday)
    messages.success(request, _("%(date)s is a working day now.") % {"date": day})
    return _back(_year(request))


@login_required
@require_POST
def holidays_load(request: HttpRequest) -> HttpResponse:
    try:
        user = _admin(request)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    year = _year(request)
    try:
        result = holidays_load_year(by=user, year=year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The official holidays of %(year)s were loaded: %(added)d added, %(kept)d already listed.")
            % {"year": result.year, "added": result.added, "kept": result.kept},
        )
    return _back(year)
