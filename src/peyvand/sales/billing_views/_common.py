"""What the order and invoice pages share: the customer they are made for, typed dates, the owners to filter by,
and the filters of their lists."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.selectors import users_visible_to
from peyvand.core.http import query_int
from peyvand.core.jalali import parse_date
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to


def customer_or_404(user: User, params: QueryDict) -> Customer:
    customer_id = query_int(params, "customer")
    customer = customers_visible_to(user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        # Orders and invoices are made from their customer's page; an unknown or unseen customer is not there.
        raise Http404(_("No such customer."))
    return customer


def date_param(params: QueryDict, name: str) -> Any:
    text = (params.get(name) or "").strip()[:20]
    if not text:
        return None
    try:
        return parse_date(text)
    except (ValueError, TypeError):
        return None


def owner_choices(user: User) -> QuerySet[User]:
    return users_visible_to(user).order_by("first_name", "last_name", "username")


@dataclass(frozen=True)
class ListFilters:
    """The filters the order and invoice lists share, as read from the query string."""

    customer: int | None = None
    status: str = ""
    owner: int | None = None
    date_from: str = ""
    date_to: str = ""
    cursor: str = ""

    @staticmethod
    def shared_from_query(params: QueryDict, statuses: Collection[str]) -> dict[str, Any]:
        """The shared fields' values; a status not in `statuses` is no filter."""
        status = params.get("status", "")
        return {
            "customer": query_int(params, "customer"),
            "status": status if status in statuses else "",
            "owner": query_int(params, "owner"),
            "date_from": (params.get("from") or "").strip()[:20],
            "date_to": (params.get("to") or "").strip()[:20],
            "cursor": (params.get("cursor") or "").strip()[:500],
        }

    @property
    def is_filtered(self) -> bool:
        return bool(self.customer or self.status or self.owner or self.date_from or self.date_to)
