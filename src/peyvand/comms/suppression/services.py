"""Writes and the one check of the suppression list: adding an address (idempotent), lifting it, and which
of a batch of addresses may not be sent to."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from peyvand.comms.models import Channel, Suppression, SuppressionReason
from peyvand.core.phone import try_normalize_phone

__all__ = [
    "BLOCKS_TRANSACTIONAL",
    "SUPPRESSIBLE",
    "AddResult",
    "holds_back",
    "lift_opt_out",
    "normalize_address",
    "suppress_address",
    "suppressed_addresses",
    "suppression_reasons",
    "suppressions_add",
    "unsuppress",
]

logger = logging.getLogger("peyvand.suppression")

SUPPRESSIBLE = (Channel.EMAIL, Channel.SMS)

# The reasons that hold back every message to the address, a ticket notice too: the address does not exist
# (a hard bounce: sending on only harms the sender's reputation), its owner reported us as spam (mailbox
# providers count every further message against us), they replied STOP to our SMS line (a carrier's STOP stops
# the line, not a kind of message), or an administrator decided so (a legal request, a wrong number).
# An unsubscribe from a marketing mail holds back marketing only: a customer who leaves the newsletter still
# gets the answer to the ticket they opened.
BLOCKS_TRANSACTIONAL = frozenset(
    {
        SuppressionReason.HARD_BOUNCE,
        SuppressionReason.COMPLAINT,
        SuppressionReason.OPT_OUT_SMS,
        SuppressionReason.MANUAL,
    }
)

# Where pasted addresses are split: lines, commas (Latin and Persian) and semicolons; spaces too between
# e-mail addresses, never inside a phone number («0912 123 4567» is one).
_SEPARATORS = re.compile(r"[\r\n,،;؛]+")
_EMAIL_SEPARATORS = re.compile(r"[\s,،;؛]+")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def normalize_address(channel: str, address: str) -> str | None:
    """The address as the list stores it (E.164 for phones, lower-case e-mail), or None if it is not one."""
    text = (address or "").strip()
    if channel == Channel.SMS:
        return try_normalize_phone(text)
    if channel == Channel.EMAIL:
        text = text.strip("<>").lower()
        try:
            validate_email(text)
        except ValidationError:
            return None
        return text[:255]
    return None


def _lookup_key(channel: str, address: str) -> str | None:
    """The form to look `address` up by: what the outbox stores is E.164 already, taken as it is (parsing a
    million numbers of a campaign again cost more than the lookup); anything else is normalised."""
    if channel == Channel.SMS and _E164.fullmatch(address):
        return address
    return normalize_address(channel, address)


def _check(channel: str, address: str, reason: str) -> str:
    errors: dict[str, list[str]] = {}
    if channel not in SUPPRESSIBLE:
        errors["channel"] = [_("Addresses are suppressed for e-mail and SMS.")]
    if reason not in SuppressionReason.values:
        errors["reason"] = [_("Choose a reason.")]
    normal = normalize_address(channel, address) if channel in SUPPRESSIBLE else None
    if channel in SUPPRESSIBLE and normal is None:
        errors["address"] = [
            _("Not a phone number: %(address)s") if channel == Channel.SMS else _("Not an e-mail address: %(address)s")
        ]
        errors["address"] = [errors["address"][0] % {"address": (address or "")[:100]}]
    if errors:
        raise ValidationError(errors)
    assert normal is not None
    return normal


def suppress_address(*, channel: str, address: str, reason: str, source: str = "", by: Any = None) -> Suppression:
    """Put `address` on the list for `channel`, or return its entry if it is there already. An entry that
    holds back marketing only (an unsubscribe) becomes the stronger one when a reason that holds back
    everything comes (a bounce, a complaint, STOP); a weaker reason never softens an entry. No permission check:
    channels call it for what their providers report; pages and the API go through suppressions_add()."""
    normal = _check(channel, address, reason)
    source = (source or "").strip()[:255]
    existing = Suppression.objects.filter(channel=channel, address=normal).first()
    if existing is None:
        try:
            with transaction.atomic():
                created = Suppression.objects.create(
                    channel=channel, address=normal, reason=reason, source=source, created_by=by
                )
            logger.info("Suppressed %s %s (%s): %s", channel, normal, reason, source)
            return created
        except IntegrityError:
            # Added by another request at the same moment.
            existing = Suppression.objects.get(channel=channel, address=normal)
    if reason in BLOCKS_TRANSACTIONAL and existing.reason not in BLOCKS_TRANSACTIONAL:
        existing.reason, existing.source = reason, source or existing.source
        existing.save(update_fields=["reason", "source", "updated_at"])
        logger.info("Suppression of %s %s is now %s: %s", channel, normal, reason, source)
    return existing


def suppressed_addresses(channel: str, addresses: Iterable[str], *, transactional: bool = False) -> set[str]:
    """Of `addresses` (as given), those the list holds back for a message of `channel`: one query for a
    whole batch. A transactional message is held back only by the reasons in BLOCKS_TRANSACTIONAL."""
    found = suppression_reasons(channel, addresses)
    return {address for address, reason in found.items() if holds_back(reason, transactional=transactional)}


def suppression_reasons(channel: str, addresses: Iterable[str]) -> dict[str, str]:
    """Of `addresses` (as given), those on the list, with the entry's reason: one query for a batch."""
    if channel not in SUPPRESSIBLE:
        return {}
    by_normal: dict[str, list[str]] = {}
    for address in addresses:
        normal = _lookup_key(channel, address) if address else None
        if normal is not None:
            by_normal.setdefault(normal, []).append(address)
    if not by_normal:
        return {}
    rows = Suppression.objects.filter(channel=channel, address__in=list(by_normal)).values_list("address", "reason")
    return {given: reason for normal, reason in rows for given in by_normal.get(normal, [])}


def holds_back(reason: str, *, transactional: bool) -> bool:
    """Whether an entry with `reason` stops a message: every reason stops marketing, and those in
    BLOCKS_TRANSACTIONAL stop transactional messages too."""
    return not transactional or reason in BLOCKS_TRANSACTIONAL


def unsuppress(*, suppression: Suppression, by: Any) -> None:
    """Take an address off the list (administrators): messages to it go again."""
    if by is None or not by.is_admin_role:
        raise PermissionDenied(_("Only administrators change the suppression list."))
    logger.info(
        "%s removed %s %s (%s) from the suppression list",
        by.username,
        suppression.channel,
        suppression.address,
        suppression.reason,
    )
    suppression.delete()


def lift_opt_out(*, channel: str, address: str) -> bool:
    """The owner of `address` opted back in (a «عضویت» / START reply): their own opt-out is lifted. Entries
    for other reasons (a bounce, an administrator's) stay. True if one was lifted."""
    normal = normalize_address(channel, address)
    if normal is None:
        return False
    deleted, _rows = Suppression.objects.filter(
        channel=channel, address=normal, reason=SuppressionReason.OPT_OUT_SMS
    ).delete()
    if deleted:
        logger.info("Opt-out of %s %s lifted by its owner", channel, normal)
    return bool(deleted)


@dataclass
class AddResult:
    added: list[Suppression] = field(default_factory=list)
    already: int = 0


def suppressions_add(
    *, by: Any, channel: str, addresses: str | Sequence[str], reason: str, source: str = ""
) -> AddResult:
    """Administrators: add one or many addresses (a list, or text pasted one a line or separated by commas).
    Nothing is added when any of them is not an address: the error names the first."""
    if by is None or not by.is_admin_role:
        raise PermissionDenied(_("Only administrators change the suppression list."))
    if isinstance(addresses, str):
        pieces = (_EMAIL_SEPARATORS if channel == Channel.EMAIL else _SEPARATORS).split(addresses or "")
    else:
        pieces = list(addresses)
    items = [item.strip() for item in pieces if item.strip()]
    if not items:
        raise ValidationError({"addresses": [_("Give at least one address.")]})
    if len(items) > 10000:
        raise ValidationError({"addresses": [_("At most %(count)s addresses at a time.") % {"count": 10000}]})
    normals: list[str] = []
    for item in items:
        try:
            normals.append(_check(channel, item, reason))
        except ValidationError as exc:
            errors = exc.message_dict
            if "address" in errors:
                errors["addresses"] = errors.pop("address")
            raise ValidationError(errors) from None
    result = AddResult()
    with transaction.atomic():
        known = set(Suppression.objects.filter(channel=channel, address__in=normals).values_list("address", flat=True))
        for normal in dict.fromkeys(normals):
            entry = suppress_address(channel=channel, address=normal, reason=reason, source=source, by=by)
            if normal in known:
                result.already += 1
            else:
                result.added.append(entry)
    return result
