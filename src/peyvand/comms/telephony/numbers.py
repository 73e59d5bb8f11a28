"""Reading the numbers a PBX reports, in whatever form it writes them, into E.164 for caller-ID."""

from __future__ import annotations

import re

from peyvand.core.phone import iranian_mobile_e164, try_normalize_phone
from peyvand.core.text import normalize_digits

__all__ = ["is_extension", "read_number"]

# "tel:+98912…", "sip:0912…@pbx.example" and "PJSIP/0912…-0000001a" all carry a number between a scheme and a host.
_SCHEME = re.compile(r"^(?:tel|sip|sips|callto):", re.IGNORECASE)
_HOST = re.compile(r"@.*$")
_INVISIBLE = str.maketrans("", "", "\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def read_number(raw: object) -> tuple[str, str]:
    """(E.164 or "" when it is not a number that can be dialled, the raw text trimmed to what the record keeps)."""
    text = str(raw or "").translate(_INVISIBLE).strip()[:80]
    bare = _HOST.sub("", _SCHEME.sub("", text)).strip()
    if not bare:
        return "", text
    digits = normalize_digits(bare)
    return (iranian_mobile_e164(digits) or try_normalize_phone(digits) or ""), text


def is_extension(raw: object, *, max_digits: int = 5) -> bool:
    """Whether the PBX's number is one of its own extensions (short, digits only) rather than a phone number."""
    text = normalize_digits(str(raw or "")).strip()
    return text.isdigit() and len(text) <= max_digits
