"""Ticket pages: the queue, the new-ticket form, and the ticket with its conversation and actions; thin views
over the ticket selectors and services (the category pages are in ticket_category_views)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import Team, User
from peyvand.core.downloads import stored_file_download
from peyvand.core.errors import ConflictError
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.text import search_key
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.service import ticket_selectors as selectors
from peyvand.service.calendar import working_calendar
from peyvand.service.models import (
    OPEN_STATUSES,
    MessageKind,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.selectors import tickets_visible_to
from peyvand.service.services import tickets as services
from peyvand.service.services.tickets.common import TRANSITIONS
from peyvand.service.ticket_clocks import queue_clock, ticket_clocks
from peyvand.service.ticket_forms import (
    AssignForm,
    AttachmentForm,
    MessageForm,
    StatusForm,
    TicketForm,
    answer_fields,
)

# The queue's tabs, in order: every open ticket, then each status.
TABS = ("open", *TicketStatus.values, "all")
# What each history event is called on the page (events of other parts keep their own name).
EVENT_LABELS = {
    "created": _l("Opened"),
    "routed": _l("Routed"),
    "assigned": _l("Assigned"),
    "status": _l("Status"),
    "reopened": _l("Reopened"),
    "priority": _l("Priority"),
    "category": _l("Category"),
    "fields": _l("Details"),
    "updated": _l("Edited"),
    "message": _l("Message"),
    "attachment": _l("File"),
    "follows": _l("Follows an earlier ticket"),
    "followed_up": _l("Followed by a new ticket"),
    "sla_warning": _l("SLA warning"),
    "sla_breach": _l("SLA missed"),
    "escalated": _l("Escalated"),
    "automation": _l("Automation"),
    "notified": _l("Customer notified"),
    "satisfaction": _l("Satisfaction"),
}

# --- the queue --------------------------------------------------------------------------------------------


def _filters_from(params: QueryDict) -> selectors.TicketFilters:
    status = params.get("status", "open")
    status = status if status in TABS else "open"
    assignee = params.get("assignee", "")
    return selectors.TicketFilters(
        # "all": no status filter.
        status="" if status == "all" else status,
        team_id=query_int(params, "team"),
        assignee=assignee if assignee in ("mine", "unassigned") or (assignee.isdigit() and len(assignee) < 19) else "",
        category_id=query_int(params, "category"),
        priority=params.get("priority", "") if params.get("priority", "") in TicketPriority.values else "",
        kind=params.get("kind", "") if params.get("kind", "") in TicketKind.values else "",
        customer_id=query_int(params, "customer"),
        q=(params.get("q") or "").strip()[:200],
    )


def _tab_query(params: QueryDict, status: str) -> str:
    query = params.copy()
    query.pop("cursor", None)
    query["status"] = status
    return query.urlencode()


@login_required
@require_GET
def ticket_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = _filters_from(request.GET)
    order = request.GET.get("order", "urgent")
    order = order if order in selectors.TICKET_ORDERS else "urgent"
    listing = list_page(
        request,
        lambda cursor: selectors.ticket_list(
            user=user, filters=filters, order=order, cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    now, calendar = timezone.now(), working_calendar()
    counts = selectors.ticket_counts(user=user, filters=filters)
    labels = {"open": _("Open"), **dict(TicketStatus.choices), "all": _("All")}
    counts["all"] = sum(counts[s] for s in TicketStatus.values)
    cap = selectors.COUNT_CAP
    context = {
        **listing.context(),
        "rows": [(t, queue_clock(t, now, calendar)) for t in listing.page.items],
        "filters": filters,
        "tab": filters.status or "all",
        "order": order,
        # A count past the cap (resolved and closed tickets are counted only so far) is shown as "999+".
        "tabs": [
            (s, labels[s], min(counts.get(s, 0), cap), counts.get(s, 0) > cap, _tab_query(request.GET, s)) for s in TABS
        ],
        "categories": [(c.pk, "— " * c.depth + c.label) for c in selectors.category_tree()],
        "teams": list(Team.objects.all()),
        "priorities": TicketPriority.choices,
        "kinds": TicketKind.choices,
        "people": list(selectors.ticket_queue_users(user)),
        "is_filtered": any(
            (
                filters.team_id,
                filters.assignee,
                filters.category_id,
                filters.priority,
                filters.kind,
                filters.customer_id,
                filters.q,
            )
        ),
    }
    return render(request, "service/ticket_queue.html", context)


# --- a new ticket -----------------------------------------------------------------------------------------


def _category_of(params: QueryDict) -> TicketCategory | None:
    pk = query_int(params, "category")
    return TicketCategory.objects.filter(pk=pk, is_active=True).first() if pk else None


def _customer_of(user: User, params: QueryDict) -> Customer | None:
    pk = query_int(params, "customer")
    return customers_visible_to(user).filter(pk=pk).first() if pk else None


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    """A new ticket; from a customer's page (?customer=) for that customer, otherwise for a contact or a customer
    found with the search box."""
    user = current_user(request)
    params = request.POST if request.method == "POST" else request.GET
    customer = _customer_of(user, params)
    category = _category_of(params)
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, user=user, customer=customer, category=category)
        if form.is_valid():
            try:
                files = form.cleaned_data.get("attachments") or []
                # Checked before the ticket is opened: a refused file leaves nothing half-made.
                services.check_attachments(files)
                ticket = services.ticket_create(by=user, data=form.service_data(), channel=form.cleaned_data["channel"])
                for upload in files:
                    services.ticket_attachment_add(ticket=ticket, by=user, upload=upload)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Ticket %(number)s was opened.") % {"number": ticket.number})
                if tickets_visible_to(user).filter(pk=ticket.pk).exists():
                    return redirect("service:ticket_detail", pk=ticket.pk)
                # Routing gave it to a desk this person cannot see.
                return redirect("service:queue")
        status = 422
    else:
        form = TicketForm(
            initial={"customer": customer.pk if customer else None, "category": category.pk if category else ""},
            user=user,
            customer=customer,
            category=category,
        )
    context = {"form": form, "customer": customer, "category": category}
    return render(request, "service/ticket_form.html", context, status=status)


@login_required
@require_GET
def ticket_category_fields(request: HttpRequest) -> HttpResponse:
    """The chosen category's template fields (HTMX swaps them into the form)."""
    user = current_user(request)
    form = TicketForm(user=user, customer=None, category=_category_of(request.GET))
    fields = [form[name] for name in form.answer_names]
    return render(request, "service/_category_fields.html", {"answer_fields": fields})


@login_required
@require_GET
def ticket_customer_search(request: HttpRequest) -> HttpResponse:
    """Customers the user may see whose name holds the text (the new-ticket form's customer picker)."""
    user = current_user(request)
    key = search_key((request.GET.get("q") or "")[:100])
    found = (
        list(customers_visible_to(user).filter(search_key__contains=key).order_by("display_name")[:10]) if key else []
    )
    return render(request, "service/ticket_customer_choices.html", {"customers": found})


# --- the ticket -------------------------------------------------------------------------------------------


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    # Another team's ticket and a missing one look the same: neither exists for this user.
    try:
        return selectors.ticket_get(user=current_user(request), pk=pk)
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None


def _detail(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = current_user(request)
    allowed = set(TRANSITIONS.get(ticket.status, frozenset()))
    if user.is_admin_role and ticket.status != TicketStatus.CLOSED:
        allowed.add(TicketStatus.CLOSED)
    answers = []
    for name, field in answer_fields(ticket.category).items():
        value = ticket.fields.get(name[2:])
        if value is not None:
            if isinstance(value, bool):
                value = _("Yes") if value else _("No")
            answers.append((field.label, value))
    context = {
        "ticket": ticket,
        "clocks": ticket_clocks(ticket),
        "thread": selectors.ticket_thread(ticket),
        "attachments": selectors.ticket_attachments(ticket),
        "history": [(event, EVENT_LABELS.get(event.kind, event.kind)) for event in selectors.ticket_history(ticket)],
        "answers": answers,
        "message_form": forms.get("message_form") or MessageForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            initial={"version": ticket.version, "assignee": ticket.assignee_id or ""},
            user=user,
        ),
        "status_form": forms.get("status_form") or StatusForm(initial={"version": ticket.version}),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "next_statuses": [(s, TicketStatus(s).label) for s in TicketStatus.values if s in allowed],
        "kinds": MessageKind,
        "is_closed": ticket.status == TicketStatus.CLOSED,
        "is_open": ticket.status in OPEN_STATUSES,
        "kb_url": "/api/v1/kb/articles",
    }
    return render(request, "service/ticket_detail.html", context, status=status)


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _ticket_or_404(request, pk))


def _conflict(request: HttpRequest, ticket: Ticket, exc: ConflictError) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("service:ticket_detail", pk=ticket.pk)


@login_required
@require_POST
def ticket_message(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box: a reply, an internal note, a reply that sets the ticket waiting, or one that resolves it."""
    ticket = _ticket_or_404(request, pk)
    user = current_user(request)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        action = data["action"]
        files = data.get("attachments") or []
        try:
            if action == "note":
                services.ticket_note(ticket=ticket, by=user, body=data["body"], attachments=files)
            else:
                services.ticket_reply(
                    ticket=ticket,
                    by=user,
                    body=data["body"],
                    kb_article=data.get("kb_article"),
                    attachments=files,
                    set_status={"waiting": TicketStatus.WAITING, "resolve": TicketStatus.RESOLVED}.get(action),
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The note was added.") if action == "note" else _("The reply was sent."))
            return redirect(reverse("service:ticket_detail", args=[ticket.pk]) + "#thread")
    return _detail(request, ticket, status=422, message_form=form)


@login_required
@require_POST
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    user = current_user(request)
    form = AssignForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_assign(
                ticket=ticket,
                by=user,
                version=data["version"],
                team=int(data["team"]) if data.get("team") else None,
                assignee=int(data["assignee"]) if data.get("assignee") else None,
            )
        except ConflictError as exc:
            return _conflict(request, ticket, exc)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The ticket was assigned."))
            if tickets_visible_to(user).filter(pk=ticket.pk).exists():
                return redirect("service:ticket_detail", pk=ticket.pk)
            return redirect("service:queue")
    return _detail(request, ticket, status=422, assign_form=form)


@login_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_set_status(
                ticket=ticket,
                by=current_user(request),
                status=data["status"],
                version=data["version"],
                resolution=data.get("resolution") or "",
            )
        except ConflictError as exc:
            return _conflict(request, ticket, exc)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The status was changed."))
            return redirect("service:ticket_detail", pk=ticket.pk)
    return _detail(request, ticket, status=422, status_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    user = current_user(request)
    params = request.POST if request.method == "POST" else request.GET
    category = _category_of(params) if "category" in params else ticket.category
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, user=user, customer=ticket.customer, category=category, editing=True)
        version = query_int(request.POST, "version") or 0
        if form.is_valid():
            try:
                services.ticket_update(ticket=ticket, by=user, version=version, data=form.service_data())
            except ConflictError as exc:
                return _conflict(request, ticket, exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The ticket was saved."))
                return redirect("service:ticket_detail", pk=ticket.pk)
        status = 422
    else:
        initial: dict[str, Any] = {
            "kind": ticket.kind,
            "category": ticket.category_id or "",
            "priority": ticket.priority,
            "subject": ticket.subject,
            "description": ticket.description,
            "order": ticket.order_id or "",
            "contract": ticket.contract_id or "",
        }
        for key, value in ticket.fields.items():
            initial[f"f_{key}"] = ("yes" if value else "no") if isinstance(value, bool) else value
        form = TicketForm(initial=initial, user=user, customer=ticket.customer, category=category, editing=True)
    context = {"form": form, "ticket": ticket, "customer": ticket.customer, "category": category}
    return render(request, "service/ticket_form.html", context, status=status)


@login_required
@require_POST
def ticket_attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_attachment_add(ticket=ticket, by=current_user(request), upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The file was attached."))
            return redirect(reverse("service:ticket_detail", args=[ticket.pk]) + "#files")
    return _detail(request, ticket, status=422, attachment_form=form)


@login_required
@require_GET
def ticket_attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """The only way to a ticket's file: the ticket's scope is checked first (there is no public media URL)."""
    try:
        row = selectors.attachment_get(user=current_user(request), ticket_id=pk, attachment_id=attachment_id)
    except TicketAttachment.DoesNotExist:
        raise Http404(_("No such file.")) from None
    return stored_file_download(
        request,
        row.file,
        filename=row.name,
        content_type=row.content_type,
        missing=_("The file is missing from the storage."),
    )
