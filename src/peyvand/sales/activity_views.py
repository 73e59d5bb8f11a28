"""Activity pages (agenda, team calendar, the activity forms) and the notifications page: thin views over the
activity selectors and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jdatetime
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import Notification, User
from peyvand.accounts.selectors import users_visible_to
from peyvand.accounts.services import notification_mark_read, notifications_mark_all_read
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.jalali import JalaliMonth, month_name, parse_date, week_start
from peyvand.core.text import is_persian
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import activity_selectors as selectors
from peyvand.sales.activity_forms import ActivityCompleteForm, ActivityForm
from peyvand.sales.models import Activity, ActivityStatus, Lead
from peyvand.sales.selectors import deals_visible_to, owned_visible_to
from peyvand.sales.services import activities as services

# Python numbers the days from Monday (0); the Iranian week runs Saturday (5) to Friday (4).
WEEK_ORDER = (5, 6, 0, 1, 2, 3, 4)
FRIDAY = 4
# The Gregorian years the calendar opens on.
CALENDAR_YEARS = (1900, 2200)


def _activity_or_404(request: HttpRequest, pk: int) -> Activity:
    # Someone else's activity and a missing one look the same: neither exists for this user.
    try:
        return selectors.activity_get(user=current_user(request), pk=pk)
    except Activity.DoesNotExist:
        raise Http404(_("No such activity.")) from None


def _safe_next(request: HttpRequest) -> str:
    """The page a form returns to (?next= or the form's own), only if it is on this site: it is also put in a
    link, where anything else (javascript:…, another site) must never go."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else ""


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was sent from (`next`), if it is on this site."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return redirect(target)


def _person(request: HttpRequest, user: User) -> User | None:
    """The colleague chosen with ?person= among those the user may see; None: the user themself / everyone."""
    wanted = query_int(request.GET, "person")
    if not wanted:
        return None
    if wanted == user.pk:
        return user
    return users_visible_to(user).filter(pk=wanted).first()


def _people(user: User) -> list[User]:
    return list(users_visible_to(user).order_by("first_name", "last_name", "username"))


# --- agenda -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    """A person's to-do list: overdue, today, this week, later; and their deals whose next step is overdue."""
    user = current_user(request)
    person = _person(request, user) or user
    found = selectors.agenda(user=user, assigned_to_id=person.pk)
    context = {
        "agenda": found,
        "overdue_count": len(found.overdue) + len(found.overdue_deals),
        "person": person,
        "people": _people(user),
        "now": timezone.now(),
        "today": selectors.local_today(),
        "complete_form": ActivityCompleteForm(),
    }
    return render(request, "sales/agenda.html", context)


# --- calendar ---------------------------------------------------------------------------------------------


def _anchor(request: HttpRequest) -> dt.date:
    """The day the calendar opens on: ?day= (Jalali or ISO), else today."""
    text = (request.GET.get("day") or "").strip()[:20]
    if text:
        try:
            day = parse_date(text)
        except (ValueError, TypeError):
            day = None
        # Far from now the calendars' arithmetic runs out (jdatetime stops at Jalali year 1, Python at 9999).
        if day is not None and CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]:
            return day
        messages.warning(request, _("That date could not be read; showing today."))
    return selectors.local_today()


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """The team's calendar: a Jalali month (Saturday to Friday) or one week, optionally of one person."""
    user = current_user(request)
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _anchor(request)
    person = _person(request, user)
    if view == "month":
        shown = JalaliMonth.of(day)
        days = selectors.month_days(shown.year, shown.month)
        month: tuple[int, int] | None = (shown.year, shown.month)
        previous, following = shown.shifted(-1).first_day, shown.shifted(1).first_day
        title = f"{month_name(shown.month)} {shown.year}"
    else:
        start = week_start(day)
        days = [start + dt.timedelta(days=n) for n in range(7)]
        month = None
        previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
        first, last = jdatetime.date.fromgregorian(date=days[0]), jdatetime.date.fromgregorian(date=days[-1])
        if first.month == last.month:
            title = f"{first.day}–{last.day} {month_name(first.month)} {first.year}"
        else:
            title = (
                f"{first.day} {month_name(first.month)}"
                f"{' ' + str(first.year) if first.year != last.year else ''} – "
                f"{last.day} {month_name(last.month)} {last.year}"
            )
    cells = selectors.calendar_days(user=user, days=days, assigned_to_id=person.pk if person else None, month=month)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    query = f"&person={person.pk}" if person else ""
    context: dict[str, Any] = {
        "view": view,
        "weeks": weeks,
        "weekdays": [(WEEKDAYS[n], WEEKDAYS_ABBR[n], n == FRIDAY) for n in WEEK_ORDER],
        "title": title,
        "person": person,
        "people": _people(user),
        "previous_url": f"?view={view}&day={previous.isoformat()}{query}",
        "next_url": f"?view={view}&day={following.isoformat()}{query}",
        "today_url": f"?view={view}{query}",
        "other_view_url": f"?view={'week' if view == 'month' else 'month'}&day={day.isoformat()}{query}",
        "day": day,
        "is_persian": is_persian(),
        "now": timezone.now(),
    }
    return render(request, "sales/calendar.html", context)


# --- forms ------------------------------------------------------------------------------------------------


def _links_from(request: HttpRequest, user: User) -> dict[str, Any]:
    """What a new activity is planned against, from ?customer=, ?deal=, ?lead= (or the form's hidden fields);
    each must be the user's to see."""
    params = request.POST if request.method == "POST" else request.GET
    links: dict[str, Any] = {}
    customer_id, deal_id, lead_id = query_int(params, "customer"), query_int(params, "deal"), query_int(params, "lead")
    if deal_id:
        links["deal"] = deals_visible_to(user).select_related("customer").filter(pk=deal_id).first()
        if links["deal"] is None:
            raise Http404(_("No such deal."))
    if customer_id:
        links["customer"] = customers_visible_to(user).filter(pk=customer_id).first()
        if links["customer"] is None:
            raise Http404(_("No such customer."))
    if lead_id:
        links["lead"] = owned_visible_to(Lead.objects.all(), user).filter(pk=lead_id).first()
        if links["lead"] is None:
            raise Http404(_("No such lead."))
    return links


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    links = _links_from(request, user)
    form = ActivityForm(request.POST or None, user=user, kind=request.GET.get("kind"))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.service_data()
            for name in ("customer", "deal", "lead"):
                if links.get(name) is not None:
                    data[f"{name}_id"] = links[name].pk
            try:
                activity = services.activity_create(by=user, data=data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The activity “%(subject)s” was planned.") % {"subject": activity.subject})
                return _back(request, reverse("sales:activity_detail", args=[activity.pk]))
        status = 422
    context = {"form": form, "activity": None, "next": _safe_next(request), **links}
    return render(request, "sales/activity_form.html", context, status=status)


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(request, pk)
    context = {"activity": activity, "complete_form": ActivityCompleteForm(), "now": timezone.now()}
    return render(request, "sales/activity_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    activity = _activity_or_404(request, pk)
    if activity.status != ActivityStatus.PLANNED:
        messages.warning(request, _("A done or cancelled activity cannot be changed."))
        return redirect("sales:activity_detail", pk=activity.pk)
    form = ActivityForm(request.POST or None, user=user, activity=activity)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.activity_update(activity=activity, by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            except Activity.DoesNotExist:
                raise Http404(_("No such activity.")) from None
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("sales:activity_detail", pk=activity.pk)
        status = 422
    context = {
        "form": form,
        "activity": activity,
        "customer": activity.customer,
        "deal": activity.deal,
        "lead": activity.lead,
        "next": "",
    }
    return render(request, "sales/activity_form.html", context, status=status)


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    activity = _activity_or_404(request, pk)
    form = ActivityCompleteForm(request.POST)
    outcome = form.cleaned_data["outcome"] if form.is_valid() else ""
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, reverse("sales:activity_detail", args=[activity.pk]))
    try:
        services.activity_complete(activity=activity, by=user, outcome=outcome)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if activity.customer_id or activity.lead_id:
            messages.success(request, _("“%(subject)s” is done and on the timeline.") % {"subject": activity.subject})
        else:
            messages.success(request, _("“%(subject)s” is done.") % {"subject": activity.subject})
    return _back(request, reverse("sales:activity_detail", args=[activity.pk]))


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    activity = _activity_or_404(request, pk)
    try:
        services.activity_cancel(activity=activity, by=user, reason=request.POST.get("reason", "")[:20000])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(subject)s” was cancelled.") % {"subject": activity.subject})
    return _back(request, reverse("sales:activity_detail", args=[activity.pk]))


# --- notifications ----------------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    unread = request.GET.get("unread") == "1"
    listing = list_page(
        request, lambda cursor: selectors.notification_list(user=user, unread=unread, cursor=cursor, limit=50)
    )
    context = {
        **listing.context(),
        "unread_only": unread,
        "unread": selectors.unread_count(user),
    }
    return render(request, "sales/notifications.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read; with open=1, go where it leads."""
    user = current_user(request)
    try:
        notification = notification_mark_read(notification=selectors.notifications_of(user).get(pk=pk), by=user)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    if request.POST.get("open") == "1" and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return _back(request, reverse("sales:notifications"))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(by=current_user(request))
    if marked:
        messages.success(request, _("All notifications were marked read."))
    return _back(request, reverse("sales:notifications"))
