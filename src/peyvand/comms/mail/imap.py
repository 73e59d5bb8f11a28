"""Polling an IMAP mailbox: the unseen mails are fetched (without marking them), each is stored, and only then
marked seen, so a poll that dies half-way loses nothing and stores nothing twice (the store is keyed by the
Message-ID). A mail too large to fetch whole is stored from its headers with a note."""

from __future__ import annotations

import contextlib
import email
import imaplib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.policy import compat32

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.comms.mail.config import (
    MailboxConfig,
    mailbox_config,
    message_limit_bytes,
    timeout_seconds,
    tls_context,
)
from peyvand.comms.mail.models import MailboxPoll
from peyvand.comms.mail.parsing import parse_headers
from peyvand.comms.mail.receiving import mail_receive, mail_store
from peyvand.comms.mail.utf7 import encode_folder
from peyvand.comms.models import Channel, ChannelAccount

__all__ = ["POLL_RUNNING", "PollResult", "mailbox_poll", "mailboxes_to_poll"]

# What a poll that found the mailbox already being polled reports (and the page words).
POLL_RUNNING = "already_running"

logger = logging.getLogger("peyvand.mail")

SIZE = re.compile(rb"RFC822\.SIZE (\d+)", re.IGNORECASE)


@dataclass
class PollResult:
    account_id: int
    fetched: int = 0
    stored: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def error(self) -> str:
        return "; ".join(self.errors)[:500]


def mailboxes_to_poll() -> list[ChannelAccount]:
    """The active e-mail accounts that have an IMAP server."""
    accounts = ChannelAccount.objects.filter(channel=Channel.EMAIL, is_active=True).order_by("id")
    return [account for account in accounts if mailbox_config(account).receives]


def _batch_size() -> int:
    """PEYVAND_MAIL_POLL_BATCH (default 200): at most this many mails a poll; the rest wait for the next."""
    return max(1, int(getattr(settings, "PEYVAND_MAIL_POLL_BATCH", 200)))


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    timeout = timeout_seconds()
    if config.imap_security == "ssl":
        return imaplib.IMAP4_SSL(config.imap_host, config.imap_port, ssl_context=tls_context(config), timeout=timeout)
    client = imaplib.IMAP4(config.imap_host, config.imap_port, timeout=timeout)
    if config.imap_security == "starttls":
        try:
            client.starttls(ssl_context=tls_context(config))
        except BaseException:
            with contextlib.suppress(OSError):
                client.shutdown()
            raise
    return client


def _quoted(folder: str) -> str:
    """The folder name as a SELECT argument: modified UTF-7 (a Persian name), quoted when it has to be."""
    encoded = encode_folder(folder)
    if re.fullmatch(r"[A-Za-z0-9_./&,+-]+", encoded):
        return encoded
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: BaseException) -> str:
    """An imaplib error's message (it carries the server's bytes)."""
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


def _ok(reply: tuple[str, Sequence[object]], what: str) -> list[object]:
    status, data = reply
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{what}: {detail}")
    return list(data)


def _literal(data: list[object]) -> bytes | None:
    """The bytes a FETCH answered (the literal of its first response), or None when it answered none."""
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _size(data: list[object]) -> int | None:
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (found := SIZE.search(line)):
            return int(found.group(1))
    return None


def _fetch_and_store(client: imaplib.IMAP4, account: ChannelAccount, uid: str, result: PollResult) -> None:
    size = _size(_ok(client.uid("FETCH", uid, "(RFC822.SIZE)"), "fetch size"))
    limit = message_limit_bytes()
    if size is not None and size > limit:
        header = _literal(_ok(client.uid("FETCH", uid, "(BODY.PEEK[HEADER])"), "fetch header")) or b""
        parsed = parse_headers(email.message_from_bytes(header, policy=compat32), header)
        parsed.too_large = size
        parsed.text = _(
            "This e-mail (%(size)s MB) is larger than %(limit)s MB: only its headers were kept. Read it in the "
            "mailbox itself."
        ) % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"}
        stored = mail_store(account=account, parsed=parsed)
    else:
        raw = _literal(_ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch"))
        if raw is None:
            # Deleted by someone else between the search and the fetch: nothing to store.
            return
        stored = mail_receive(account=account, raw=raw)
    result.fetched += 1
    result.stored += int(stored.created)
    # Seen only now that it is stored: a crash before this line means fetching it again, never losing it.
    _ok(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "mark seen")


def _stale_after() -> timedelta:
    """A poll that started this long ago and never finished died with its worker: another may start."""
    return timedelta(seconds=max(60.0, timeout_seconds() * 4 + 60))


def _claim(account: ChannelAccount) -> MailboxPoll | None:
    """Mark the mailbox as being polled, unless a poll of it is already running: one conditional UPDATE, so
    of two workers (the schedule's and a "poll now") only one gets it, on SQLite and PostgreSQL alike."""
    state, _created = MailboxPoll.objects.get_or_create(account=account)
    now = timezone.now()
    idle = Q(started_at__isnull=True) | Q(finished_at__gte=F("started_at")) | Q(started_at__lt=now - _stale_after())
    taken = MailboxPoll.objects.filter(idle, pk=state.pk).update(started_at=now, updated_at=now)
    if not taken:
        return None
    state.started_at = now
    return state


def mailbox_poll(account: ChannelAccount) -> PollResult:
    """Fetch and store the mailbox's unseen mails (up to PEYVAND_MAIL_POLL_BATCH). Never raises for a server
    that is down or a mail that will not store: the result and the mailbox's poll record say what went wrong,
    and a mail not stored stays unseen for the next poll. A mailbox already being polled is left to that
    poll (the result's error says so)."""
    config = mailbox_config(account)
    result = PollResult(account_id=account.pk)
    state = _claim(account)
    if state is None:
        result.errors.append(POLL_RUNNING)
        return result
    try:
        if not config.receives:
            result.errors.append("no_imap_server")
        else:
            _poll(account, config, result)
    finally:
        # Finished even when the poll raised: the next one must not wait for the lock to go stale.
        MailboxPoll.objects.filter(pk=state.pk).update(
            finished_at=timezone.now(),
            fetched=result.fetched,
            stored=result.stored,
            error=result.error,
            total_stored=F("total_stored") + result.stored,
            updated_at=timezone.now(),
        )
    return result


def _poll(account: ChannelAccount, config: MailboxConfig, result: PollResult) -> None:
    try:
        client = _connect(config)
    except (OSError, imaplib.IMAP4.error) as exc:
        logger.warning("Mailbox %s: cannot reach %s:%s: %s", account.pk, config.imap_host, config.imap_port, exc)
        result.errors.append(f"connect: {exc}")
        return
    step = "login"
    try:
        _ok(client.login(config.imap_username, config.imap_password), step)
        step = "select"
        _ok(client.select(_quoted(config.imap_folder)), step)
        step = "search"
        found = _ok(client.uid("SEARCH", "UNSEEN"), step)
        step = "fetch"
        uids = b" ".join(d for d in found if isinstance(d, bytes)).decode("ascii", "replace").split()
        for uid in uids[: _batch_size()]:
            try:
                _fetch_and_store(client, account, uid, result)
            except (OSError, imaplib.IMAP4.abort):
                raise
            except Exception as exc:
                # One mail that will not store must not keep the others waiting; it stays unseen.
                logger.exception("Mailbox %s: mail UID %s was not stored", account.pk, uid)
                result.errors.append(f"uid {uid}: {type(exc).__name__}: {exc}"[:200])
    except (OSError, imaplib.IMAP4.error) as exc:
        logger.warning("Mailbox %s: poll stopped at %s: %s", account.pk, step, exc)
        result.errors.append(f"{step}: {_text(exc)}"[:300])
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
