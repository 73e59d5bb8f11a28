"""What the order and invoice pages share: the customer they are made for, typed dates, the owners to filter by."""

from __future__ import annotations

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
