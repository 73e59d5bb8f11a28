"""Writes for staff, teams, API tokens and staff notifications."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import ApiToken, Notification, Role, Team, User

logger = logging.getLogger(__name__)

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


# --- notifications ----------------------------------------------------------------------------------------


def _absolute(url: str) -> str:
    """A site path as a link an e-mail reader can follow: PEYVAND_SITE_URL in front when the site sets one,
    otherwise the path itself (still readable, and right for anyone who knows the site's address)."""
    base = str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")
    if not url or url.startswith(("http://", "https://")) or not base:
        return url
    return base + (url if url.startswith("/") else "/" + url)


def notify_user(
    *, user: User, kind: str, title: str, body: str = "", url: str = "", email: bool = False
) -> Notification:
    """Tell one member of staff something, in the page (the bell) and, with `email`, by e-mail too.

    The in-page notice is written first and always stays: an e-mail that cannot be sent (no address, the mail
    server down) is logged and leaves `emailed_at` empty, so a reminder is never lost with its e-mail.
    """
    fields = Notification._meta
    notification = Notification.objects.create(
        user=user,
        kind=kind[: fields.get_field("kind").max_length],
        title=title.strip()[: fields.get_field("title").max_length],
        body=body.strip(),
        url=url[: fields.get_field("url").max_length],
    )
    address = (user.email or "").strip()
    if email and address and user.is_active:
        text = notification.body
        if url:
            text = (text + "\n\n" if text else "") + _absolute(url)
        try:
            send_mail(" ".join(notification.title.split()), text, None, [address], fail_silently=False)
        except Exception:
            # Any failure of the mail server or the connection; the notice in the page is what counts.
            logger.exception("E-mailing notification %s to user %s failed", notification.pk, user.pk)
        else:
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at", "updated_at"])
    return notification


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of the caller's own notifications read (reading it again keeps the first time)."""
    if notification.user_id != by.pk:
        # Someone else's notice does not exist for the caller.
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of the caller read; returns how many were."""
    now = timezone.now()
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=now, updated_at=now)
