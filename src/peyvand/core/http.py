"""Typed views of the request for code that runs only once the user is known to be logged in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from peyvand.accounts.models import User


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
