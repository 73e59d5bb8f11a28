"""Deal pages (board, list, detail, forms, moves, decision-makers): thin views over selectors and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.accounts.selectors import users_visible_to
from peyvand.core.http import current_user, list_page, query_int
from peyvand.customers.models import Customer, CustomerKind
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import selectors, services
from peyvand.sales.forms import DealContactForm, DealForm
from peyvand.sales.models import Deal, DealContact, Pipeline, StageOutcome

# How many deals each board column shows (the selector's limit); the rest are counted ("12 more") and reached
# through the deal list.
BOARD_LIMIT = selectors.BOARD_COLUMN_LIMIT
PEOPLE_LIMIT = 200


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    # Another team's deal and a missing one look the same: neither exists for this user.
    try:
        return selectors.deal_get(user=current_user(request), pk=pk)
    except Deal.DoesNotExist:
        raise Http404(_("No such deal.")) from None


def _chosen_pipeline(params: QueryDict) -> Pipeline | None:
    pipelines = list(selectors.pipeline_list())
    wanted = query_int(params, "pipeline")
    chosen = next((p for p in pipelines if p.pk == wanted), None)
    return chosen or next((p for p in pipelines if p.is_default), None) or (pipelines[0] if pipelines else None)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_GET
@never_cache  # the same address answers the whole page or, for the board's script, its columns alone
def deal_board(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    pipeline = _chosen_pipeline(request.GET)
    columns = selectors.deal_board(user=user, pipeline=pipeline, limit=BOARD_LIMIT) if pipeline else []
    # Owners for the cards in one query (the board's own reads stop at the customer).
    prefetch_related_objects([deal for column in columns for deal in column.deals], "owner")
    stages = [column.stage for column in columns]
    context: dict[str, Any] = {
        "pipeline": pipeline,
        "columns": [(column, max(column.count - len(column.deals), 0)) for column in columns],
        "stages": stages,
        "now": timezone.now(),
        "board_url": reverse("sales:board") + (f"?pipeline={pipeline.pk}" if pipeline else ""),
    }
    if request.headers.get("X-Board-Fragment") == "columns":
        # The board's script asks for the columns again after each move, to show the counts and sums as stored.
        return render(request, "sales/_board_columns.html", context)
    context.update(
        pipelines=selectors.pipeline_list(),
        competitors=selectors.competitor_list()[:500],
    )
    return render(request, "sales/deal_board.html", context)


def _move_answer(request: HttpRequest, *, status: int, message: str, deal: Deal | None = None) -> HttpResponse:
    """The board's script gets JSON (and then reloads the columns); a plain form post a message and a redirect."""
    if _wants_json(request):
        return JsonResponse(
            {"ok": status == 200, "message": message, "version": deal.version if deal is not None else None},
            status=status,
        )
    (messages.success if status == 200 else messages.error)(request, message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("sales:board")
    return redirect(target)


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to another stage: from a drop on the board, the "Move to…" control, or the deal's page."""
    user = current_user(request)
    try:
        deal = selectors.deal_get(user=user, pk=pk)
    except Deal.DoesNotExist:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": _("No such deal.")}, status=404)
        raise Http404(_("No such deal.")) from None
    version = query_int(request.POST, "version")
    stage_id = query_int(request.POST, "stage_id")
    if version is None or stage_id is None:
        return _move_answer(request, status=422, message=_("Choose the stage to move the deal to."), deal=deal)
    try:
        deal = services.deal_move(
            deal=deal,
            by=user,
            version=version,
            stage_id=stage_id,
            lost_reason=request.POST.get("lost_reason", "")[:2000],
            lost_to_id=query_int(request.POST, "lost_to_id"),
        )
    except services.ConflictError:
        message = _(
            "Someone else changed the deal “%(title)s” after you opened this page, so it was not moved. It now "
            "shows its current state: look at it again and move it if you still want to."
        ) % {"title": deal.title}
        return _move_answer(request, status=409, message=message, deal=deal)
    except ValidationError as exc:
        text = " ".join(exc.messages)
        return _move_answer(
            request, status=422, message=_("The deal was not moved: %(why)s") % {"why": text}, deal=deal
        )
    message = _("“%(title)s” is now in %(stage)s.") % {"title": deal.title, "stage": deal.stage.label}
    return _move_answer(request, status=200, message=message, deal=deal)


@dataclass(frozen=True)
class DealFilters:
    pipeline: int | None = None
    stage: int | None = None
    owner: int | None = None
    customer: int | None = None
    status: str = ""
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> DealFilters:
        status = params.get("status", "")
        return cls(
            pipeline=query_int(params, "pipeline"),
            stage=query_int(params, "stage"),
            owner=query_int(params, "owner"),
            customer=query_int(params, "customer"),
            status=status if status in StageOutcome.values else "",
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.pipeline or self.stage or self.owner or self.customer or self.status)

    def where(self) -> Q:
        return selectors.deal_filter(
            pipeline_id=self.pipeline,
            stage_id=self.stage,
            owner_id=self.owner,
            customer_id=self.customer,
            status=self.status or None,
        )


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = DealFilters.from_query(request.GET)
    listing = list_page(
        request,
        lambda cursor: selectors.deal_list(
            user=user, where=filters.where(), cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    prefetch_related_objects(listing.page.items, "owner")
    pipelines = list(selectors.pipeline_list())
    context = {
        **listing.context(),
        "filters": filters,
        "pipelines": pipelines,
        "stage_choices": [(stage, pipeline) for pipeline in pipelines for stage in pipeline.stages.all()],
        "several_pipelines": len(pipelines) > 1,
        "owners": users_visible_to(user).order_by("first_name", "last_name", "username"),
        "statuses": StageOutcome.choices,
        "now": timezone.now(),
    }
    return render(request, "sales/deal_list.html", context)


def _people_for(user: User, customer: Customer) -> list[tuple[int, str]]:
    """Whom a deal's decision-makers are picked from: the customer's own people (or the customer, a person)."""
    people = customers_visible_to(user).filter(kind=CustomerKind.PERSON)
    if customer.kind == CustomerKind.ORGANIZATION:
        people = people.filter(organization=customer)
    else:
        people = people.filter(pk=customer.pk)
    return list(people.order_by("display_name", "id").values_list("id", "display_name")[:PEOPLE_LIMIT])


def _detail_context(request: HttpRequest, deal: Deal, contact_form: DealContactForm | None = None) -> dict[str, Any]:
    user = current_user(request)
    prefetch_related_objects([deal], "owner", "team")
    return {
        "deal": deal,
        "stages": list(deal.pipeline.stages.order_by("position", "id")),
        "contacts": list(deal.contacts.all()),
        "contact_form": contact_form or DealContactForm(people=_people_for(user, deal.customer)),
        "weighted": deal.amount * deal.stage.probability // 100,
        "now": timezone.now(),
    }


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal_or_404(request, pk)
    return render(request, "sales/deal_detail.html", _detail_context(request, deal))


@login_required
@require_POST
def deal_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal_or_404(request, pk)
    user = current_user(request)
    form = DealContactForm(request.POST, people=_people_for(user, deal.customer))
    if form.is_valid():
        try:
            services.deal_contact_set(
                deal=deal, by=user, contact_id=int(form.cleaned_data["contact_id"]), role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The decision-maker was saved."))
            return redirect(reverse("sales:deal_detail", args=[deal.pk]) + "#contacts")
    return render(request, "sales/deal_detail.html", _detail_context(request, deal, form), status=422)


@login_required
@require_POST
def deal_contact_remove(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    deal = _deal_or_404(request, pk)
    try:
        services.deal_contact_remove(deal=deal, by=current_user(request), contact_id=contact_id)
    except DealContact.DoesNotExist:
        raise Http404(_("This person has no role in the deal.")) from None
    messages.success(request, _("The person was removed from the deal."))
    return redirect(reverse("sales:deal_detail", args=[deal.pk]) + "#contacts")


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    customer_id = query_int(request.POST if request.method == "POST" else request.GET, "customer")
    customer = customers_visible_to(user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        # A deal is made from its customer's page; an unknown or unseen customer is not there to sell to.
        raise Http404(_("No such customer."))
    form = DealForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(
                by=user,
                customer_id=customer.pk,
                pipeline_id=query_int(form.cleaned_data, "pipeline"),
                stage_id=query_int(form.cleaned_data, "stage"),
                **form.service_data(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The deal “%(title)s” was saved.") % {"title": deal.title})
            return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form, "deal": None, "customer": customer})


def _conflict_changes(form: DealForm, current: Deal) -> list[tuple[str, str]]:
    """The fields someone else changed to something other than what this user typed: label and stored value,
    shown beside the kept input so the user can decide which to keep."""
    fresh = DealForm(user=form.user, deal=current)
    changes = []
    for name, field in form.fields.items():
        if name == "version":
            continue
        stored = str(fresh.initial.get(name) or "")
        typed = str(form.data.get(name) or "").strip()
        if stored != typed:
            choices = getattr(fresh.fields[name], "choices", None)
            shown = dict(choices).get(stored, stored) if choices else stored
            changes.append((str(field.label), str(shown) or "—"))
    return changes


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    deal = _deal_or_404(request, pk)
    form = DealForm(request.POST or None, user=user, deal=deal)
    conflict: list[tuple[str, str]] | None = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(deal=deal, by=user, version=form.cleaned_data["version"], data=form.service_data())
        except services.ConflictError:
            current = _deal_or_404(request, pk)
            conflict = _conflict_changes(form, current)
            # The user's input stays; saving again is now a deliberate write over the other change.
            data = request.POST.copy()
            data["version"] = str(current.version)
            form = DealForm(data, user=user, deal=current)
            form.is_valid()
            deal, status = current, 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        except Deal.DoesNotExist:
            raise Http404(_("No such deal.")) from None
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("sales:deal_detail", pk=deal.pk)
    context = {"form": form, "deal": deal, "customer": deal.customer, "conflict": conflict}
    return render(request, "sales/deal_form.html", context, status=status)
