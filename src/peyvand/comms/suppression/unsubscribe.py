"""One-click unsubscribe from marketing e-mail: a signed link naming the message (no account needed to use
it), the List-Unsubscribe headers of RFC 2369 / RFC 8058 that mail clients turn into an "unsubscribe" button,
and what following it does."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.comms.models import Channel, OutboundMessage, Suppression, SuppressionReason
from peyvand.comms.suppression.services import normalize_address, suppress_address

__all__ = ["list_unsubscribe_headers", "message_for_token", "unsubscribe_message", "unsubscribe_url"]

# Kept apart from every other signed value of the site: a token signed for something else is no unsubscribe.
_SALT = "peyvand.comms.unsubscribe"


def _site_url() -> str:
    return str(getattr(settings, "PEYVAND_SITE_URL", "") or "").rstrip("/")


def unsubscribe_url(message: OutboundMessage) -> str:
    """The message's unsubscribe page: absolute when PEYVAND_SITE_URL says where the site is, else the path.
    The token names the message and does not expire: a newsletter read a year later still unsubscribes."""
    # A plain signature, no timestamp: the same message always has the same link.
    token = signing.Signer(salt=_SALT).sign(str(message.pk))
    return _site_url() + reverse("comms:unsubscribe", args=[token])


def list_unsubscribe_headers(message: OutboundMessage) -> dict[str, str]:
    """The headers a marketing e-mail carries so that the reader's mail client offers unsubscribe: none for a
    transactional message (a ticket notice is not unsubscribed from), another channel's, or while
    PEYVAND_SITE_URL is unset (a relative address is useless in a mail)."""
    if message.transactional or message.channel != Channel.EMAIL or not _site_url():
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def message_for_token(token: str) -> OutboundMessage:
    """The marketing e-mail a token names; ValidationError for a forged or altered token, OutboundMessage.
    DoesNotExist when the message is gone."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        raise ValidationError(_("This unsubscribe link is not valid.")) from None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValidationError(_("This unsubscribe link is not valid."))
    return OutboundMessage.objects.select_related("customer").get(
        pk=int(value), channel=Channel.EMAIL, transactional=False
    )


def unsubscribe_message(*, message: OutboundMessage) -> tuple[Suppression, bool]:
    """The reader of `message` unsubscribes: its address goes on the list as "unsubscribed" (marketing mail
    stops; answers to the customer's own tickets still go), and the customer's timeline says so once.
    (the entry, whether it is new). Doing it again changes nothing."""
    address = normalize_address(Channel.EMAIL, message.to)
    if address is None:
        raise ValidationError(_("This unsubscribe link is not valid."))
    # Staff read the list and the timeline: in the site's language, whatever language the reader used.
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        new = not Suppression.objects.filter(channel=Channel.EMAIL, address=address).exists()
        entry = suppress_address(
            channel=Channel.EMAIL,
            address=address,
            reason=SuppressionReason.UNSUBSCRIBED,
            source=(_("Unsubscribe link in “%(subject)s”") % {"subject": message.subject or message.pk})[:255],
        )
        customer = message.customer
        if new and customer is not None and customer.deleted_at is None:
            _timeline(customer, entry, address, message)
    return entry, new


def _timeline(customer: Any, entry: Suppression, address: str, message: OutboundMessage) -> None:
    from peyvand.customers.models import Direction, InteractionChannel
    from peyvand.customers.services.timeline import interaction_create

    interaction_create(
        customer=customer,
        by=None,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INBOUND,
        subject=_("Unsubscribed from marketing e-mail"),
        body=_("%(address)s followed the unsubscribe link in “%(subject)s”.")
        % {"address": address, "subject": message.subject or "-"},
        related=entry,
        check_visible=False,
    )
