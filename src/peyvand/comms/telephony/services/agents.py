"""The agents' side of telephony: who rang, extensions, click-to-call."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.telephony.models import Call, Extension
from peyvand.comms.telephony.numbers import read_number
from peyvand.comms.telephony.push import user_group
from peyvand.comms.telephony.services.events import ringing_groups
from peyvand.core.text import normalize_digits
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customers_visible_to

logger = logging.getLogger(__name__)


def rang(*, call: Call, user: User) -> bool:
    """Whether the call's pop-up went to `user`."""
    return call.agent_id == user.pk or user_group(user.pk) in ringing_groups(call)


@transaction.atomic
def extension_set(*, by: User, account: ChannelAccount, user: User, number: str) -> Extension | None:
    """Give `user` the extension `number` on the PBX (an empty number takes theirs away); administrators only."""
    if not by.is_admin_role:
        raise PermissionDenied(_("Only administrators assign extensions."))
    if account.channel != Channel.CALL:
        raise ValidationError({"account": [_("This account is not a PBX.")]})
    number = normalize_digits(number).strip()
    Extension.objects.filter(account=account, user=user).exclude(number=number).delete()
    if not number:
        return None
    if len(number) > 32 or not number.replace("*", "").replace("#", "").isalnum():
        raise ValidationError({"number": [_("An extension is up to 32 letters and digits.")]})
    taken = Extension.objects.filter(account=account, number=number).exclude(user=user).first()
    if taken is not None:
        raise ValidationError({"number": [_("This extension belongs to %(user)s.") % {"user": taken.user}]})
    extension, _created = Extension.objects.get_or_create(account=account, user=user, number=number)
    return extension


def agent_extension(*, user: User, account: ChannelAccount) -> str:
    row = Extension.objects.filter(account=account, user=user).first()
    return row.number if row is not None else user.extension.strip()


def click_to_call(
    *, by: User, number: str, customer: Customer | None = None, account: ChannelAccount | None = None
) -> dict[str, str]:
    """Ask the PBX to ring the agent's own phone and, once picked up, dial `number`. The PBX then reports the
    call like any other, so it reaches the log and the timeline the usual way."""
    from peyvand.comms.telephony.provider import OriginateError, pbx_for

    if customer is not None and not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise Customer.DoesNotExist
    e164, _raw = read_number(number)
    if not e164:
        raise ValidationError({"number": [_("This is not a phone number that can be dialled.")]})
    account = account or default_pbx()
    if account is None:
        raise ValidationError(
            {"account": [_("No PBX is set up yet: an administrator adds one in the channel settings.")]}
        )
    extension = agent_extension(user=by, account=account)
    if not extension:
        raise ValidationError({"extension": [_("You have no extension on this PBX: ask an administrator for one.")]})
    try:
        reference = pbx_for(account).originate(extension=extension, number=e164, by=by)
    except OriginateError as exc:
        logger.warning("telephony: originate from %s to %s failed: %s", extension, e164, exc)
        raise ValidationError({"number": [_("The PBX did not place the call: %(reason)s") % {"reason": exc}]}) from None
    return {"extension": extension, "number": e164, "reference": reference}


def default_pbx() -> ChannelAccount | None:
    return ChannelAccount.objects.filter(channel=Channel.CALL, is_active=True).order_by("-is_default", "id").first()
