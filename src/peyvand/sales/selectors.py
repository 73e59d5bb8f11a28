"""Reads of sales: deals scoped to what the caller may see (the customers' scope), lists, the board, catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from peyvand.accounts.models import User
from peyvand.core.pagination import Page, paginate
from peyvand.core.text import search_key
from peyvand.customers.selectors import deleted_customer_ids, scope_branches
from peyvand.sales.models import Competitor, Deal, DealContact, Pipeline, Product, Stage

# The orders a deal list can be in; each ends on the unique id so keyset pagination is exact.
DEAL_ORDERS: dict[str, tuple[str, ...]] = {
    "newest": ("-id",),
    "oldest": ("id",),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
}
BOARD_COLUMN_LIMIT = 50


def owned_scope(user: User | Any) -> Q | None:
    """What `user` may see of any sales record with an `owner` and a `team` (deals, leads, quotes, orders,
    invoices, contracts), as one condition: the customers' scope (own records, and those of their team, or of
    their team and its sub-teams for a manager; everything for an administrator), read from the record's own
    owner and team. None: nothing at all."""
    branches = scope_branches(user)
    if not branches:
        return None
    scope = Q()
    for branch in branches:
        scope |= Q(**branch)
    return scope


def owned_visible_to(queryset: QuerySet[Any], user: User | Any) -> QuerySet[Any]:
    """`queryset` cut down to what `user` may see (owned_scope); records of a deleted customer are hidden with
    it when the model has a customer."""
    scope = owned_scope(user)
    if scope is None:
        return queryset.none()
    queryset = queryset.filter(scope)
    if any(field.name == "customer" for field in queryset.model._meta.get_fields()):
        queryset = queryset.filter(customer__deleted_at__isnull=True)
    return queryset


def deals_visible_to(user: User | Any) -> QuerySet[Deal]:
    """The one scope every deal endpoint uses. Deals of a deleted customer are hidden with it (a merge moves
    them to the surviving customer first)."""
    return owned_visible_to(Deal.objects.all(), user)


def within_reach(user: User, *, owner_id: int | None, team_id: int | None) -> bool:
    """Whether a record (deal, lead, quote, …) with this owner and team would be among `user`'s."""
    values = {"owner_id": owner_id, "team_id": team_id}
    return any(all(values.get(field) == value for field, value in branch.items()) for branch in scope_branches(user))


def _live_contacts() -> QuerySet[DealContact]:
    # A deleted customer leaves the deal with it. A merged one stays only where the survivor already had a
    # role (the merge moves every other row), and the survivor's role is the one that stands.
    return DealContact.objects.filter(contact__deleted_at__isnull=True).select_related("contact").order_by("id")


def deal_get(*, user: User, pk: int) -> Deal:
    """One visible deal or Deal.DoesNotExist, whether it is missing or someone else's."""
    return (
        deals_visible_to(user)
        .select_related("customer", "stage", "pipeline", "lost_to")
        .prefetch_related(Prefetch("contacts", queryset=_live_contacts()))
        .get(pk=pk)
    )


def deal_filter(
    *,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    expected_close_from: date | None = None,
    expected_close_to: date | None = None,
) -> Q:
    """The filters every deal list offers; `status` is open, won or lost (the outcome of the deal's stage),
    the expected close range includes both ends."""
    where = Q()
    if pipeline_id:
        where &= Q(pipeline_id=pipeline_id)
    if stage_id:
        where &= Q(stage_id=stage_id)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if team_id:
        where &= Q(team_id=team_id)
    if customer_id:
        where &= Q(customer_id=customer_id)
    if status:
        where &= Q(stage__outcome=status)
    if expected_close_from:
        where &= Q(expected_close_date__gte=expected_close_from)
    if expected_close_to:
        where &= Q(expected_close_date__lte=expected_close_to)
    return where


def deal_list(
    *, user: User, where: Q | None = None, order: str = "newest", cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of visible deals matching `where`, in `order`. Raises ValidationError for a cursor not ours."""
    deals = deals_visible_to(user).filter(where or Q()).select_related("customer", "stage")
    return paginate(deals, order=DEAL_ORDERS[order], cursor=cursor, limit=limit)


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    total: int
    # The amounts weighted by the stage's probability (expected revenue), rounded down to a Rial.
    weighted: int
    deals: list[Deal]


def _column_order(stage: Stage) -> tuple[Any, ...]:
    """Open columns show what closes soonest first (undated last); won and lost ones the latest closed."""
    if stage.is_closed:
        return (F("closed_at").desc(nulls_last=True), "-id")
    return (F("expected_close_date").asc(nulls_last=True), "id")


def _board_sums(user: User, pipeline: Pipeline) -> QuerySet[Deal]:
    """The same deals as deals_visible_to(user) in `pipeline`, written for counting all of them: a deleted
    customer's deals are left out by a NOT IN over the deleted customers (a short list, read from its own
    index) rather than by joining every deal to its customer, so that the whole count is read from the
    `deal_board_sums` index alone. A join costs one customer lookup per deal: 0.45 s for 200,000 deals on
    SQLite against 0.08 s this way (bench/sales.py)."""
    scope = owned_scope(user)
    if scope is None:
        return Deal.objects.none()
    return Deal.objects.filter(scope, pipeline=pipeline).exclude(customer_id__in=deleted_customer_ids()).order_by()


def deal_board(*, user: User, pipeline: Pipeline, limit: int = BOARD_COLUMN_LIMIT) -> list[BoardColumn]:
    """The pipeline as columns, one per stage in order: how many visible deals each holds, their sum and
    weighted sum, and the first `limit` of them.

    The counts and sums are one GROUP BY in the database; the weighting is per stage (every deal in a column
    has its stage's probability), so it is applied to each column's sum, not to each deal. Each column's deals
    are then one short, ordered read that stops at `limit`.
    """
    stages = list(pipeline.stages.order_by("position", "id"))
    visible = deals_visible_to(user).filter(pipeline=pipeline)
    # Sum() of a bigint is a numeric (a Decimal) on PostgreSQL: made an int here, exact either way.
    sums: dict[int, tuple[int, int]] = {
        row["stage_id"]: (int(row["count"]), int(row["total"] or 0))
        for row in _board_sums(user, pipeline).values("stage_id").annotate(count=Count("id"), total=Sum("amount"))
    }
    columns = []
    for stage in stages:
        count, total = sums.get(stage.pk, (0, 0))
        deals = (
            list(visible.filter(stage=stage).select_related("customer").order_by(*_column_order(stage))[:limit])
            if count
            else []
        )
        columns.append(BoardColumn(stage, count, total, total * stage.probability // 100, deals))
    return columns


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_default=True).first()


def pipeline_list() -> QuerySet[Pipeline]:
    """Every pipeline with its stages in order; pipelines are company-wide, every member of staff reads them."""
    return Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name", "id")


def product_list(
    *,
    text: str = "",
    kind: str | None = None,
    is_active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """One page of the catalogue in id order: by name or SKU fragment, kind and whether it is still sold."""
    products = Product.objects.all()
    if text.strip():
        products = products.filter(Q(name__icontains=text.strip()) | Q(sku__icontains=text.strip().upper()))
    if kind:
        products = products.filter(kind=kind)
    if is_active is not None:
        products = products.filter(is_active=is_active)
    return paginate(products, order=("id",), cursor=cursor, limit=limit)


def competitor_list(*, text: str = "") -> QuerySet[Competitor]:
    competitors = Competitor.objects.order_by("name", "id")
    key = search_key(text)
    return competitors.filter(key__contains=key) if key else competitors
