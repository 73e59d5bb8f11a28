"""API shapes for the knowledge base: articles, sections, votes and suggestions; unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from peyvand.customers.schemas import MAX_ID, Clean, Strict
from peyvand.sales.schemas import Id

Language = Literal["fa", "en"]
Audience = Literal["staff", "customers"]
Status = Literal["draft", "published", "archived"]


class ArticleFields(Strict):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=50000, description="plain text with light Markdown")
    language: Language | None = None
    audience: Audience | None = Field(None, description="`staff` only, or `customers` (and staff)")
    section_id: Id | None = None
    tags: str | None = Field(None, max_length=255, description="keywords search also finds it by")
    ticket_category_ids: list[Id] | None = Field(
        None, max_length=50, description="ticket categories it answers: their ticket forms suggest it first"
    )


class ArticleCreate(ArticleFields):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=50000)
    publish: bool = Field(False, description="publish at once instead of saving a draft")


class ArticlePatch(ArticleFields):
    version: int = Field(..., ge=1, le=MAX_ID, description="the version you read; a stale one is refused (409)")


class ArticleFilters(Clean):
    q: str = Field("", max_length=200, description="every word must appear (Persian spellings normalised)")
    audience: Audience | None = None
    language: Language | None = None
    section: Id | None = None
    ticket_category: Id | None = Field(None, description="articles linked to this ticket category")
    status: Status | None = Field(None, description="agents only ever see published articles")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(20, ge=1, le=100)


class ArticleItem(Schema):
    id: int
    title: str
    body: str
    language: str
    audience: str
    status: str
    section: int | None = Field(None, validation_alias="section_id")
    updated_at: datetime


class ArticlePage(Schema):
    items: list[ArticleItem]
    next: str | None = Field(None, description="pass as `cursor` for the next page")


class ArticleOut(ArticleItem):
    tags: str
    ticket_category_ids: list[int]
    author_id: int | None
    published_at: datetime | None
    views: int
    uses: int
    helpful_yes: int
    helpful_no: int
    version: int
    created_at: datetime


class VoteIn(Strict):
    helpful: bool


class SuggestFilters(Clean):
    text: str = Field("", max_length=5000, description="what the customer has typed: subject and description")
    category_id: Id | None = None
    reader: Literal["staff", "customers"] = Field("customers", description="`customers` leaves staff-only articles out")
    limit: int = Field(5, ge=1, le=20)


class SuggestionOut(Schema):
    id: int
    title: str
    excerpt: str
    audience: str
    language: str


class SectionIn(Strict):
    name: str = Field(..., max_length=120)
    name_en: str = Field("", max_length=120)
    position: int = Field(0, ge=0, le=10000)


class SectionPatch(Strict):
    name: str | None = Field(None, max_length=120)
    name_en: str | None = Field(None, max_length=120)
    position: int | None = Field(None, ge=0, le=10000)


class SectionOut(Schema):
    id: int
    name: str
    name_en: str
    position: int
    articles: int = Field(0, validation_alias="article_count", description="published articles in it")
