"""Phone numbers: one canonical E.164 form for storage and caller-ID, readable national form for people."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from .text import is_persian, normalize_digits, to_persian_digits

__all__ = ["InvalidPhone", "format_phone", "normalize_phone", "phone_type", "try_normalize_phone"]

# What people put around the digits of a phone number. Letters are refused on purpose:
# phonenumbers would read «1-800-FLOWERS» or pick a number out of a sentence, and a CRM should store
# what was clearly typed as a number, not guess.
_ALLOWED = re.compile(r"\+?[0-9\s()\-./\u2010-\u2015\u2212]*", re.ASCII)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
# An Iranian mobile written without its trunk 0 (9121234567): common in spreadsheets that dropped
# the leading zero when the column was read as a number.
_IR_MOBILE_WITHOUT_ZERO = re.compile(r"9[0-9]{9}")


class InvalidPhone(ValueError):
    """The text is not a phone number that can be dialled."""


def _default_region() -> str:
    return str(getattr(settings, "PEYVAND_PHONE_REGION", "IR")).upper()


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str):
        raise InvalidPhone(f"A phone number must be text, got {type(raw).__name__}.")
    text = normalize_digits(raw).translate(_DASHES).replace("\u00a0", " ").strip()
    if not text:
        raise InvalidPhone("Phone number is empty.")
    if not _ALLOWED.fullmatch(text):
        raise InvalidPhone(f"{raw!r} is not a phone number: only digits, spaces, +, -, ( and ) are allowed.")
    home = (region or _default_region()).upper()
    digits = re.sub(r"[^0-9]", "", text)
    if not digits:
        raise InvalidPhone(f"{raw!r} has no digits.")
    if home == "IR" and not text.startswith("+") and _IR_MOBILE_WITHOUT_ZERO.fullmatch(digits):
        text = "0" + digits
    try:
        number = phonenumbers.parse(text, home)
    except NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number ({exc}).") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number.")
    return number


# The numbering plan's own pattern for Iranian mobiles (national number without the trunk 0): a number it
# matches is one phonenumbers.is_valid_number accepts, so the fast path below accepts exactly what it would.
_IR_MOBILE_PLAN = re.compile(
    str(phonenumbers.PhoneMetadata.metadata_for_region("IR").mobile.national_number_pattern)  # type: ignore[union-attr]
)
# +98…, 0098… and 0… spellings of a mobile, after spaces and dashes are taken out.
_IR_MOBILE_SPELLING = re.compile(r"(\+98|0098|0)?(9[0-9]{9})", re.ASCII)


def _iranian_mobile_fast(raw: str, region: str | None) -> str | None:
    """normalize_phone's answer for the common case (an Iranian mobile typed with digits, spaces and dashes)
    without phonenumbers' general parser, which costs ~50 µs a number; None leaves the number to it."""
    if not isinstance(raw, str):
        return None
    text = normalize_digits(raw).translate(_DASHES).replace("\u00a0", " ").strip()
    match = _IR_MOBILE_SPELLING.fullmatch(text.replace(" ", "").replace("-", ""))
    if match is None or not _ALLOWED.fullmatch(text):
        return None
    # Without +98 the number is read in the home region, so only an Iranian home region reads it as Iranian.
    if match.group(1) != "+98" and (region or _default_region()).upper() != "IR":
        return None
    national = match.group(2)
    return "+98" + national if _IR_MOBILE_PLAN.fullmatch(national) else None


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 (``+989121234567``) for anything people write a phone number as; raises InvalidPhone.

    Numbers without a country code are read as numbers of ``region`` (default
    ``settings.PEYVAND_PHONE_REGION``); numbers with one keep their country.
    """
    fast = _iranian_mobile_fast(raw, region)
    if fast is not None:
        return fast
    return phonenumbers.format_number(_parse(raw, region), PhoneNumberFormat.E164)


_IRANIAN_MOBILE = re.compile(r"(?:\+98|0098|98|0)?(9\d{9})")
_SEPARATORS = str.maketrans("", "", " -()\u200c\u200e\u200f.")


def iranian_mobile_e164(raw: str) -> str | None:
    """E.164 for an Iranian mobile number in any common form, by pattern alone, or None.

    A fast path for look-ups (caller-ID runs it on every call): it does not check that the number's range
    is allocated, so it is for finding stored numbers, never for accepting new ones.
    """
    match = _IRANIAN_MOBILE.fullmatch(normalize_digits(raw).translate(_SEPARATORS))
    return "+98" + match.group(1) if match else None


def try_normalize_phone(raw: str | None, region: str | None = None) -> str | None:
    """Like :func:`normalize_phone`, but None instead of raising (for imports and caller-ID lookups)."""
    if raw is None:
        return None
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        return None


def _parse_stored(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(normalize_digits(e164), _default_region())
    except NumberParseException:
        return None


def phone_type(e164: str) -> str:
    """``"mobile"``, ``"landline"`` or ``"other"`` (VoIP, toll-free, unknown, unparsable)."""
    number = _parse_stored(e164) if e164 else None
    if number is None:
        return "other"
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.MOBILE:
        return "mobile"
    if kind == PhoneNumberType.FIXED_LINE:
        return "landline"
    # FIXED_LINE_OR_MOBILE (the US and others) cannot be told apart, so it is not claimed as either.
    return "other"


def format_phone(e164: str | None, lang: str | None = None) -> str:
    """``0912 123 4567`` for home-country numbers, ``+44 20 7946 0958`` for others; Persian digits in fa.

    Text that is not a phone number is returned unchanged, so a bad stored value still shows.
    """
    if not e164:
        return ""
    number = _parse_stored(str(e164))
    if number is None or not phonenumbers.is_possible_number(number):
        return str(e164)
    home_code = phonenumbers.country_code_for_region(_default_region())
    style = PhoneNumberFormat.NATIONAL if number.country_code == home_code else PhoneNumberFormat.INTERNATIONAL
    text = phonenumbers.format_number(number, style)
    return to_persian_digits(text) if is_persian(lang) else text
