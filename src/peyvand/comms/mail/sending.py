"""Sending e-mail through an SMTP server: the outbox's provider for the e-mail channel.

Each mail's Message-ID is made from its outbox row and a keyed hash of its idempotency key, so the same message
sent again after a crash carries the same Message-ID (mail clients and servers recognise the repeat), and a
customer's reply (In-Reply-To, References) leads back to the message, and the ticket, it answers.

Mail nobody wrote by hand (a ticket notice, a template) says so (Auto-Submitted, RFC 3834), so that
autoresponders do not answer it and two systems never answer each other for ever; marketing carries
Precedence: bulk and List-Unsubscribe (RFC 2369/8058).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import re
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_noop

from peyvand.comms.mail.config import CONFIG_FIELDS, MailboxConfig, mailbox_config, timeout_seconds, tls_context
from peyvand.comms.models import Channel, OutboundMessage
from peyvand.comms.providers import PermanentError, SendResult, TemporaryError

if TYPE_CHECKING:
    from peyvand.comms.models import ChannelAccount

__all__ = [
    "AUTO_REPLY_TEMPLATES",
    "SmtpProvider",
    "auto_submitted",
    "build_email",
    "message_id_for",
    "outbound_for_message_ids",
]

logger = logging.getLogger("peyvand.mail")

# Notices sent because a mail came in (the customer wrote, we confirm receipt): automatic replies in RFC 3834's
# sense; any other automatic mail is "auto-generated".
AUTO_REPLY_TEMPLATES = frozenset({"ticket_received"})

# <peyvand.{outbox id}.{keyed hash}@domain>: the id finds the row, the hash proves we wrote it.
MESSAGE_ID = re.compile(r"peyvand\.(\d{1,18})\.([0-9a-f]{24})@", re.IGNORECASE)


def _signature(idempotency_key: str) -> str:
    key = f"peyvand.mail.message-id:{settings.SECRET_KEY}".encode()
    return hmac.new(key, idempotency_key.encode(), hashlib.sha256).hexdigest()[:24]


def message_id_for(message: OutboundMessage, *, domain: str) -> str:
    """The Message-ID of `message`: the same every time it is sent (never random), unguessable from outside."""
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<peyvand.{message.pk}.{_signature(message.idempotency_key)}@{domain}>"


def outbound_for_message_ids(values: list[str]) -> OutboundMessage | None:
    """The e-mail we sent that one of `values` (Message-IDs from In-Reply-To / References, nearest first)
    names; a forged or foreign id finds nothing."""
    for value in values:
        found = MESSAGE_ID.search(value or "")
        if found is None:
            continue
        row = OutboundMessage.objects.filter(pk=int(found.group(1)), channel=Channel.EMAIL).first()
        if row is not None and hmac.compare_digest(_signature(row.idempotency_key), found.group(2).lower()):
            return row
    return None


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def _recipient(to: str) -> tuple[str, str]:
    """(display name, address) of the outbox's `to` ("a@b.ir" or "Name <a@b.ir>"); PermanentError when it
    is not an address: no retry will make it one."""
    name, address = parseaddr(to or "")
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise PermanentError(f"invalid_address: {to!r}") from None
    return name.strip(), address


def auto_submitted(message: OutboundMessage) -> str:
    """The Auto-Submitted value of `message` (RFC 3834): "auto-replied" for a notice answering a mail that came
    in, "auto-generated" for other mail nobody wrote by hand (no author, or a named template), "" for a
    person's own mail."""
    if message.template in AUTO_REPLY_TEMPLATES:
        return "auto-replied"
    if message.created_by_id is None or message.template:
        return "auto-generated"
    return ""


def _unsubscribe_headers(message: OutboundMessage) -> dict[str, str]:
    """List-Unsubscribe (and -Post) for `message`, from the suppression list's own links."""
    from peyvand.comms.suppression import list_unsubscribe_headers

    try:
        return dict(list_unsubscribe_headers(message) or {})
    except Exception:
        # A mail without the header is still a mail worth sending; the fault is logged for its owner.
        logger.exception("List-Unsubscribe of outbox message %s", message.pk)
        return {}


def _attach(mail: EmailMessage, message: OutboundMessage) -> None:
    """The message's files (comms.mail.OutgoingAttachment), with their types and names as given; a Persian name
    is written as RFC 2231 says (filename*=utf-8''…), which every mail program reads."""
    from peyvand.comms.mail.models import OutgoingAttachment

    for row in OutgoingAttachment.objects.filter(message_id=message.pk).order_by("id"):
        kind = row.content_type or mimetypes.guess_type(row.name)[0] or "application/octet-stream"
        maintype, _slash, subtype = kind.partition("/")
        if not subtype or "\n" in kind or "\r" in kind:
            maintype, subtype = "application", "octet-stream"
        try:
            with row.file.open("rb") as handle:
                data = handle.read()
        except OSError as exc:
            # Storage not mounted yet, or a file removed by hand: worth another try, never a mail without it.
            raise TemporaryError(f"attachment_missing: {row.name}: {exc}"[:480]) from None
        # Bytes whatever the type (text too, in base64): the file arrives exactly as it was given.
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=row.name)


def build_email(message: OutboundMessage, config: MailboxConfig) -> EmailMessage:
    """The MIME message: plain text, with the HTML as an alternative when there is one, and the files after
    them (multipart/mixed). Persian subjects and names are encoded (RFC 2047) by the email package's default
    policy."""
    name, address = _recipient(message.to)
    mail = EmailMessage()
    from_user, _at, from_domain = config.from_address.partition("@")
    mail["From"] = Address(display_name=config.from_name, username=from_user, domain=from_domain)
    to_user, _at, to_domain = address.partition("@")
    mail["To"] = Address(display_name=name, username=to_user, domain=to_domain)
    mail["Subject"] = (message.subject or "").replace("\r", " ").replace("\n", " ")
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id_for(message, domain=_domain(config.from_address))
    automatic = auto_submitted(message)
    if automatic:
        mail["Auto-Submitted"] = automatic
        # What Exchange and older autoresponders look at instead.
        mail["X-Auto-Response-Suppress"] = "All"
    if not message.transactional:
        mail["Precedence"] = "bulk"
        for header, value in _unsubscribe_headers(message).items():
            mail[header] = value
    mail.set_content(message.body or "", charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    _attach(mail, message)
    return mail


def _smtp_error(exc: smtplib.SMTPResponseException) -> Exception:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    reason = f"smtp_{exc.smtp_code}: {text}"[:480]
    # A 5xx refusal of the mail itself stays a refusal; a 4xx is the server asking us to come back later.
    if 500 <= exc.smtp_code < 600 and isinstance(exc, smtplib.SMTPDataError):
        return PermanentError(reason)
    return TemporaryError(reason)


class SmtpProvider:
    """One mailbox's SMTP server. A refused recipient (5xx) or a refused message is permanent; a server that
    is down, times out, asks us to wait (4xx) or refuses our login is temporary (the outbox retries it, and
    a password put right lets the waiting messages go)."""

    channel = Channel.EMAIL.value
    name = "smtp"
    label = gettext_noop("SMTP mail server")
    config_fields = CONFIG_FIELDS

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        self.config = mailbox_config(account)

    def _connect(self) -> smtplib.SMTP:
        config, timeout = self.config, timeout_seconds()
        if config.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=timeout, context=tls_context(config)
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        try:
            if config.security == "starttls":
                smtp.starttls(context=tls_context(config))
            if config.username:
                smtp.login(config.username, config.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: OutboundMessage) -> SendResult:
        _name, address = _recipient(message.to)
        try:
            mail = build_email(message, self.config)
        except (ValueError, TypeError) as exc:
            # The mailbox's own sender address or name cannot be written: the settings need fixing, the message
            # waits for them.
            raise TemporaryError(f"mailbox_settings: {exc}"[:480]) from None
        try:
            smtp = self._connect()
            try:
                refused = smtp.send_message(mail, from_addr=self.config.from_address, to_addrs=[address])
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b""))
            reason = f"smtp_{code}: {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"[:480]
            raise (PermanentError(reason) if 500 <= code < 600 else TemporaryError(reason)) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connection, timeout, a server that hung up, a failed TLS handshake.
            raise TemporaryError(f"smtp_connection: {exc}"[:480]) from None
        if refused:
            raise PermanentError(f"smtp_refused: {refused}"[:480])
        return SendResult(provider_message_id=str(mail["Message-ID"]).strip("<>")[:100], delivered=False)
