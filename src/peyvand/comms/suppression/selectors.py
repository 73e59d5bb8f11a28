"""Reading the suppression list: who may, and one page of it with search and filters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.models import Suppression
from peyvand.core.pagination import Page, paginate
from peyvand.core.text import normalize_digits

__all__ = ["SuppressionFilters", "suppression_list", "suppressions_matching", "suppressions_visible_to"]


def suppressions_visible_to(user: User) -> QuerySet[Suppression]:
    """Managers and administrators read the list (it names people who asked not to be written to, customers
    or not, so it is no agent's reading); only administrators change it."""
    if not (user.is_admin_role or user.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators can see the suppression list."))
    return Suppression.objects.all()


@dataclass(frozen=True)
class SuppressionFilters:
    q: str = ""
    channel: str = ""
    reason: str = ""

    def where(self) -> Q:
        where = Q()
        if self.channel:
            where &= Q(channel=self.channel)
        if self.reason:
            where &= Q(reason=self.reason)
        text = normalize_digits(self.q).strip()
        if text:
            # A phone typed any way (0912…, +98 912…) is found by its digits after the country code's 0.
            digits = "".join(ch for ch in text if ch.isdigit())
            match = Q(address__icontains=text) | Q(source__icontains=text)
            if len(digits) >= 4:
                match |= Q(address__contains=digits.lstrip("0"))
            where &= match
        return where


def suppressions_matching(*, user: User, filters: SuppressionFilters) -> QuerySet[Suppression]:
    return suppressions_visible_to(user).filter(filters.where())


def suppression_list(*, user: User, filters: SuppressionFilters, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of the entries matching `filters`, newest first; ValidationError for a foreign cursor."""
    rows = suppressions_matching(user=user, filters=filters).select_related("created_by")
    return paginate(rows, order=("-created_at", "-id"), cursor=cursor, limit=limit)


def suppressions_export_rows(*, user: User, filters: SuppressionFilters) -> Iterator[Suppression]:
    """Every matching entry, oldest first, read in chunks (a list of a hundred thousand is not all in memory)."""
    rows = suppressions_matching(user=user, filters=filters).select_related("created_by").order_by("id")
    yield from rows.iterator(chunk_size=2000)
