"""Receiving a visitor's submission: the signed token, the spam checks (honeypot, filling time, rate per
address) and storing it once per token; what it becomes is webforms.services.processing."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from peyvand.comms.webforms.models import FormSubmission, SpamReason, SubmissionStatus, WebForm
from peyvand.comms.webforms.schema import answers_clean
from peyvand.comms.webforms.services.processing import process_submission
from peyvand.core.counting import window_hit

logger = logging.getLogger(__name__)

__all__ = ["FLOOD_FACTOR", "Received", "client_ip_hash", "form_token", "submission_receive"]

TOKEN_SALT = "peyvand.comms.webforms.token"  # noqa: S105  (a signing namespace, not a secret)
# Beyond this many times the hourly limit, flood attempts from one address are no longer even stored as spam:
# they are logged and dropped, so a flood cannot fill the database.
FLOOD_FACTOR = 3


def _token_hours() -> int:
    return int(getattr(settings, "PEYVAND_WEBFORMS_TOKEN_HOURS", 24))


def form_token(*, form: WebForm, now: datetime | None = None) -> str:
    """The signed token a rendered form carries: which form, a random id for this filling-in (the same id twice is
    one submission), and when it was handed out (a submission sooner than the form's minimum is a bot's)."""
    issued = int((now or timezone.now()).timestamp())
    return signing.dumps({"k": form.key, "n": secrets.token_hex(16), "t": issued}, salt=TOKEN_SALT)


@dataclass(frozen=True)
class _Token:
    nonce: str
    issued: int


def _read_token(form: WebForm, token: str) -> _Token | None:
    try:
        payload = signing.loads(str(token or "")[:500], salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") != form.key:
        return None
    nonce, issued = payload.get("n"), payload.get("t")
    if not isinstance(nonce, str) or not isinstance(issued, int) or len(nonce) != 32:
        return None
    return _Token(nonce=nonce, issued=issued)


def client_ip_hash(ip: str) -> str:
    """A keyed hash of the sender's address: submissions from one address can be counted without keeping it."""
    return salted_hmac("peyvand.comms.webforms.ip", ip or "-", algorithm="sha256").hexdigest()


def _count_attempt(form: WebForm, ip_hash: str, now: datetime) -> int:
    """This address's submissions to this form in the current hour, this one included, counted in the site's
    cache (shared by every process when the cache is) for the hosted page and the JSON endpoint alike."""
    return window_hit(f"comms:webforms:rate:{form.pk}:{ip_hash}:{int(now.timestamp()) // 3600}", timeout=3700)


def _trimmed(data: Mapping[str, Any]) -> dict[str, str]:
    """What a bot sent, kept small enough to look at and not a way to fill the database."""
    return {_no_nul(key)[:50]: _no_nul(value)[:1000] for key, value in list(data.items())[:50]}


def _no_nul(value: Any) -> str:
    # PostgreSQL refuses a NUL character in text and JSON alike.
    return str(value).replace("\x00", "")


@dataclass(frozen=True)
class Received:
    """What came of a submission: the record (None when a flood was dropped), and whether it was one already
    received (the same token sent again). The visitor is answered alike in every case but field errors."""

    submission: FormSubmission | None
    duplicate: bool = False


def _store(form: WebForm, values: dict[str, Any]) -> tuple[FormSubmission, bool]:
    """Insert once per token: a concurrent or repeated post with the same nonce finds the first record."""
    nonce = values.get("nonce", "")
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(form=form, **values), False
    except IntegrityError:
        if not nonce:
            raise
        return FormSubmission.objects.get(form=form, nonce=nonce), True


def submission_receive(
    *,
    form: WebForm,
    data: Mapping[str, Any],
    token: str,
    honeypot: str = "",
    ip: str = "",
    user_agent: str = "",
    origin: str = "",
    language: str = "",
    strict: bool = False,
    now: datetime | None = None,
) -> Received:
    """Receive a visitor's answers to an active form.

    Spam (the hidden field filled in, no valid token, sent sooner than a person could, or more than the form's
    hourly limit from one address) is stored as spam and never becomes a lead or a ticket; the visitor is answered
    as if it were accepted, so that a bot learns nothing. A token older than PEYVAND_WEBFORMS_TOKEN_HOURS and
    answers that do not fit the fields raise ValidationError (the form is shown again). Otherwise the submission is
    accepted and processed in one transaction (processing.process_submission)."""
    now = now or timezone.now()
    ip_hash = client_ip_hash(ip)
    parsed = _read_token(form, token)
    nonce = parsed.nonce if parsed else ""
    if nonce:
        existing = FormSubmission.objects.filter(form=form, nonce=nonce).first()
        if existing is not None:
            return Received(existing, duplicate=True)
    common: dict[str, Any] = {
        "nonce": nonce,
        "ip_hash": ip_hash,
        "user_agent": _no_nul(user_agent)[:300],
        "origin": _no_nul(origin)[:300],
        "language": _no_nul(language)[:8],
    }

    def spam(reason: str) -> Received:
        logger.info("Web form %s: submission taken as spam (%s)", form.key, reason)
        row, duplicate = _store(
            form, {**common, "status": SubmissionStatus.SPAM, "spam_reason": reason, "data": _trimmed(data)}
        )
        return Received(row, duplicate=duplicate)

    attempts = _count_attempt(form, ip_hash, now)
    if attempts > form.rate_per_hour * FLOOD_FACTOR:
        logger.warning("Web form %s: flood from one address dropped (%d this hour)", form.key, attempts)
        return Received(None)
    if attempts > form.rate_per_hour:
        return spam(SpamReason.RATE_LIMIT)
    if str(honeypot or "").strip():
        return spam(SpamReason.HONEYPOT)
    if parsed is None:
        return spam(SpamReason.NO_TOKEN)
    age = now.timestamp() - parsed.issued
    if age < form.min_fill_seconds:
        return spam(SpamReason.TOO_FAST)
    if age > _token_hours() * 3600:
        raise ValidationError({"token": [_("This form was open for too long. Please send it again.")]})
    answers = answers_clean(form.fields, data, strict=strict)
    with transaction.atomic():
        row, duplicate = _store(form, {**common, "status": SubmissionStatus.ACCEPTED, "data": answers})
        if not duplicate:
            process_submission(row, now=now)
    return Received(row, duplicate=duplicate)
