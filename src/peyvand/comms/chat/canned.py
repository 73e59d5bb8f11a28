"""Canned answers for the chat console: saved replies (written by managers and administrators, for a team or for
everyone) and knowledge-base articles, found as the agent types and turned into plain text to edit and send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.accounts.selectors import teams_visible_to
from peyvand.comms.chat.models import CannedReply
from peyvand.comms.chat.services import max_message_length
from peyvand.core.text import search_key
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.kb_markdown import markdown_plain
from peyvand.service.kb_selectors import kb_articles_visible, kb_search, query_words
from peyvand.service.kb_services import kb_article_used
from peyvand.service.models import KbArticle, KbAudience, KbStatus

__all__ = [
    "CANNED_FIELDS",
    "article_text",
    "can_manage_canned",
    "canned_pick",
    "canned_replies_listed",
    "canned_replies_manageable",
    "canned_replies_usable",
    "canned_reply_create",
    "canned_reply_delete",
    "canned_reply_update",
    "kb_article_sent",
    "kb_public_url",
]

CANNED_FIELDS = {"title", "text", "team_id"}
# What the picker shows of each kind: enough to choose from, few enough to read at a glance.
PICK_LIMIT = 8


# --- reads -------------------------------------------------------------------------------------------------


def can_manage_canned(user: User) -> bool:
    return bool(user.is_admin_role or user.role == Role.MANAGER)


def canned_replies_manageable(user: User) -> QuerySet[CannedReply]:
    """What `user` may change: every reply for an administrator; a manager's teams' (their team and those under
    it); nothing for anyone else. Replies for everyone are the administrators' alone."""
    if user.is_admin_role:
        return CannedReply.objects.all()
    if user.role != Role.MANAGER:
        return CannedReply.objects.none()
    return CannedReply.objects.filter(team__in=teams_visible_to(user))


def canned_replies_listed(user: User) -> QuerySet[CannedReply]:
    """The management page's list: what `user` may change, and the replies for everyone (to read)."""
    if user.is_admin_role:
        return CannedReply.objects.select_related("team")
    return (canned_replies_manageable(user) | CannedReply.objects.filter(team__isnull=True)).select_related("team")


def _team_and_above(team: Team | None) -> list[int]:
    if team is None:
        return []
    ids = [int(part) for part in team.path.strip("/").split("/") if part.isdigit()]
    return ids or [team.pk]


def canned_replies_usable(user: User) -> QuerySet[CannedReply]:
    """What `user` may put into a chat: the replies for everyone, for their team and the teams above it (a
    department's answers serve its units), and, for a manager, for the teams under theirs; all, for an admin."""
    if user.is_admin_role:
        return CannedReply.objects.all()
    scope = Q(team__isnull=True) | Q(team_id__in=_team_and_above(user.team))
    if user.role == Role.MANAGER:
        scope |= Q(team__in=teams_visible_to(user))
    return CannedReply.objects.filter(scope)


def kb_public_url(article: KbArticle) -> str:
    """Where a visitor can read the article: PEYVAND_KB_PUBLIC_URL with `{id}` filled in, for a published article
    meant for customers; empty otherwise (a staff article, a draft, or no public knowledge base)."""
    pattern = str(getattr(settings, "PEYVAND_KB_PUBLIC_URL", "") or "")
    if not pattern or article.status != KbStatus.PUBLISHED or article.audience != KbAudience.CUSTOMERS:
        return ""
    return pattern.replace("{id}", str(article.pk))


def _plain(text: str) -> str:
    """Light Markdown as plain lines: marks gone, line breaks kept, no blank line repeated, ends trimmed."""
    lines: list[str] = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = markdown_plain(raw, limit=len(raw) + 1) if raw.strip() else ""
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def article_text(article: KbArticle) -> str:
    """An article as a chat answer: its text in plain lines, cut to what a chat message holds, and its public
    link at the end when it has one (the link is never cut)."""
    limit = max_message_length()
    link = kb_public_url(article)
    if not link:
        return _fit(_plain(article.body), limit)
    return f"{_fit(_plain(article.body), limit - len(link) - 1)}\n{link}"


def canned_pick(*, user: User, text: str = "") -> dict[str, list[dict[str, Any]]]:
    """The picker's choices for what the agent typed: saved replies they may use and published articles they
    may read, each holding every word of `text` (Persian spellings normalised as in search everywhere)."""
    replies = canned_replies_usable(user).select_related("team")
    for word in query_words(text):
        replies = replies.filter(search_text__contains=word)
    limit = max_message_length()
    # A team's own answers before everyone's, nearest team first (the longest path is the deepest team).
    ordered = sorted(replies[:200], key=lambda r: (r.team is None, -len(r.team.path) if r.team else 0, r.title))
    reply_items = [
        {
            "kind": "reply",
            "id": reply.pk,
            "title": reply.title,
            "text": _fit(reply.text.strip(), limit),
            "team": reply.team.name if reply.team else "",
        }
        for reply in ordered[:PICK_LIMIT]
    ]
    page = kb_search(user=user, text=text, status=KbStatus.PUBLISHED, limit=PICK_LIMIT)
    article_items = [
        {
            "kind": "article",
            "id": article.pk,
            "title": article.title,
            "text": article_text(article),
            "url": kb_public_url(article),
            "language": article.language,
        }
        for article in page.items
    ]
    return {"replies": reply_items, "articles": article_items}


# --- writes ------------------------------------------------------------------------------------------------


def _require_manager(by: User) -> None:
    if not can_manage_canned(by):
        raise PermissionDenied(_("Only a manager or an administrator can change saved replies."))


def _manageable(reply: CannedReply, by: User) -> QuerySet[CannedReply]:
    """`by`'s replies, for a change to `reply`: one for everyone, which a manager reads, is refused (403); one of
    another team, which they do not see, does not exist for them (404)."""
    _require_manager(by)
    if reply.team_id is None and not by.is_admin_role:
        raise PermissionDenied(_("Only an administrator changes the replies for everyone."))
    return canned_replies_manageable(by)


def _clean(data: Mapping[str, Any], by: User, errors: Errors, current: CannedReply | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data or current is None:
        out["title"] = clean_line(data.get("title") or "", model=CannedReply, field="title", errors=errors)
        if not out["title"]:
            errors.add("title", _("This field is required."))
    if "text" in data or current is None:
        out["text"] = str(data.get("text") or "").replace("\r\n", "\n").replace("\x00", "").strip()
        limit = max_message_length()
        if not out["text"]:
            errors.add("text", _("This field is required."))
        elif len(out["text"]) > limit:
            errors.add("text", _("A chat message holds at most %(limit)d characters.") % {"limit": limit})
    if "team_id" in data or current is None:
        value = data.get("team_id")
        if value in (None, ""):
            if not by.is_admin_role:
                errors.add("team_id", _("Choose one of your teams: only an administrator writes replies for everyone."))
            out["team"] = None
        else:
            team = teams_visible_to(by).filter(pk=value).first() if str(value).isdigit() else None
            if team is None:
                errors.add("team_id", _("No such team, or not one of yours."))
            out["team"] = team
    return out


def _save(reply: CannedReply, values: Mapping[str, Any]) -> CannedReply:
    for name, value in values.items():
        setattr(reply, name, value)
    reply.search_text = f"{search_key(reply.title)} {search_key(reply.text)}"
    reply.save()
    return reply


@transaction.atomic
def canned_reply_create(*, by: User, data: Mapping[str, Any]) -> CannedReply:
    """A saved reply (managers for their teams, administrators for any team or for everyone)."""
    _require_manager(by)
    errors = Errors()
    unknown_fields(data, CANNED_FIELDS, errors)
    errors.raise_if_any()
    values = _clean(data, by, errors, None)
    errors.raise_if_any()
    return _save(CannedReply(created_by=by), values)


@transaction.atomic
def canned_reply_update(*, reply: CannedReply, by: User, data: Mapping[str, Any]) -> CannedReply:
    """Change a saved reply `by` may manage; another team's is one that does not exist for them."""
    reply = _manageable(reply, by).select_for_update().get(pk=reply.pk)
    errors = Errors()
    unknown_fields(data, CANNED_FIELDS, errors)
    errors.raise_if_any()
    values = _clean(data, by, errors, reply)
    errors.raise_if_any()
    return _save(reply, values)


@transaction.atomic
def canned_reply_delete(*, reply: CannedReply, by: User) -> None:
    _manageable(reply, by).get(pk=reply.pk).delete()


def kb_article_sent(*, article_id: object, by: User) -> None:
    """Count a use of the published article an agent put into a chat answer, as a ticket reply quoting it does
    (the picker puts the most used first). An id that is not a published article `by` may read is ignored: the
    answer is sent all the same."""
    if isinstance(article_id, bool) or not isinstance(article_id, int):
        return
    article = kb_articles_visible(user=by).filter(pk=article_id, status=KbStatus.PUBLISHED).first()
    if article is not None:
        kb_article_used(article)
