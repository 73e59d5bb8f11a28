"""Quote pages: the list, a quote with its revisions, the new/edit/revise form with the line editor, sending it
by e-mail, the PDF, and the customer's answer. Thin views over the quote selectors and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.selectors import users_visible_to
from peyvand.core.forms import date_input_text
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.words import number_to_words
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales import quote_selectors as selectors
from peyvand.sales.line_forms import LineEditor, line_initial
from peyvand.sales.models import Quote, QuoteStatus
from peyvand.sales.quote_forms import QuoteForm, QuoteRejectForm, QuoteSendForm
from peyvand.sales.services import ConflictError
from peyvand.sales.services import quotes as services
from peyvand.sales.services.quotes import quote_valid_until_default

STATUS_FILTERS = [
    (QuoteStatus.DRAFT, QuoteStatus.DRAFT.label),
    (QuoteStatus.SENT, QuoteStatus.SENT.label),
    (QuoteStatus.ACCEPTED, QuoteStatus.ACCEPTED.label),
    (QuoteStatus.REJECTED, QuoteStatus.REJECTED.label),
    (QuoteStatus.EXPIRED, QuoteStatus.EXPIRED.label),
    (QuoteStatus.SUPERSEDED, QuoteStatus.SUPERSEDED.label),
]


def _quote_or_404(request: HttpRequest, pk: int) -> Quote:
    # Another team's quote and a missing one look the same: neither exists for this user.
    try:
        return selectors.quote_get(user=current_user(request), pk=pk)
    except Quote.DoesNotExist:
        raise Http404(_("No such quote.")) from None


@dataclass(frozen=True)
class QuoteFilters:
    customer: int | None = None
    owner: int | None = None
    status: str = ""
    q: str = ""
    all_revisions: bool = False
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> QuoteFilters:
        status = params.get("status", "")
        return cls(
            customer=query_int(params, "customer"),
            owner=query_int(params, "owner"),
            status=status if status in QuoteStatus.values else "",
            q=(params.get("q") or "").strip()[:200],
            all_revisions=params.get("revisions") == "all",
            cursor=(params.get("cursor") or "").strip()[:500],
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.customer or self.owner or self.status or self.q or self.all_revisions)

    def where(self) -> Any:
        return selectors.quote_filter(
            customer_id=self.customer,
            owner_id=self.owner,
            status=self.status or None,
            text=self.q,
            # Superseded revisions are history: shown when asked for, or when filtering for them.
            latest_only=not self.all_revisions and self.status != QuoteStatus.SUPERSEDED,
        )


@login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = QuoteFilters.from_query(request.GET)
    listing = list_page(
        request,
        lambda cursor: selectors.quote_list(
            user=user, where=filters.where(), cursor=cursor, limit=settings.PEYVAND_PAGE_SIZE
        ),
    )
    customer = customers_visible_to(user).filter(pk=filters.customer).first() if filters.customer else None
    context = {
        **listing.context(),
        "filters": filters,
        "customer": customer,
        "owners": users_visible_to(user).order_by("first_name", "last_name", "username"),
        "statuses": STATUS_FILTERS,
    }
    return render(request, "sales/quote_list.html", context)


def _detail_context(request: HttpRequest, quote: Quote, reject_form: QuoteRejectForm | None = None) -> dict[str, Any]:
    user = current_user(request)
    expired = services.quote_is_expired(quote)
    latest = quote.status != QuoteStatus.SUPERSEDED
    order = getattr(quote, "order", None) if quote.status == QuoteStatus.ACCEPTED else None
    return {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "revisions": selectors.quote_revisions(user=user, quote=quote),
        "expired": expired,
        "can_edit": quote.status in services.EDITABLE,
        "can_revise": quote.status in services.REVISABLE,
        "can_send": quote.status in services.SENDABLE and not expired,
        "can_decide": quote.status in services.DECIDABLE and latest,
        "can_accept": quote.status in services.DECIDABLE and not expired,
        "order": order,
        "total_in_words": number_to_words(quote.total, translation.get_language() or "fa"),
        "vat_percent": quote.vat_rate_bp / 100,
        "reject_form": reject_form or QuoteRejectForm(),
    }


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    return render(request, "sales/quote_detail.html", _detail_context(request, quote))


def _save_form(
    request: HttpRequest,
    *,
    customer: Customer,
    form: QuoteForm,
    editor: LineEditor,
    save: Any,
) -> Quote | None:
    """Run `save(data)` with the form's fields and the editor's lines; put the services' errors back on the form
    and the rows. None when something was refused."""
    form_ok = form.is_valid()
    lines_ok = editor.is_valid()
    if not (form_ok and lines_ok):
        return None
    data = form.service_data()
    data["lines"] = editor.lines()
    try:
        result: Quote = save(data)
    except ValidationError as exc:
        rest = editor.add_service_errors(exc)
        if rest is not None:
            form.add_service_errors(rest)
        if not form.errors:
            # Row errors alone still need the banner at the top of the form.
            form.add_error(None, _("Some lines are not valid."))
        return None
    return result


def _form_page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "sales/quote_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    params = request.POST if request.method == "POST" else request.GET
    customer_id = query_int(params, "customer")
    customer = customers_visible_to(user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        # A quote is made from its customer's page; an unknown or unseen customer is not there to offer to.
        raise Http404(_("No such customer."))
    initial: dict[str, Any] = {"valid_until": date_input_text(quote_valid_until_default())}
    if (deal_id := query_int(request.GET, "deal")) is not None:
        initial["deal"] = str(deal_id)
    form = QuoteForm(request.POST or None, user=user, customer=customer, initial=initial)
    editor = LineEditor(request.POST or None)
    if request.method == "POST":
        quote = _save_form(
            request,
            customer=customer,
            form=form,
            editor=editor,
            save=lambda data: services.quote_create(by=user, data={**data, "customer_id": customer.pk}),
        )
        if quote is not None:
            messages.success(
                request, _("The quote %(number)s was saved as a draft.") % {"number": quote.display_number}
            )
            return redirect("sales:quote_detail", pk=quote.pk)
    context = {"form": form, "editor": editor, "customer": customer, "quote": None, "mode": "create"}
    return _form_page(request, context, status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    quote = _quote_or_404(request, pk)
    if quote.status not in services.EDITABLE:
        messages.warning(request, _("Only a draft can be changed; revise the quote to offer something else."))
        return redirect("sales:quote_detail", pk=quote.pk)
    form = QuoteForm(request.POST or None, user=user, customer=quote.customer, quote=quote, editing=True)
    editor = LineEditor(request.POST or None, initial=line_initial(quote.lines.all()))
    status = 200
    if request.method == "POST":
        try:
            saved = _save_form(
                request,
                customer=quote.customer,
                form=form,
                editor=editor,
                save=lambda data: services.quote_update(
                    quote=quote, by=user, version=form.cleaned_data["version"], data=data
                ),
            )
        except ConflictError:
            current = _quote_or_404(request, pk)
            form = QuoteForm(request.POST, user=user, customer=current.customer, quote=current, editing=True)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else changed this quote while you were editing it, so your changes were not saved. "
                    "Open it again to see theirs."
                ),
            )
            saved, status = None, 409
        if saved is not None:
            messages.success(request, _("The quote %(number)s was saved.") % {"number": saved.display_number})
            return redirect("sales:quote_detail", pk=saved.pk)
        status = status if status != 200 else 422
    context = {"form": form, "editor": editor, "customer": quote.customer, "quote": quote, "mode": "edit"}
    return _form_page(request, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def quote_revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The revised proposal: the form starts from this quote; saving makes the next revision."""
    user = current_user(request)
    quote = _quote_or_404(request, pk)
    if quote.status not in services.REVISABLE:
        messages.warning(request, _("Only the latest revision of a quote, not yet accepted, can be revised."))
        return redirect("sales:quote_detail", pk=quote.pk)
    initial = {"issue_date": "", "valid_until": ""}
    if quote.valid_until is not None:
        initial["valid_until"] = date_input_text(quote_valid_until_default())
    form = QuoteForm(request.POST or None, user=user, customer=quote.customer, quote=quote, initial=initial)
    editor = LineEditor(request.POST or None, initial=line_initial(quote.lines.all()))
    if request.method == "POST":
        new = _save_form(
            request,
            customer=quote.customer,
            form=form,
            editor=editor,
            save=lambda data: services.quote_revise(quote=quote, by=user, data=data),
        )
        if new is not None:
            messages.success(
                request,
                _("Revision %(revision)s of %(number)s was saved as a draft.")
                % {"revision": new.revision, "number": new.number},
            )
            return redirect("sales:quote_detail", pk=new.pk)
    context = {"form": form, "editor": editor, "customer": quote.customer, "quote": quote, "mode": "revise"}
    return _form_page(request, context, status=422 if request.method == "POST" else 200)


@login_required
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF, in the page's language unless ?lang=fa or ?lang=en asks for the other."""
    from peyvand.sales.pdf import quote_pdf as render_pdf
    from peyvand.sales.pdf import quote_pdf_filename

    quote = _quote_or_404(request, pk)
    lang = request.GET.get("lang")
    response = HttpResponse(
        render_pdf(quote, lang=lang if lang in ("fa", "en") else None), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{quote_pdf_filename(quote)}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    quote = _quote_or_404(request, pk)
    if quote.status not in services.SENDABLE or services.quote_is_expired(quote):
        messages.warning(request, _("This quote cannot be sent: only the latest revision, not expired or decided."))
        return redirect("sales:quote_detail", pk=quote.pk)
    lang = translation.get_language() or "fa"
    initial = {
        "to": services.quote_default_recipient(quote),
        "subject": services.quote_default_subject(quote),
        "message": services.quote_default_message(quote),
        "lang": "fa" if lang.startswith("fa") else "en",
    }
    form = QuoteSendForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("lang") or initial["lang"]
        try:
            # The attachment is printed in the language chosen for it.
            with translation.override(chosen):
                services.quote_send(
                    quote=quote,
                    by=user,
                    to=form.cleaned_data["to"],
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The quote was sent to %(to)s.") % {"to": form.cleaned_data["to"]})
            return redirect("sales:quote_detail", pk=quote.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/quote_send.html", {"form": form, "quote": quote}, status=status)


@login_required
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    try:
        quote = services.quote_accept(quote=quote, by=current_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:quote_detail", pk=quote.pk)
    messages.success(request, _("The quote was accepted and its order placed."))
    return redirect("sales:quote_detail", pk=quote.pk)


@login_required
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    quote = _quote_or_404(request, pk)
    form = QuoteRejectForm(request.POST)
    if form.is_valid():
        try:
            services.quote_reject(quote=quote, by=user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The quote was marked rejected."))
            return redirect("sales:quote_detail", pk=quote.pk)
    return render(request, "sales/quote_detail.html", _detail_context(request, quote, form), status=422)
