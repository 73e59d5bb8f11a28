"""Every PBX event (AMI or webhook) goes through call_event(): one Call per PBX call, each event recorded once,
the agents' pop-ups rung, the finished call logged on the timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.telephony.models import Call, CallDirection, CallEvent, CallStatus, Extension
from peyvand.comms.telephony.numbers import is_extension, read_number
from peyvand.comms.telephony.push import extension_group, push_call, user_group
from peyvand.comms.telephony.services.timeline import log_on_timeline
from peyvand.core.text import normalize_digits
from peyvand.customers.models import Customer

__all__ = ["EVENTS", "CallEventResult", "call_event", "calls_close_stale", "extension_user", "max_extension_digits"]


RINGING, ANSWERED, HANGUP, RECORD = "ringing", "answered", "hangup", "record"
# "record" is a late report about a finished call (Asterisk's Cdr event): its billed duration and recording.
EVENTS = (RINGING, ANSWERED, HANGUP, RECORD)
_END_STATUSES = {CallStatus.MISSED, CallStatus.BUSY, CallStatus.FAILED, CallStatus.ANSWERED}
# A duration beyond a day is a PBX's error, not a call.
MAX_DURATION = 24 * 3600


@dataclass
class CallEventResult:
    call: Call
    # False when this event of this call was recorded before: nothing was changed or pushed again.
    created: bool
    pushed_to: list[str] = field(default_factory=list)


def extension_user(*, account: ChannelAccount, extension: str) -> User | None:
    """Whose phone `extension` is on this PBX: the extension table first, then the extension on the staff record."""
    extension = extension.strip()
    if not extension:
        return None
    row = Extension.objects.filter(account=account, number=extension, user__is_active=True).select_related("user")
    found = row.first()
    if found is not None:
        return found.user
    return User.objects.filter(extension=extension, is_active=True).order_by("id").first()


def _caller_customer(number: str) -> Customer | None:
    if not number:
        return None
    return Customer.objects.filter(phones__number=number, deleted_at__isnull=True).order_by("id").first()


def _when(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return timezone.now()
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _clean_duration(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        raise ValidationError({"duration": [_("The duration must be a number of seconds.")]}) from None
    if not 0 <= seconds <= MAX_DURATION:
        raise ValidationError({"duration": [_("The duration must be between 0 and 86400 seconds.")]})
    return seconds


def _validate(event: str, call_id: str, recording_url: str) -> None:
    errors: dict[str, list[str]] = {}
    if event not in EVENTS:
        errors["event"] = [_("The event must be one of: %(events)s.") % {"events": ", ".join(EVENTS)}]
    if not call_id.strip() or len(call_id) > 100:
        errors["call_id"] = [_("Every event needs the PBX's id of the call (at most 100 characters).")]
    if recording_url and not recording_url.lower().startswith(("http://", "https://")):
        errors["recording_url"] = [_("The recording link must be an http or https address.")]
    if errors:
        raise ValidationError(errors)


def call_event(
    *,
    account: ChannelAccount,
    event: str,
    call_id: str,
    from_number: str = "",
    to_number: str = "",
    extension: str = "",
    direction: str = "",
    status: str = "",
    duration: Any = None,
    recording_url: str = "",
    occurred_at: dt.datetime | None = None,
    raw: dict[str, Any] | None = None,
) -> CallEventResult:
    """Apply one PBX event to its call. Idempotent by (account, call id, event): the same event again returns the
    call unchanged. Events may come out of order (a webhook retried late): a hang-up of a call never seen ringing
    still makes a whole, missed or answered, call. Raises ValidationError for an event that cannot be read."""
    if account.channel != Channel.CALL:
        raise ValidationError({"account": [_("This account is not a PBX.")]})
    call_id, extension = str(call_id).strip(), normalize_digits(str(extension or "")).strip()[:32]
    recording_url = str(recording_url or "").strip()[:500]
    _validate(event, call_id, recording_url)
    seconds = _clean_duration(duration)
    when = _when(occurred_at)
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(account=account, pbx_call_id=call_id).first()
        if call is None:
            try:
                with transaction.atomic():
                    call = Call.objects.create(
                        account=account,
                        pbx_call_id=call_id,
                        **_new_call(account, from_number, to_number, extension, direction, when, seconds, event),
                    )
            except IntegrityError:  # the same call's other event, at the same moment, made it first
                call = Call.objects.select_for_update().get(account=account, pbx_call_id=call_id)
        else:
            _fill_numbers(call, from_number, to_number)
        try:
            with transaction.atomic():
                CallEvent.objects.create(
                    account=account, pbx_call_id=call_id, event=event, call=call, occurred_at=when, raw=raw or {}
                )
        except IntegrityError:
            return CallEventResult(call=call, created=False)
        groups = _apply(call, event, extension, status, seconds, recording_url, when)
        if groups:
            kind = "ringing" if event == RINGING else "ended" if event == HANGUP else "answered"
            transaction.on_commit(lambda: push_call(kind=kind, call_id=call.pk, groups=groups))
    return CallEventResult(call=call, created=True, pushed_to=groups)


def _new_call(
    account: ChannelAccount,
    from_raw: str,
    to_raw: str,
    extension: str,
    direction: str,
    when: dt.datetime,
    seconds: int | None,
    event: str,
) -> dict[str, Any]:
    from_e164, from_text = read_number(from_raw)
    to_e164, to_text = read_number(to_raw)
    max_digits = max_extension_digits(account)
    if direction not in CallDirection.values:
        # A call placed from one of our extensions to an outside number goes out; every other one comes in.
        from_ext, to_ext = is_extension(from_text, max_digits=max_digits), is_extension(to_text, max_digits=max_digits)
        direction = (
            CallDirection.INTERNAL
            if from_ext and to_ext
            else CallDirection.OUTBOUND
            if from_ext
            else CallDirection.INBOUND
        )
    if direction == CallDirection.OUTBOUND and not extension and is_extension(from_text, max_digits=max_digits):
        extension = from_text
    started = when - dt.timedelta(seconds=seconds) if event in (HANGUP, RECORD) and seconds else when
    caller = to_e164 if direction == CallDirection.OUTBOUND else from_e164
    customer = _caller_customer(caller)
    return {
        "direction": direction,
        "from_number": from_e164,
        "from_raw": from_text,
        "to_number": to_e164,
        "to_raw": to_text,
        "extension": extension,
        "started_at": started,
        "customer": customer,
        "team_id": customer.team_id if customer is not None else _fallback_team(account),
    }


def max_extension_digits(account: ChannelAccount) -> int:
    """How long an extension number can be on this PBX (config `extension_max_digits`, 5 by default)."""
    value = str((account.config or {}).get("extension_max_digits") or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 16 else 5


def _fill_numbers(call: Call, from_raw: str, to_raw: str) -> None:
    """A call first heard of by a late event (a hang-up before its ring) learns its numbers from the next one."""
    if from_raw and not call.from_raw:
        call.from_number, call.from_raw = read_number(from_raw)
    if to_raw and not call.to_raw:
        call.to_number, call.to_raw = read_number(to_raw)


def _fallback_team(account: ChannelAccount) -> int | None:
    value = str((account.config or {}).get("fallback_team_id") or "").strip()
    return int(value) if value.isdigit() and Team.objects.filter(pk=int(value)).exists() else None


def _apply(
    call: Call,
    event: str,
    extension: str,
    status: str,
    seconds: int | None,
    recording_url: str,
    when: dt.datetime,
) -> list[str]:
    """Change the call for one new event; the groups whose pop-ups should hear of it."""
    if extension and not call.extension:
        call.extension = extension
    if call.agent_id is None and call.extension:
        call.agent = extension_user(account=call.account, extension=call.extension)
    if call.customer_id is None:
        # The caller may have been made a customer while the phone rang.
        outbound = call.direction == CallDirection.OUTBOUND
        call.customer = _caller_customer(call.to_number if outbound else call.from_number)
        call.team_id = call.customer.team_id if call.customer is not None else call.team_id
    groups: list[str] = []
    if event == RINGING:
        groups = ringing_groups(call)
    elif event == ANSWERED:
        call.answered_at = call.answered_at or when
        if call.ended_at is None:
            call.status = CallStatus.ANSWERED
        groups = ringing_groups(call)
    elif event == HANGUP:
        _hang_up(call, status, seconds, when)
        groups = ringing_groups(call)
    elif event == RECORD:
        if seconds is not None:
            call.duration_seconds = seconds
        if status in _END_STATUSES and call.answered_at is None:
            call.status = status
        call.ended_at = call.ended_at or when
    if recording_url:
        call.recording_url = recording_url
    call.save()
    if event in (HANGUP, RECORD) or (call.ended_at is not None and call.interaction_id is None):
        log_on_timeline(call)
    return groups


def _hang_up(call: Call, status: str, seconds: int | None, when: dt.datetime) -> None:
    call.ended_at = when
    if call.answered_at is not None:
        call.status = CallStatus.ANSWERED
    elif status == CallStatus.ANSWERED:
        call.status, call.answered_at = CallStatus.ANSWERED, when - dt.timedelta(seconds=seconds or 0)
    else:
        call.status = status if status in _END_STATUSES else CallStatus.MISSED
    if seconds is not None:
        call.duration_seconds = seconds
    elif call.answered_at is not None:
        call.duration_seconds = max(0, int((when - call.answered_at).total_seconds()))
    else:
        call.duration_seconds = 0


def ringing_groups(call: Call) -> list[str]:
    """Who should see the pop-up: whoever holds the called extension; when no one does (a queue, an IVR), the
    caller's account manager, else the customer's team, else the PBX's fallback team."""
    if call.direction == CallDirection.OUTBOUND:
        return [user_group(call.agent_id)] if call.agent_id else []
    if call.extension and call.agent_id:
        # Everyone whose phone is this extension has joined its group (the agent among them).
        return [extension_group(call.account_id, call.extension)]
    customer = call.customer
    if customer is not None and customer.owner is not None and customer.owner.is_active:
        return [user_group(customer.owner.pk)]
    team_id = customer.team_id if customer is not None else _fallback_team(call.account)
    if not team_id:
        return []
    members = User.objects.filter(team_id=team_id, is_active=True).values_list("pk", flat=True)[:200]
    return [user_group(pk) for pk in members]


def calls_close_stale(*, now: dt.datetime | None = None, older_than: dt.timedelta | None = None) -> int:
    """End the calls whose hang-up never came (a PBX restarted mid-call, a lost webhook): still ringing or talking
    after `older_than` (PEYVAND_TELEPHONY_STALE_HOURS, default 4), they are hung up as the PBX would have, so they
    leave the pop-ups, count as missed if no one answered, and reach the timeline. A hang-up that arrives later is
    then a duplicate and changes nothing."""
    from django.conf import settings

    hours = float(getattr(settings, "PEYVAND_TELEPHONY_STALE_HOURS", 4))
    cutoff = (now or timezone.now()) - (older_than or dt.timedelta(hours=hours))
    stale = Call.objects.filter(ended_at__isnull=True, started_at__lt=cutoff).select_related("account")[:500]
    closed = 0
    for call in stale:
        result = call_event(
            account=call.account,
            event=HANGUP,
            call_id=call.pbx_call_id,
            occurred_at=call.answered_at or call.started_at,
            raw={"closed_by": "calls_close_stale"},
        )
        closed += int(result.created)
    return closed
