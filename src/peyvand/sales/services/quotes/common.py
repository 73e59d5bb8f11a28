"""What every write to a quote shares: which status allows which step, the scope check, the guarded status move
and the timeline entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.money import format_money
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.services import interaction_create
from peyvand.sales.models import Quote, QuoteStatus
from peyvand.sales.selectors import owned_visible_to

MAX_TEXT = 20000
# Which statuses allow which step. Only the latest revision of a number is ever in one of these: a revised quote
# is superseded, and superseded quotes do nothing but stay on record.
EDITABLE = {QuoteStatus.DRAFT}
REVISABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.REJECTED, QuoteStatus.EXPIRED}
SENDABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT}
DECIDABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT}


def quote_is_expired(quote: Quote, *, today: date | None = None) -> bool:
    """Past its validity (and not yet decided): it can no longer be accepted, only revised."""
    if quote.status == QuoteStatus.EXPIRED:
        return True
    if quote.valid_until is None or quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        return False
    return quote.valid_until < (today or timezone.localdate())


def require_visible(quote: Quote, by: User) -> None:
    if not owned_visible_to(Quote.objects.all(), by).filter(pk=quote.pk).exists():
        raise Quote.DoesNotExist


def write_timeline(
    quote: Quote,
    *,
    by: User | None,
    subject: str,
    body: str = "",
    channel: str = InteractionChannel.SYSTEM,
    direction: str = Direction.INTERNAL,
) -> None:
    """Quote milestones go on the customer's one timeline, linked to the quote. The caller's right to the quote
    was checked already; the customer may since have left their sight, which must not stop the record."""
    interaction_create(
        customer=quote.customer,
        by=by,
        channel=channel,
        direction=direction,
        subject=subject[:255],
        body=body,
        related=quote,
        check_visible=False,
    )


def move_status(quote: Quote, *, allowed: set[QuoteStatus], values: dict[str, Any], message: str) -> Quote:
    """Write `values` (a new status, a time) and the next version only if the row is still in an `allowed`
    status: two people accepting, revising or rejecting the same quote at once cannot both win, on SQLite too."""
    now = timezone.now()
    written = Quote.objects.filter(pk=quote.pk, status__in=allowed).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        raise ValidationError({"status": [message]})
    for field, value in values.items():
        setattr(quote, field, value)
    quote.version += 1
    quote.updated_at = now
    return quote


def summary(quote: Quote) -> str:
    return _("Total payable: %(total)s (before VAT: %(net)s).") % {
        "total": format_money(quote.total),
        "net": format_money(quote.net_total),
    }
