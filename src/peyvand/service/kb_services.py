"""Writes to the knowledge base: sections, articles (written, published, archived), their use in replies and the
readers' helpful/not helpful votes. Managers and administrators write; everyone on the staff reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.errors import ConflictError
from peyvand.core.text import search_key
from peyvand.sales.services._common import Errors, clean_line, unknown_fields
from peyvand.service.models import KbArticle, KbAudience, KbCategory, KbStatus, TicketCategory

__all__ = [
    "ARTICLE_FIELDS",
    "MAX_BODY",
    "SECTION_FIELDS",
    "article_search_text",
    "can_write_kb",
    "kb_article_archive",
    "kb_article_create",
    "kb_article_publish",
    "kb_article_update",
    "kb_article_used",
    "kb_article_viewed",
    "kb_article_vote",
    "kb_section_create",
    "kb_section_delete",
    "kb_section_update",
]

ARTICLE_FIELDS = {"title", "body", "language", "audience", "section_id", "tags", "ticket_category_ids"}
SECTION_FIELDS = {"name", "name_en", "position"}
# A long procedure is a few thousand words; far more than that is a pasted document, not an article.
MAX_BODY = 50_000
# The categories one article may answer; more is a sign the article should be split.
MAX_TICKET_CATEGORIES = 50
MAX_POSITION = 10_000


def can_write_kb(user: User) -> bool:
    """Articles are what staff tell customers: managers and administrators write them, agents read them."""
    return bool(user.is_admin_role or user.is_manager_role)


def _require_writer(by: User) -> None:
    if not can_write_kb(by):
        raise PermissionDenied(_("Only a manager or an administrator can change the knowledge base."))


def article_search_text(*, title: str, tags: str, body: str) -> str:
    """What search compares against: the title's key, then the keywords', then the text's, each with the
    spaces search_key drops, separated by one space. Query words hold no spaces, so none can match across two
    parts, and the part before the first space is the title (search ranks title hits first)."""
    return f"{search_key(title)} {search_key(tags)} {search_key(body)}"


# --- sections -------------------------------------------------------------------------------------------


def _clean_section(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = clean_line(data["name"], model=KbCategory, field="name", errors=errors)
        if not out["name"]:
            errors.add("name", _("This field is required."))
    if "name_en" in data:
        out["name_en"] = clean_line(data["name_en"] or "", model=KbCategory, field="name_en", errors=errors)
    if "position" in data:
        value = data["position"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
            errors.add("position", _("Enter a number from %(low)d to %(high)d.") % {"low": 0, "high": MAX_POSITION})
        else:
            out["position"] = value
    return out


@transaction.atomic
def kb_section_create(*, by: User, data: Mapping[str, Any]) -> KbCategory:
    """A new section of the knowledge base (e.g. «رویه‌های پاسخگویی»)."""
    _require_writer(by)
    errors = Errors()
    unknown_fields(data, SECTION_FIELDS, errors)
    values = _clean_section({"name": "", **data}, errors)
    errors.raise_if_any()
    return KbCategory.objects.create(**values)


@transaction.atomic
def kb_section_update(*, section: KbCategory, by: User, data: Mapping[str, Any]) -> KbCategory:
    _require_writer(by)
    errors = Errors()
    unknown_fields(data, SECTION_FIELDS, errors)
    values = _clean_section(data, errors)
    errors.raise_if_any()
    for field, value in values.items():
        setattr(section, field, value)
    section.save(update_fields=[*values, "updated_at"])
    return section


@transaction.atomic
def kb_section_delete(*, section: KbCategory, by: User) -> None:
    """Remove a section; its articles stay, without a section."""
    _require_writer(by)
    section.delete()


# --- articles -------------------------------------------------------------------------------------------


def _clean_article(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """The fields given in `data`, checked and tidied (only those given, so PATCH is partial)."""
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_line(data["title"], model=KbArticle, field="title", errors=errors)
        if not out["title"]:
            errors.add("title", _("This field is required."))
    if "body" in data:
        # Kept as typed (line breaks are the Markdown's structure); only the ends are trimmed.
        out["body"] = str(data["body"] or "").replace("\r\n", "\n").strip()
        if not out["body"]:
            errors.add("body", _("This field is required."))
        elif len(out["body"]) > MAX_BODY:
            errors.add("body", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_BODY})
    if "tags" in data:
        out["tags"] = clean_line(data["tags"] or "", model=KbArticle, field="tags", errors=errors)
    if "language" in data:
        if data["language"] not in dict(settings.LANGUAGES):
            errors.add("language", _("Choose Persian or English."))
        else:
            out["language"] = data["language"]
    if "audience" in data:
        if data["audience"] not in KbAudience.values:
            errors.add("audience", _("Choose staff only, or customers and staff."))
        else:
            out["audience"] = data["audience"]
    if "section_id" in data:
        value = data["section_id"]
        if value is None:
            out["section_id"] = None
        elif isinstance(value, bool) or not isinstance(value, int) or not KbCategory.objects.filter(pk=value).exists():
            errors.add("section_id", _("No such section."))
        else:
            out["section_id"] = value
    if "ticket_category_ids" in data:
        ids = data["ticket_category_ids"] or []
        if not isinstance(ids, list | tuple) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
            errors.add("ticket_category_ids", _("Give a list of ticket category ids."))
        elif len(set(ids)) > MAX_TICKET_CATEGORIES:
            errors.add(
                "ticket_category_ids",
                _("At most %(limit)d ticket categories.") % {"limit": MAX_TICKET_CATEGORIES},
            )
        else:
            unique = sorted(set(ids))
            if TicketCategory.objects.filter(pk__in=unique).count() != len(unique):
                errors.add("ticket_category_ids", _("No such ticket category."))
            else:
                out["ticket_category_ids"] = unique
    return out


def _apply(article: KbArticle, values: dict[str, Any]) -> list[str]:
    """Set the values on the article (the categories are set after saving); the fields that changed."""
    fields = [field for field in values if field != "ticket_category_ids"]
    for field in fields:
        setattr(article, field, values[field])
    article.search_text = article_search_text(title=article.title, tags=article.tags, body=article.body)
    return [*fields, "search_text"]


@transaction.atomic
def kb_article_create(*, by: User, data: Mapping[str, Any], publish: bool = False) -> KbArticle:
    """A new article, a draft unless `publish`: Persian and for staff unless told otherwise."""
    _require_writer(by)
    errors = Errors()
    unknown_fields(data, ARTICLE_FIELDS, errors)
    given = {"title": "", "body": "", "language": "fa", "audience": KbAudience.STAFF, **data}
    values = _clean_article(given, errors)
    errors.raise_if_any()
    article = KbArticle(author=by, status=KbStatus.DRAFT)
    _apply(article, values)
    if publish:
        article.status = KbStatus.PUBLISHED
        article.published_at = timezone.now()
    article.save()
    if values.get("ticket_category_ids"):
        article.ticket_categories.set(values["ticket_category_ids"])
    return article


def _stale(version: int, current: int) -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this article after you opened it (you have version %(yours)s, it is now at "
            "%(current)s). Open it again to see their changes, then make yours."
        )
        % {"yours": version, "current": current},
        current_version=current,
    )


def _save_versioned(article: KbArticle, *, version: int, fields: list[str]) -> KbArticle:
    """Write `fields` and the next version only if the row is still at `version` (the condition in the UPDATE
    is what stops two writers on SQLite, where rows are not locked)."""
    now = timezone.now()
    values = {field: getattr(article, field) for field in fields}
    written = KbArticle.objects.filter(pk=article.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        current = KbArticle.objects.filter(pk=article.pk).values_list("version", flat=True).first() or version
        raise _stale(version, current)
    article.version = version + 1
    article.updated_at = now
    return article


@transaction.atomic
def kb_article_update(*, article: KbArticle, by: User, version: int, data: Mapping[str, Any]) -> KbArticle:
    """Change some fields of an article; `version` is the one the writer read (409 if it moved on). A
    published article stays published with its new text."""
    _require_writer(by)
    errors = Errors()
    unknown_fields(data, ARTICLE_FIELDS, errors)
    errors.raise_if_any()
    current = KbArticle.objects.select_for_update().get(pk=article.pk)
    if current.version != version:
        raise _stale(version, current.version)
    values = _clean_article(data, errors)
    errors.raise_if_any()
    fields = _apply(current, values)
    current = _save_versioned(current, version=version, fields=fields)
    if "ticket_category_ids" in values:
        current.ticket_categories.set(values["ticket_category_ids"])
    return current


def _set_status(article: KbArticle, *, by: User, status: str) -> KbArticle:
    _require_writer(by)
    current = KbArticle.objects.select_for_update().get(pk=article.pk)
    if current.status == status:
        # Asking twice (a double click, a retried request) changes nothing.
        return current
    current.status = status
    fields = ["status"]
    if status == KbStatus.PUBLISHED:
        current.published_at = timezone.now()
        fields.append("published_at")
    return _save_versioned(current, version=current.version, fields=fields)


@transaction.atomic
def kb_article_publish(*, article: KbArticle, by: User) -> KbArticle:
    """Show the article to its readers (staff, and customers too if it is for them); again after archiving."""
    return _set_status(article, by=by, status=KbStatus.PUBLISHED)


@transaction.atomic
def kb_article_archive(*, article: KbArticle, by: User) -> KbArticle:
    """Take the article out of search and suggestions, keeping it (replies that quoted it still name it)."""
    return _set_status(article, by=by, status=KbStatus.ARCHIVED)


def kb_article_used(article: KbArticle) -> None:
    """A reply quoted the article: counted, and search ranks much-used articles higher."""
    KbArticle.objects.filter(pk=article.pk).update(uses=F("uses") + 1)


def kb_article_viewed(article: KbArticle) -> None:
    KbArticle.objects.filter(pk=article.pk).update(views=F("views") + 1)


def kb_article_vote(*, article: KbArticle, helpful: bool) -> KbArticle:
    """A reader found the article helpful or not; only a published article takes votes."""
    if article.status != KbStatus.PUBLISHED:
        raise ValidationError({"helpful": [_("Only a published article can be rated.")]})
    field = "helpful_yes" if helpful else "helpful_no"
    KbArticle.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
    article.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return article
