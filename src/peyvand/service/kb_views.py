"""Knowledge-base pages: search (live results with HTMX), an article, the editor, sections, and the suggestions
a ticket form shows as the customer types. Thin views over kb_selectors and kb_services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.accounts.models import User
from peyvand.core.errors import ConflictError
from peyvand.core.http import current_user, list_page, query_int
from peyvand.service import kb_selectors
from peyvand.service.kb_forms import ArticleForm, SectionForm
from peyvand.service.kb_markdown import markdown_plain, render_markdown
from peyvand.service.kb_services import (
    can_write_kb,
    kb_article_archive,
    kb_article_create,
    kb_article_publish,
    kb_article_update,
    kb_article_viewed,
    kb_article_vote,
    kb_section_create,
    kb_section_delete,
    kb_section_update,
)
from peyvand.service.models import KbArticle, KbAudience, KbCategory, KbStatus

# The votes a browser session has given, so a reader is asked once per article.
VOTED_SESSION_KEY = "kb_voted"


def _article_or_404(user: User, pk: int) -> KbArticle:
    try:
        return kb_selectors.kb_article_get(user=user, pk=pk)
    except KbArticle.DoesNotExist:
        raise Http404(_("No such article.")) from None


def _require_writer(user: User) -> None:
    if not can_write_kb(user):
        raise PermissionDenied(_("Only a manager or an administrator can change the knowledge base."))


def _with_excerpts(articles: list[KbArticle]) -> list[KbArticle]:
    """Give each article the plain-text start of its text that lists show (templates cannot strip Markdown)."""
    for article in articles:
        article.excerpt = markdown_plain(article.body)  # type: ignore[attr-defined]
    return articles


@dataclass(frozen=True)
class KbFilters:
    q: str = ""
    language: str = ""
    audience: str = ""
    section: int | None = None
    status: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> KbFilters:
        language = params.get("language", "")
        audience = params.get("audience", "")
        status = params.get("status", "")
        return cls(
            q=(params.get("q") or "").strip()[:200],
            language=language if language in dict(settings.LANGUAGES) else "",
            audience=audience if audience in KbAudience.values else "",
            section=query_int(params, "section"),
            status=status if status in KbStatus.values else "",
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.language or self.audience or self.section or self.status)


@login_required
@require_GET
def kb_home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filters = KbFilters.from_query(request.GET)
    listing = list_page(
        request,
        lambda cursor: kb_selectors.kb_search(
            user=user,
            text=filters.q,
            audience=filters.audience or None,
            language=filters.language or None,
            section=filters.section,
            status=filters.status or None,
            cursor=cursor,
            limit=settings.PEYVAND_PAGE_SIZE,
        ),
    )
    _with_excerpts(listing.page.items)
    context = {**listing.context(), "filters": filters, "can_write": can_write_kb(user)}
    # A live search swaps the results only; going back in history asks for the whole page again.
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "service/_kb_results.html", context)
        patch_vary_headers(response, ("HX-Request",))
        return response
    visible = Q(articles__status=KbStatus.PUBLISHED) if not can_write_kb(user) else Q()
    context.update(
        {
            "sections": KbCategory.objects.annotate(count=Count("articles", filter=visible)).order_by("position", "id"),
            "languages": settings.LANGUAGES,
            "audiences": KbAudience.choices,
            "statuses": KbStatus.choices,
        }
    )
    response = render(request, "service/kb.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = _article_or_404(user, pk)
    kb_article_viewed(article)
    voted = request.session.get(VOTED_SESSION_KEY, [])
    context = {
        "article": article,
        "body_html": render_markdown(article.body),
        "can_write": can_write_kb(user),
        "voted": article.pk in voted,
        "ticket_categories": list(article.ticket_categories.order_by("path")),
    }
    return render(request, "service/kb_article.html", context)


@login_required
@require_POST
def kb_vote(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(current_user(request), pk)
    voted: list[int] = list(request.session.get(VOTED_SESSION_KEY, []))
    if article.pk not in voted:
        try:
            kb_article_vote(article=article, helpful=request.POST.get("helpful") == "yes")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("service:kb_article", pk=article.pk)
        # The last few hundred are enough to stop a double click or a reload from counting twice.
        request.session[VOTED_SESSION_KEY] = [*voted, article.pk][-500:]
    messages.success(request, _("Thank you for your feedback."))
    return redirect("service:kb_article", pk=article.pk)


@login_required
@require_http_methods(["GET", "POST"])
def kb_article_create_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_writer(user)
    form = ArticleForm(request.POST or None, initial={"language": "fa", "audience": KbAudience.STAFF})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                article = kb_article_create(
                    by=user, data=form.service_data(), publish=request.POST.get("publish") == "1"
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The article was saved."))
                return redirect("service:kb_article", pk=article.pk)
    return render(request, "service/kb_article_form.html", {"form": form, "article": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def kb_article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_writer(user)
    article = _article_or_404(user, pk)
    form = ArticleForm(request.POST or None, article=article)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                kb_article_update(
                    article=article,
                    by=user,
                    version=form.cleaned_data.get("version") or 0,
                    data=form.service_data(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except ConflictError as exc:
                status = 409
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("service:kb_article", pk=article.pk)
    return render(request, "service/kb_article_form.html", {"form": form, "article": article}, status=status)


@login_required
@require_POST
def kb_article_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_writer(user)
    article = _article_or_404(user, pk)
    action = request.POST.get("action")
    if action == "publish":
        kb_article_publish(article=article, by=user)
        messages.success(request, _("The article is published."))
    elif action == "archive":
        kb_article_archive(article=article, by=user)
        messages.success(request, _("The article is archived."))
    return redirect("service:kb_article", pk=article.pk)


@login_required
@require_http_methods(["GET", "POST"])
def kb_sections(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_writer(user)
    form = SectionForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "create")
        section_id = query_int(request.POST, "section")
        section = KbCategory.objects.filter(pk=section_id).first() if section_id is not None else None
        if action == "delete" and section is not None:
            kb_section_delete(section=section, by=user)
            messages.success(request, _("The section was removed; its articles are kept."))
            return redirect("service:kb_sections")
        form = SectionForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                if action == "update" and section is not None:
                    kb_section_update(section=section, by=user, data=form.cleaned_data)
                else:
                    kb_section_create(by=user, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The section was saved."))
                return redirect("service:kb_sections")
    sections = KbCategory.objects.annotate(count=Count("articles")).order_by("position", "id")
    return render(request, "service/kb_sections.html", {"form": form, "sections": sections}, status=status)


@login_required
@require_GET
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """The suggestions partial a ticket form swaps into its #kb-suggestions box (HTMX GET with `text`, or
    `subject` and `description`, and `category`)."""
    user = current_user(request)
    params = request.GET
    text = " ".join((params.get(name) or "")[:5000] for name in ("text", "subject", "description") if params.get(name))
    reader = "staff" if params.get("reader") == "staff" else "customers"
    articles = kb_selectors.kb_suggest(
        text=text,
        category_id=query_int(params, "category") or query_int(params, "category_id"),
        reader=reader,
        user=user,
    )
    context: dict[str, Any] = {"articles": _with_excerpts(articles)}
    return render(request, "service/_kb_suggestions.html", context)
