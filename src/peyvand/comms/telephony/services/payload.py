"""Reading a call event in the webhook's JSON shape (the AMI listener's too) into call_event()."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.comms.models import ChannelAccount
from peyvand.comms.telephony.services.events import EVENTS, CallEventResult, call_event

_DIRECTIONS = {"in": "in", "inbound": "in", "incoming": "in", "out": "out", "outbound": "out", "outgoing": "out"}
_TEXT_FIELDS = {"call_id": 100, "from": 80, "to": 80, "extension": 32, "recording_url": 500, "status": 16}


def _payload_text(payload: dict[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors[name] = [_("Must be text.")]
        return ""
    text = str(value).strip()
    if len(text) > _TEXT_FIELDS[name]:
        errors[name] = [_("At most %(n)d characters.") % {"n": _TEXT_FIELDS[name]}]
    return text


def _payload_time(value: Any, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    errors["timestamp"] = [_("A time in ISO 8601 or seconds since 1970.")]
    return None


def without_nul(value: Any) -> Any:
    """`value` with every NUL character taken out of its texts: PostgreSQL cannot store one, in text or JSON."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(str(k)): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def call_event_from_payload(*, account: ChannelAccount, payload: Any) -> CallEventResult:
    """call_event() for an event in the webhook's JSON shape (the AMI listener's too): {"event", "call_id", "from",
    "to", "extension", "direction", "status", "duration", "recording_url", "timestamp"}."""
    if not isinstance(payload, dict):
        raise ValidationError({"__all__": [_("The body must be a JSON object.")]})
    errors: dict[str, list[str]] = {}
    event = payload.get("event")
    if not isinstance(event, str) or event.strip().lower() not in EVENTS:
        errors["event"] = [_("The event must be one of: %(events)s.") % {"events": ", ".join(EVENTS)}]
    payload = without_nul(payload)
    texts = {name: _payload_text(payload, name, errors) for name in _TEXT_FIELDS}
    direction = payload.get("direction") or ""
    if not isinstance(direction, str) or (direction and direction.lower() not in _DIRECTIONS):
        errors["direction"] = [_("The direction is in or out.")]
        direction = ""
    duration = payload.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float | str)):
        errors["duration"] = [_("The duration must be a number of seconds.")]
        duration = None
    occurred_at = _payload_time(payload.get("timestamp"), errors)
    if errors:
        raise ValidationError(errors)
    return call_event(
        account=account,
        event=str(event).strip().lower(),
        call_id=texts["call_id"],
        from_number=texts["from"],
        to_number=texts["to"],
        extension=texts["extension"],
        direction=_DIRECTIONS.get(direction.lower(), ""),
        status=texts["status"].lower(),
        duration=duration,
        recording_url=texts["recording_url"],
        occurred_at=occurred_at,
        raw=payload,
    )
