"""Reads of quotes: every read scoped to what the caller may see (the one owner/team scope of sales records)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, paginate
from peyvand.sales.models import Quote, QuoteLine, QuoteStatus
from peyvand.sales.selectors import owned_visible_to

QUOTE_ORDERS: dict[str, tuple[str, ...]] = {"newest": ("-id",), "oldest": ("id",)}


def quotes_visible_to(user: User | Any) -> QuerySet[Quote]:
    """The one scope every quote read uses; a quote of a deleted customer is hidden with it."""
    return owned_visible_to(Quote.objects.all(), user)


def quote_get(*, user: User | Any, pk: int) -> Quote:
    """One visible quote with its lines, or Quote.DoesNotExist, whether it is missing or someone else's."""
    return (
        quotes_visible_to(user)
        .select_related("customer", "deal", "owner", "team", "previous")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("position", "id")))
        .get(pk=pk)
    )


def quote_filter(
    *,
    customer_id: int | None = None,
    deal_id: int | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    latest_only: bool = False,
    text: str = "",
) -> Q:
    """The filters the quote lists offer. `status` "expired" also finds drafts and sent quotes past their
    validity (nothing has to run at midnight to mark them); "draft" and "sent" then leave those out."""
    where = Q()
    if customer_id:
        where &= Q(customer_id=customer_id)
    if deal_id:
        where &= Q(deal_id=deal_id)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if status:
        today = timezone.localdate()
        lapsed = Q(status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT], valid_until__lt=today)
        if status == QuoteStatus.EXPIRED:
            where &= Q(status=QuoteStatus.EXPIRED) | lapsed
        elif status in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            where &= Q(status=status) & ~lapsed
        else:
            where &= Q(status=status)
    if latest_only:
        # The latest revision of each number: the one nothing revises.
        where &= Q(next__isnull=True)
    if text:
        where &= Q(number__icontains=text.strip()) | Q(title__icontains=text.strip())
    return where


def quote_list(
    *, user: User | Any, where: Q | None = None, order: str = "newest", cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of visible quotes matching `where`. Raises ValidationError for a cursor not ours."""
    quotes = quotes_visible_to(user).filter(where or Q()).select_related("customer", "owner")
    return paginate(quotes, order=QUOTE_ORDERS[order], cursor=cursor, limit=limit)


def quote_revisions(*, user: User | Any, quote: Quote) -> list[Quote]:
    """Every revision of the quote's number that the caller may see, first to last."""
    return list(quotes_visible_to(user).filter(number=quote.number).order_by("revision", "id"))


def customer_latest_quotes(*, user: User | Any, customer_id: int, limit: int = 5) -> list[Quote]:
    """The customer's newest quotes (latest revisions only) for their 360° page."""
    return list(quotes_visible_to(user).filter(customer_id=customer_id, next__isnull=True).order_by("-id")[:limit])
