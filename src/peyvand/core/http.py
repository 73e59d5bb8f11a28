"""Typed views of the request for code that runs only once the user is known to be logged in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.pagination import Page


class AuthedRequest(HttpRequest):
    """The request an API endpoint receives: ninja has run the auth callables (BearerToken, SessionCookie
    in core/api.py), and both return a User, so ``request.auth`` is that user. For type checking only:
    at run time the request is still Django's own class (ninja ignores the ``request`` annotation)."""

    auth: User


def current_user(request: HttpRequest) -> User:
    """``request.user`` as a User, for views behind ``@login_required`` (there it is never anonymous).

    Should a view ever be reached without a logged-in user, refuse rather than carry on with AnonymousUser.
    """
    user = request.user
    # request.user is a lazy proxy; isinstance sees through it to the wrapped User.
    if isinstance(user, User):
        return user
    raise PermissionDenied


def query_int(params: Mapping[str, Any], name: str) -> int | None:
    """A whole number from a query string or form, or None for a value that cannot be meant as one (empty,
    not digits, or too long for a database id: 19 digits and more would overflow a 64-bit column)."""
    value = str(params.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


@dataclass(frozen=True)
class ListPage:
    """One page of a keyset-paginated list as a page shows it: the rows, the cursor it was read from ("" on
    the first page), and the query strings of the list's first page and of the next (the filters kept)."""

    page: Page
    cursor: str
    first_query: str
    next_query: str | None

    def context(self) -> dict[str, Any]:
        """What `_list_pager.html` and the list templates read."""
        return {
            "page": self.page,
            "cursor": self.cursor,
            "first_query": self.first_query,
            "next_query": self.next_query,
        }


def list_page(request: HttpRequest, fetch: Callable[[str | None], Page]) -> ListPage:
    """The page the request's `cursor` points at, read by `fetch(cursor)`. A cursor that no longer works (from
    an old link, or forged) gives the first page with a notice instead of an error page."""
    cursor = (request.GET.get("cursor") or "").strip()[:500]
    try:
        page = fetch(cursor or None)
    except ValidationError:
        messages.warning(request, _("That page link has expired; showing the first page."))
        cursor = ""
        page = fetch(None)
    first = request.GET.copy()
    first.pop("cursor", None)
    next_query = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_query = params.urlencode()
    return ListPage(page=page, cursor=cursor, first_query=first.urlencode(), next_query=next_query)
