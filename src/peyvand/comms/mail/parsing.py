"""Reading an incoming mail as it really arrives: multipart or not, HTML and plain text, encoded (RFC 2047)
and raw 8-bit headers, charsets declared wrongly or not at all (windows-1256 and UTF-8 mixed in one mail),
RFC 2231 file names, broken base64. Parsing never raises: what cannot be read is kept as best it can be."""

from __future__ import annotations

import codecs
import email
import hashlib
import html as html_lib
import logging
import mimetypes
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

__all__ = ["ParsedAttachment", "ParsedMail", "decode_bytes", "parse_headers", "parse_mail"]

logger = logging.getLogger("peyvand.mail")

# Charsets whose every byte is a character: a Persian mail mislabelled as one of them decodes without an error
# into nonsense, so its bytes are also tried as windows-1256.
SINGLE_BYTE_LATIN = {"ascii", "iso8859-1", "cp1252", "iso8859-15"}
SINGLE_BYTE = re.compile(r"^(cp\d+|iso8859-\d+|latin-1|koi8-.|mac-.+|tis-620)$")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
# windows-1256 has the Arabic yeh and kaf only; Persian text written in it means the Persian letters.
PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9"})
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")
KEPT_HEADERS = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "Precedence",
    "Content-Type",
)


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    size: int
    data: bytes | None  # None when it was not kept
    refused: str = ""  # why it was not kept


@dataclass
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    recipient: str
    subject: str
    date: datetime | None
    text: str
    html: str
    in_reply_to: list[str]
    references: list[str]
    auto: str  # why it was written by a machine ("auto_submitted", "delivery_report", …), "" for a person
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)
    # The mail's size when it was too large to fetch whole (only its headers were read); 0 otherwise.
    too_large: int = 0
    # A delivery report's first recipient: its action ("failed", "delayed", …) and status ("5.1.1": the
    # address does not exist); "" for any other mail.
    delivery_action: str = ""
    delivery_status: str = ""


def clean(text: str) -> str:
    """No NUL or other control characters (PostgreSQL refuses NUL in text; the others are never meant)."""
    return CONTROL.sub("", text)


def _codec(charset: str | None) -> str | None:
    """Python's name of a declared charset, or None for one it does not know (or "unknown-8bit")."""
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip('"')).name
    except (LookupError, ValueError, TypeError):
        return None


def _persian_share(text: str) -> float:
    letters = [ch for ch in text if ord(ch) > 127 and ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if ARABIC_SCRIPT.match(ch)) / len(letters)


def _by_lines(data: bytes, fallback: str) -> str:
    """Each line UTF-8 when it is valid UTF-8, else `fallback` (mails pieced together from both)."""
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            text = line.decode(fallback, errors="replace")
            lines.append(text.translate(PERSIAN_LETTERS) if fallback == "cp1256" else text)
    return clean("\n".join(lines))


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes whatever their label says: valid UTF-8 is UTF-8 (nothing else looks like it by
    chance); a Latin label on what reads as Persian in windows-1256 is taken for windows-1256; a single-byte
    charset is read line by line, so UTF-8 lines pasted into it stay readable; failing all, windows-1256."""
    if not data:
        return ""
    try:
        return clean(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    codec = _codec(declared)
    if codec is None or codec in SINGLE_BYTE_LATIN:
        guess = _by_lines(data, "cp1256")
        if codec is None or _persian_share(guess) > 0.6:
            return guess
    assert codec is not None
    if SINGLE_BYTE.match(codec):
        return _by_lines(data, codec)
    try:
        return clean(data.decode(codec))
    except (UnicodeDecodeError, LookupError):
        return _by_lines(data, "cp1256")


def header_text(message: Message, name: str) -> str:
    """A header as text: encoded words decoded in their charsets, raw 8-bit bytes guessed, folded lines
    joined."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: the header as it came is better than nothing
        return " ".join(clean(str(value)).split())
    out = []
    for chunk, charset in chunks:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return " ".join(clean("".join(out)).split())


def _message_ids(value: str) -> list[str]:
    found = re.findall(r"<([^<>\s]+)>", value)
    return found or [part for part in value.split() if "@" in part]


def _filename(part: Message) -> str:
    try:
        raw = part.get_filename()
    except Exception:
        raw = None
    if not raw:
        return ""
    try:
        chunks = decode_header(raw)
        name = "".join(c if isinstance(c, str) else decode_bytes(c, cs) for c, cs in chunks)
    except Exception:
        name = str(raw)
    name = os.path.basename(clean(name).replace("\\", "/")).strip()
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext[:20])] + ext[:20]
    return name


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: the undecoded text is kept
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if isinstance(data, bytes):
        return data
    return b""


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", markup)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _automatic(message: Message, sender: str) -> str:
    # "auto-replied; owner-email=…", "No (a person wrote it)": the keyword is what counts (RFC 3834 §5).
    auto_submitted = re.split(r"[\s;(]", header_text(message, "Auto-Submitted").strip().lower(), maxsplit=1)[0]
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto_reply"
    precedence = header_text(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence_{precedence}"
    if message.get_content_type() == "multipart/report":
        return "delivery_report"
    if sender.partition("@")[0] in AUTOMATIC_SENDERS:
        return "mailer_daemon"
    return ""


def _date(message: Message) -> datetime | None:
    value = header_text(message, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_headers(message: Message, raw: bytes) -> ParsedMail:
    """What the headers say: who, to whom, about what, in reply to what, and whether a machine wrote it."""
    sender_name, sender = parseaddr(header_text(message, "From"))
    recipients = getaddresses([header_text(message, "To")])
    message_ids = _message_ids(header_text(message, "Message-ID"))
    message_id = message_ids[0][:250] if message_ids else ""
    if not message_id:
        # A mail without a Message-ID is still recognised when it is fetched again: by its bytes.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    references = _message_ids(header_text(message, "References"))
    sender = clean(sender).strip().lower()[:254]
    return ParsedMail(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name.strip()[:200],
        recipient=", ".join(address for _name, address in recipients if address)[:255],
        subject=header_text(message, "Subject")[:1000],
        date=_date(message),
        text="",
        html="",
        in_reply_to=_message_ids(header_text(message, "In-Reply-To"))[:5],
        references=list(reversed(references))[:50],
        auto=_automatic(message, sender),
        headers={name: header_text(message, name)[:1000] for name in KEPT_HEADERS if message.get(name) is not None},
        defects=[type(defect).__name__ for defect in getattr(message, "defects", [])][:20],
    )


def parse_mail(raw: bytes, *, attachment_limit: int) -> ParsedMail:
    """Everything in a mail: its headers, its text and HTML, and its files (a file larger than
    `attachment_limit` bytes is listed with the reason, without its bytes)."""
    try:
        message = email.message_from_bytes(raw, policy=compat32)
    except Exception:  # the parser is lenient; this is only for a mail no parser could read
        logger.exception("A mail could not be parsed at all; kept as text")
        message = email.message_from_string("", policy=compat32)
        parsed = parse_headers(message, raw)
        parsed.text = decode_bytes(raw)
        return parsed
    parsed = parse_headers(message, raw)
    texts: list[str] = []
    htmls: list[str] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        # A delivery report's per-recipient block (RFC 3464): "Action: failed" with its "Status: 5.x.y".
        if not parsed.delivery_action and part.get("Action") and part.get("Final-Recipient"):
            parsed.delivery_action = str(part.get("Action", "")).strip().lower()[:20]
            parsed.delivery_status = str(part.get("Status", "")).strip()[:20]
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/disposition-notification"):
            parsed.auto = "delivery_report"
        name = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        is_text = content_type in ("text/plain", "text/html") and not name and disposition != "attachment"
        if is_text:
            text = decode_bytes(_payload(part), part.get_content_charset())
            (htmls if content_type == "text/html" else texts).append(text)
            continue
        data = _payload(part)
        if not data and not name:
            continue
        if not name:
            name = f"part-{index}{mimetypes.guess_extension(content_type) or '.bin'}"
        if len(data) > attachment_limit:
            parsed.attachments.append(
                ParsedAttachment(name=name, content_type=content_type, size=len(data), data=None, refused="too_large")
            )
        else:
            parsed.attachments.append(ParsedAttachment(name=name, content_type=content_type, size=len(data), data=data))
    if parsed.delivery_action:
        # What it is matters more than its Auto-Submitted header (Postfix's reports carry one): a report.
        parsed.auto = "delivery_report"
    parsed.html = "\n".join(htmls).strip()
    parsed.text = "\n\n".join(t.strip() for t in texts if t.strip()) or _html_to_text(parsed.html)
    return parsed


def summary(parsed: ParsedMail) -> dict[str, Any]:
    """What the message record keeps of a mail besides its text: the headers that matter and what was odd."""
    return {
        "headers": parsed.headers,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references[:10],
        "defects": parsed.defects,
        **({"automatic": parsed.auto} if parsed.auto else {}),
        **({"too_large": parsed.too_large} if parsed.too_large else {}),
        **({"delivery_action": parsed.delivery_action} if parsed.delivery_action else {}),
        **({"delivery_status": parsed.delivery_status} if parsed.delivery_status else {}),
        **(
            {"refused_attachments": [{"name": a.name, "size": a.size, "reason": a.refused} for a in refused]}
            if (refused := [a for a in parsed.attachments if a.refused])
            else {}
        ),
    }
