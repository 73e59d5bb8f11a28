"""A mailbox's settings as the mail code reads them: one e-mail account both sends (SMTP) and, when an IMAP
server is given, receives; its passwords live in the account's secrets, the rest in its config."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from peyvand.comms.models import ChannelAccount
from peyvand.comms.providers import ConfigField

__all__ = [
    "CONFIG_FIELDS",
    "KnownSender",
    "MailboxConfig",
    "UnknownSender",
    "attachment_limit_bytes",
    "mailbox_config",
    "mailbox_warnings",
    "message_limit_bytes",
    "outgoing_limit_bytes",
    "tls_context",
]

TLS_VERIFY_CHOICES = (
    ("yes", gettext_noop("Yes (recommended)")),
    ("no", gettext_noop("No: accept a self-signed certificate")),
)

SECURITY_CHOICES = (
    ("starttls", gettext_noop("STARTTLS")),
    ("ssl", gettext_noop("SSL/TLS")),
    ("none", gettext_noop("None (trusted network only)")),
)


class UnknownSender:
    """What a mail from an address no customer has becomes."""

    LEAD = "lead"
    TICKET = "ticket"
    NONE = "none"
    CHOICES = (
        (LEAD, gettext_noop("A new lead")),
        (TICKET, gettext_noop("A new ticket")),
        (NONE, gettext_noop("Nothing: kept for a person to look at")),
    )


class KnownSender:
    """What a mail from a customer's address becomes when it is not a reply to a ticket."""

    TIMELINE = "timeline"
    TICKET = "ticket"
    CHOICES = (
        (TIMELINE, gettext_noop("An entry on the customer's timeline")),
        (TICKET, gettext_noop("A new ticket (and the timeline entry)")),
    )


CONFIG_FIELDS: tuple[ConfigField, ...] = (
    ConfigField("from_address", gettext_noop("Sender address"), help=gettext_noop("e.g. support@example.ir")),
    ConfigField("from_name", gettext_noop("Sender name"), required=False),
    ConfigField("host", gettext_noop("SMTP server")),
    ConfigField("port", gettext_noop("SMTP port"), default="587"),
    ConfigField("security", gettext_noop("SMTP security"), default="starttls", choices=SECURITY_CHOICES),
    ConfigField(
        "tls_verify",
        gettext_noop("Check the servers' certificates"),
        default="yes",
        choices=TLS_VERIFY_CHOICES,
        help=gettext_noop(
            "Turn off only for an office mail server with a self-signed certificate on a network you trust: "
            "anyone between us and the server could then read the mail and the passwords."
        ),
    ),
    ConfigField("username", gettext_noop("SMTP user name"), required=False),
    ConfigField("password", gettext_noop("SMTP password"), secret=True, required=False),
    ConfigField(
        "imap_host",
        gettext_noop("IMAP server"),
        required=False,
        help=gettext_noop("Leave empty for a mailbox that only sends."),
    ),
    ConfigField("imap_port", gettext_noop("IMAP port"), required=False, default="993"),
    ConfigField("imap_security", gettext_noop("IMAP security"), default="ssl", choices=SECURITY_CHOICES),
    ConfigField(
        "imap_username",
        gettext_noop("IMAP user name"),
        required=False,
        help=gettext_noop("Empty: the SMTP user name."),
    ),
    ConfigField(
        "imap_password",
        gettext_noop("IMAP password"),
        secret=True,
        required=False,
        help=gettext_noop("Empty: the SMTP password."),
    ),
    ConfigField(
        "imap_folder",
        gettext_noop("IMAP folder"),
        required=False,
        default="INBOX",
        help=gettext_noop("As the mail program shows it; a Persian name works too."),
    ),
    ConfigField(
        "unknown_sender",
        gettext_noop("Mail from an unknown address"),
        default=UnknownSender.TICKET,
        choices=UnknownSender.CHOICES,
    ),
    ConfigField(
        "known_sender",
        gettext_noop("Mail from a customer"),
        default=KnownSender.TIMELINE,
        choices=KnownSender.CHOICES,
    ),
    ConfigField(
        "ticket_category",
        gettext_noop("Category of new tickets (number)"),
        required=False,
        help=gettext_noop("The routing rules choose the team of a ticket opened from a mail."),
    ),
    ConfigField(
        "ticket_team",
        gettext_noop("Team of new tickets (number)"),
        required=False,
        help=gettext_noop("Takes a ticket opened from a mail when no routing rule and no category places it."),
    ),
    ConfigField(
        "lead_team",
        gettext_noop("Team of new leads (number)"),
        required=False,
        help=gettext_noop("Empty: the owner's team."),
    ),
    ConfigField(
        "lead_owner",
        gettext_noop("Owner of new leads (user name)"),
        required=False,
        help=gettext_noop("Empty: nobody; the lead waits in its team's list for someone to take it."),
    ),
)


def _int(value: Any, default: int) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else default


def _choice(value: Any, choices: tuple[tuple[str, str], ...], default: str) -> str:
    text = str(value or "").strip()
    return text if text in {key for key, _label in choices} else default


@dataclass(frozen=True)
class MailboxConfig:
    from_address: str
    from_name: str
    host: str
    port: int
    security: str
    username: str
    password: str
    imap_host: str
    imap_port: int
    imap_security: str
    imap_username: str
    imap_password: str
    imap_folder: str
    unknown_sender: str
    known_sender: str
    ticket_category: int | None
    lead_owner: str
    tls_verify: bool = True
    ticket_team: int | None = None
    lead_team: int | None = None

    @property
    def receives(self) -> bool:
        return bool(self.imap_host)


def mailbox_config(account: ChannelAccount) -> MailboxConfig:
    """The account's settings with their defaults; a value of the wrong kind is read as its default, so a
    mistyped setting never stops the poll of the other mailboxes."""
    config = account.config if isinstance(account.config, dict) else {}
    secrets = account.secrets if isinstance(account.secrets, dict) else {}

    def text(name: str, default: str = "") -> str:
        value = secrets.get(name) if name in secrets else config.get(name)
        return str(value).strip() if value not in (None, "") else default

    security = _choice(config.get("security"), SECURITY_CHOICES, "starttls")
    imap_security = _choice(config.get("imap_security"), SECURITY_CHOICES, "ssl")
    category = _int(config.get("ticket_category"), 0)
    return MailboxConfig(
        from_address=text("from_address") or str(getattr(settings, "DEFAULT_FROM_EMAIL", "")),
        from_name=text("from_name"),
        host=text("host", "localhost"),
        port=_int(config.get("port"), 465 if security == "ssl" else 587),
        security=security,
        username=text("username"),
        password=text("password"),
        imap_host=text("imap_host"),
        imap_port=_int(config.get("imap_port"), 993 if imap_security == "ssl" else 143),
        imap_security=imap_security,
        imap_username=text("imap_username") or text("username"),
        imap_password=text("imap_password") or text("password"),
        imap_folder=text("imap_folder", "INBOX"),
        unknown_sender=_choice(config.get("unknown_sender"), UnknownSender.CHOICES, UnknownSender.TICKET),
        known_sender=_choice(config.get("known_sender"), KnownSender.CHOICES, KnownSender.TIMELINE),
        ticket_category=category or None,
        lead_owner=text("lead_owner"),
        # Anything but an explicit "no" keeps checking: a typo never turns the check off.
        tls_verify=str(config.get("tls_verify", "yes")).strip().lower() not in ("no", "false", "0", "off"),
        ticket_team=_int(config.get("ticket_team"), 0) or None,
        lead_team=_int(config.get("lead_team"), 0) or None,
    )


def tls_context(config: MailboxConfig) -> ssl.SSLContext:
    """The TLS context for the mailbox's SMTP and IMAP servers: the system's trusted authorities and the host
    name checked, unless the mailbox's `tls_verify` is off (an office server's self-signed certificate): then
    any certificate is taken, and the connection is still encrypted."""
    context = ssl.create_default_context()
    if not config.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def mailbox_warnings(config: MailboxConfig) -> list[str]:
    """What an administrator should know about a mailbox's settings (translated), for its pages."""
    warnings = []
    if not config.tls_verify:
        warnings.append(
            _(
                "The servers' certificates are not checked: a self-signed certificate is accepted, and so would be "
                "a forged one. Use this only on a network you trust."
            )
        )
    if "none" in (config.security, config.imap_security if config.receives else "starttls"):
        warnings.append(_("A server of this mailbox is reached without encryption: passwords travel in clear text."))
    return warnings


def attachment_limit_bytes() -> int:
    """PEYVAND_MAIL_ATTACHMENT_MB (default 25): a larger attachment of an incoming mail is not kept, and the
    message records which file and why."""
    return int(float(getattr(settings, "PEYVAND_MAIL_ATTACHMENT_MB", 25)) * 1024 * 1024)


def message_limit_bytes() -> int:
    """PEYVAND_MAIL_MESSAGE_MB (default 50): of a larger mail only the headers are fetched and kept."""
    return int(float(getattr(settings, "PEYVAND_MAIL_MESSAGE_MB", 50)) * 1024 * 1024)


def timeout_seconds() -> float:
    """PEYVAND_MAIL_TIMEOUT_SECONDS (default 30): how long an SMTP or IMAP server may keep us waiting."""
    return float(getattr(settings, "PEYVAND_MAIL_TIMEOUT_SECONDS", 30))


def outgoing_limit_bytes() -> int:
    """PEYVAND_MAIL_OUTGOING_MB (default 20): the most the files of one outgoing mail may add up to (mail servers
    commonly refuse mails past 25 MB, and base64 makes files a third larger)."""
    return int(float(getattr(settings, "PEYVAND_MAIL_OUTGOING_MB", 20)) * 1024 * 1024)
