"""What the SMS gateways share: the shapes of a delivery report and an inbound SMS as our webhooks read them,
and the number forms the gateways expect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from peyvand.comms.providers import ConfigField
from peyvand.core.phone import try_normalize_phone
from peyvand.core.text import normalize_digits

__all__ = ["GATEWAY_FIELDS", "POLL_FIELD", "BadCallback", "DeliveryReport", "InboundSms", "field", "national_mobile"]

# The settings every SMS gateway account has beside its own: what one part costs, and its quiet hours.
GATEWAY_FIELDS: tuple[ConfigField, ...] = (
    ConfigField("price_per_segment", gettext_noop("Price of one SMS part (Rial)"), required=False),
    ConfigField(
        "quiet_hours",
        gettext_noop("Quiet hours for marketing"),
        required=False,
        help=gettext_noop("Like 22:00-08:00, or off; empty follows the site's setting."),
    ),
)

# Asking the gateway for the delivery status of sent messages (comms.sms.polling), for an account whose
# delivery webhook is not set up; empty counts as on. With the webhook working it only costs requests.
POLL_FIELD = ConfigField(
    "poll_status",
    gettext_noop("Poll delivery status"),
    required=False,
    choices=(("on", gettext_noop("On")), ("off", gettext_noop("Off"))),
    help=gettext_noop("Ask the gateway about sent messages now and then; not needed once its delivery webhook works."),
)


class BadCallback(ValueError):
    """A webhook's payload is not what the gateway documents: answered 400, the reason logged."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_message_id: str
    # True delivered, False will not be delivered, None still on its way (nothing to record yet).
    delivered: bool | None
    status: str


@dataclass(frozen=True)
class InboundSms:
    external_id: str
    sender: str
    recipient: str
    text: str
    received_at: dt.datetime | None = None


def field(data: Mapping[str, Any], *names: str) -> str:
    """The first of `names` present in `data`, as text ("" when none is)."""
    for name in names:
        value = data.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).strip() != "":
            return normalize_digits(str(value)).strip() if name != "message" else str(value)
    return ""


def national_mobile(number: str) -> str:
    """+989121234567 → 09121234567 (the form Iranian gateways document); other countries as 00<digits>."""
    e164 = try_normalize_phone(number) or number
    if e164.startswith("+98"):
        return "0" + e164[3:]
    return "00" + e164[1:] if e164.startswith("+") else e164
