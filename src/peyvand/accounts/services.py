"""Writes for staff, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import ApiToken, Role, Team, User

TOKEN_PREFIX = "pv_"  # noqa: S105 - a public marker that makes leaked tokens easy to scan for


def _require_admin(by: User | None) -> None:
    if by is not None and not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator can do this."))


@transaction.atomic
def team_create(*, name: str, parent: Team | None = None, by: User | None = None) -> Team:
    _require_admin(by)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A team needs a name.")})
    team = Team.objects.create(name=name, parent=parent)
    team.path = f"{parent.path if parent else '/'}{team.pk}/"
    team.save(update_fields=["path"])
    return team


@transaction.atomic
def team_move(*, team: Team, parent: Team | None, by: User | None = None) -> Team:
    _require_admin(by)
    if parent is not None and parent.path.startswith(team.path):
        raise ValidationError({"parent": _("A team cannot be placed under itself or its own sub-team.")})
    old_path = team.path
    new_path = f"{parent.path if parent else '/'}{team.pk}/"
    team.parent = parent
    team.save(update_fields=["parent", "updated_at"])
    for member in Team.objects.filter(path__startswith=old_path):
        member.path = new_path + member.path[len(old_path) :]
        member.save(update_fields=["path"])
    team.refresh_from_db()
    return team


def user_create(
    *,
    username: str,
    password: str | None,
    role: str = Role.AGENT,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    by: User | None = None,
) -> User:
    _require_admin(by)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role != Role.ADMIN and team is None:
        raise ValidationError({"team": _("Managers and agents belong to a team.")})
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the token text, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[:10], key_hash=_hash_token(token))
    return row, token


def api_token_revoke(*, token: ApiToken, by: User) -> None:
    if by != token.user and not by.is_admin_role:
        raise PermissionDenied(_("You can only revoke your own tokens."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])


def api_token_authenticate(token: str) -> User | None:
    """The active user owning `token`, or None; marks the token used at most once a minute."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(key_hash=_hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
