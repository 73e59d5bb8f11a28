"""Reads of the knowledge base: which articles a reader may see, search with Persian normalisation, and the
suggestions a ticket form shows as the customer types."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import StrIndex, Substr

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, paginate
from peyvand.core.text import normalize_text, search_key
from peyvand.service.kb_services import can_write_kb
from peyvand.service.models import KbArticle, KbAudience, KbStatus, TicketCategory

__all__ = [
    "READERS",
    "kb_article_get",
    "kb_articles_visible",
    "kb_search",
    "kb_suggest",
    "query_words",
]

# Who reads: "staff" (a member of staff: every audience) or "customers" (the portal, a ticket form the customer
# fills in: published articles for customers only).
READERS = ("staff", "customers")
# A query of more words than this is a pasted paragraph; the first words are enough to find the article.
MAX_QUERY_WORDS = 10
# As the customer types a description, its longest words say most about what it is about.
MAX_SUGGEST_WORDS = 12
# Words too common to say what a text is about (after normalisation: «ي» is «ی», no half-spaces).
STOP_WORDS = frozenset(
    search_key(word)
    for line in (
        "از به با که را این آن در و یا برای است هست بود شد شده می من ما شما او ایشان ها های هم تا اگر",
        "چه چرا چطور چگونه کنم کنید کرد کردم کردن دارم دارد داریم نمی نیست روی پس بعد قبل سلام لطفا ممنون باید",
        "the a an and or of to in on for is are was be it my i we you this that with how why what can not",
    )
    for word in line.split()
)


def query_words(text: str, *, limit: int = MAX_QUERY_WORDS) -> list[str]:
    """The distinct normalised words of a query, in order: «كتاب‌ها ۱۲» and «کتاب ها 12» give the same words."""
    words: list[str] = []
    for token in normalize_text(text or "").split():
        word = search_key(token)
        if word and word not in words:
            words.append(word)
        if len(words) >= limit:
            break
    return words


def kb_articles_visible(*, user: User | None, reader: str = "staff") -> QuerySet[KbArticle]:
    """What a reader may see. A customer (no user, or reader "customers") sees published articles meant for
    customers, never a staff one; staff see every published article; managers and administrators, who write
    them, drafts and archived ones too."""
    articles = KbArticle.objects.select_related("section")
    if user is None or reader == "customers":
        return articles.filter(status=KbStatus.PUBLISHED, audience=KbAudience.CUSTOMERS)
    if can_write_kb(user):
        return articles
    return articles.filter(status=KbStatus.PUBLISHED)


def kb_article_get(*, user: User | None, pk: int, reader: str = "staff") -> KbArticle:
    """One article the reader may see; another looks the same as a missing one (DoesNotExist, a 404)."""
    return kb_articles_visible(user=user, reader=reader).get(pk=pk)


def _title_part() -> Any:
    # article_search_text puts the title's key before the first space.
    return Substr("search_text", 1, StrIndex("search_text", Value(" ")) - 1)


def _hits(words: list[str], field: str) -> Any:
    """How many of `words` appear in `field`, as one SQL expression."""
    if not words:
        return Value(0, output_field=IntegerField())
    total: Any = None
    for word in words:
        hit = Case(When(**{f"{field}__contains": word}, then=Value(1)), default=Value(0), output_field=IntegerField())
        total = hit if total is None else total + hit
    return total


def _category_ids(category_id: int | None) -> list[int]:
    """The category and those above it: an article for «فنی» answers a ticket of «فنی › نصب» too."""
    if category_id is None:
        return []
    path = TicketCategory.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if path is None:
        return []
    ids = [int(part) for part in path.strip("/").split("/") if part.isdigit()]
    return ids or [category_id]


def _linked(category_ids: list[int]) -> Any:
    links = KbArticle.ticket_categories.through.objects.filter(
        kbarticle_id=OuterRef("pk"), ticketcategory_id__in=category_ids
    )
    return Exists(links)


SEARCH_ORDER = ("-title_hits", "-uses", "-helpful", "-id")


def kb_search(
    *,
    user: User | None,
    text: str = "",
    reader: str = "staff",
    audience: str | None = None,
    language: str | None = None,
    section: int | None = None,
    ticket_category: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page:
    """Articles the reader may see holding every word of `text` (normalised as names are: «ي» finds «ی», «ك»
    finds «ک», half-spaces and spaces alike, Persian digits as ASCII), in title, keywords or text. Those with
    the words in the title come first, then the most used in replies, then the most found helpful."""
    words = query_words(text)
    articles = kb_articles_visible(user=user, reader=reader)
    for word in words:
        articles = articles.filter(search_text__contains=word)
    if audience:
        articles = articles.filter(audience=audience)
    if language:
        articles = articles.filter(language=language)
    if section is not None:
        articles = articles.filter(section_id=section)
    if status:
        articles = articles.filter(status=status)
    if ticket_category is not None:
        articles = articles.filter(_linked([ticket_category]))
    if words:
        articles = articles.alias(title_key=_title_part())
    articles = articles.annotate(title_hits=_hits(words, "title_key"), helpful=F("helpful_yes") - F("helpful_no"))
    return paginate(articles, order=SEARCH_ORDER, cursor=cursor, limit=limit)


def kb_suggest(
    *,
    text: str,
    category_id: int | None = None,
    reader: str = "customers",
    limit: int = 5,
    user: User | None = None,
) -> list[KbArticle]:
    """Published articles that may answer a ticket being written: those linked to its category (or a category
    above it) first, then those sharing the most words with the subject and description. `reader` "customers"
    (the default: what the customer may be shown) keeps staff articles out; "staff" lets them in."""
    words = [w for w in query_words(text, limit=200) if len(w) >= 3 and w not in STOP_WORDS]
    words = sorted(words, key=len, reverse=True)[:MAX_SUGGEST_WORDS]
    category_ids = _category_ids(category_id)
    if not words and not category_ids:
        return []
    articles = KbArticle.objects.select_related("section").filter(status=KbStatus.PUBLISHED)
    if reader == "customers" or user is None:
        articles = articles.filter(audience=KbAudience.CUSTOMERS)
    linked: Any = Value(0, output_field=IntegerField())
    if category_ids:
        linked = Case(When(_linked(category_ids), then=Value(1)), default=Value(0), output_field=IntegerField())
    articles = articles.annotate(
        linked=linked,
        hits=_hits(words, "search_text"),
        helpful=F("helpful_yes") - F("helpful_no"),
    ).filter(Q(linked=1) | Q(hits__gte=1))
    return list(articles.order_by("-linked", "-hits", "-uses", "-helpful", "-id")[: max(1, min(limit, 20))])
