"""HTTP API of the knowledge base (/api/v1/kb): search and read articles, write them (managers, admins), vote,
suggest articles for a ticket being written, and keep the sections."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from ninja import Query, Router, Status

from peyvand.core.http import AuthedRequest
from peyvand.service import kb_selectors
from peyvand.service.kb_markdown import markdown_plain
from peyvand.service.kb_schemas import (
    ArticleCreate,
    ArticleFilters,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    SectionIn,
    SectionOut,
    SectionPatch,
    SuggestFilters,
    SuggestionOut,
    VoteIn,
)
from peyvand.service.kb_services import (
    kb_article_archive,
    kb_article_create,
    kb_article_publish,
    kb_article_update,
    kb_article_vote,
    kb_section_create,
    kb_section_delete,
    kb_section_update,
)
from peyvand.service.models import KbArticle, KbCategory, KbStatus

kb_router = Router(tags=["knowledge base"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_WRITERS_ONLY = {
    "responses": {403: {"description": "Only managers and administrators write the knowledge base.", **_ERROR}}
}
_CONFLICT = {
    "responses": {
        403: _WRITERS_ONLY["responses"][403],
        409: {"description": "The article changed since you read it (`conflict`): read it again.", **_ERROR},
    }
}


def _out(article: KbArticle) -> dict[str, Any]:
    # The schema reads the section's id by its attribute name (`section_id`), as it does from a model.
    plain = {field: getattr(article, field) for field in ArticleOut.model_fields if hasattr(article, field)}
    plain.pop("section", None)
    return {
        **plain,
        "section_id": article.section_id,
        "ticket_category_ids": sorted(article.ticket_categories.values_list("pk", flat=True)),
    }


def _article(request: AuthedRequest, article_id: int) -> KbArticle:
    return kb_selectors.kb_article_get(user=request.auth, pk=article_id)


# --- articles -------------------------------------------------------------------------------------------


@kb_router.get("/articles", response=ArticlePage, summary="Search and list articles")
def article_list(request: AuthedRequest, filters: Query[ArticleFilters]) -> Any:
    """Every word of `q` must appear in the title, keywords or text (Persian spellings normalised: «ي»/«ی»,
    «ك»/«ک», half-spaces, Persian digits). Title hits first, then the most used in replies, then the most found
    helpful. Agents see published articles only."""
    page = kb_selectors.kb_search(
        user=request.auth,
        text=filters.q,
        audience=filters.audience,
        language=filters.language,
        section=filters.section,
        ticket_category=filters.ticket_category,
        status=filters.status,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next": page.next_cursor}


@kb_router.post(
    "/articles", response={201: ArticleOut}, summary="Write an article (managers, admins)", openapi_extra=_WRITERS_ONLY
)
def article_create(request: AuthedRequest, payload: ArticleCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    publish = bool(data.pop("publish", False))
    article = kb_article_create(by=request.auth, data=data, publish=publish)
    return Status(201, _out(article))


@kb_router.get("/articles/{int:article_id}", response=ArticleOut)
def article_get(request: AuthedRequest, article_id: int) -> Any:
    return _out(_article(request, article_id))


@kb_router.patch(
    "/articles/{int:article_id}",
    response=ArticleOut,
    summary="Change an article (managers, admins)",
    openapi_extra=_CONFLICT,
)
def article_update(request: AuthedRequest, article_id: int, payload: ArticlePatch) -> Any:
    article = _article(request, article_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    article = kb_article_update(article=article, by=request.auth, version=version, data=data)
    return _out(kb_selectors.kb_article_get(user=request.auth, pk=article.pk))


@kb_router.post(
    "/articles/{int:article_id}/publish",
    response=ArticleOut,
    summary="Publish an article (managers, admins)",
    openapi_extra=_WRITERS_ONLY,
)
def article_publish(request: AuthedRequest, article_id: int) -> Any:
    return _out(kb_article_publish(article=_article(request, article_id), by=request.auth))


@kb_router.post(
    "/articles/{int:article_id}/archive",
    response=ArticleOut,
    summary="Archive an article (managers, admins)",
    openapi_extra=_WRITERS_ONLY,
)
def article_archive(request: AuthedRequest, article_id: int) -> Any:
    return _out(kb_article_archive(article=_article(request, article_id), by=request.auth))


@kb_router.post("/articles/{int:article_id}/vote", response=ArticleOut, summary="Say whether an article helped")
def article_vote(request: AuthedRequest, article_id: int, payload: VoteIn) -> Any:
    return _out(kb_article_vote(article=_article(request, article_id), helpful=payload.helpful))


@kb_router.get("/suggest", response=list[SuggestionOut], summary="Articles for a ticket being written")
def article_suggest(request: AuthedRequest, filters: Query[SuggestFilters]) -> Any:
    """Published articles linked to the ticket's category (or one above it) first, then those sharing the most
    words with what the customer typed. `reader=customers` (the default) leaves staff-only articles out."""
    articles = kb_selectors.kb_suggest(
        text=filters.text,
        category_id=filters.category_id,
        reader=filters.reader,
        limit=filters.limit,
        user=request.auth,
    )
    return [
        {
            "id": a.pk,
            "title": a.title,
            "excerpt": markdown_plain(a.body),
            "audience": a.audience,
            "language": a.language,
        }
        for a in articles
    ]


# --- sections -------------------------------------------------------------------------------------------


def _sections() -> Any:
    return KbCategory.objects.annotate(
        article_count=Count("articles", filter=Q(articles__status=KbStatus.PUBLISHED))
    ).order_by("position", "id")


@kb_router.get("/sections", response=list[SectionOut], summary="The knowledge base's sections")
def section_list(request: AuthedRequest) -> Any:
    return list(_sections())


@kb_router.post(
    "/sections", response={201: SectionOut}, summary="Add a section (managers, admins)", openapi_extra=_WRITERS_ONLY
)
def section_create(request: AuthedRequest, payload: SectionIn) -> Any:
    section = kb_section_create(by=request.auth, data=payload.model_dump())
    return Status(201, _sections().get(pk=section.pk))


@kb_router.patch(
    "/sections/{int:section_id}",
    response=SectionOut,
    summary="Rename or move a section (managers, admins)",
    openapi_extra=_WRITERS_ONLY,
)
def section_update(request: AuthedRequest, section_id: int, payload: SectionPatch) -> Any:
    section = KbCategory.objects.get(pk=section_id)
    kb_section_update(section=section, by=request.auth, data=payload.model_dump(exclude_unset=True))
    return _sections().get(pk=section_id)


@kb_router.delete(
    "/sections/{int:section_id}",
    response={204: None},
    summary="Remove a section; its articles stay, without one (managers, admins)",
    openapi_extra=_WRITERS_ONLY,
)
def section_delete(request: AuthedRequest, section_id: int) -> Any:
    kb_section_delete(section=KbCategory.objects.get(pk=section_id), by=request.auth)
    return Status(204, None)
