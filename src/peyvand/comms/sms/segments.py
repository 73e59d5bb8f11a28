"""How many SMS parts a text costs: GSM 03.38 7-bit text fits 160 characters (153 a part when split), anything
else (Persian, Arabic, emoji) is sent as UCS-2 and fits 70 (67 a part)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GSM7", "UCS2", "SegmentCount", "sms_segments"]

GSM7 = "gsm7"
UCS2 = "ucs2"

# The GSM 03.38 default alphabet, and the extension table whose characters take an escape and so count twice.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
_GSM_ALL = _GSM_BASIC | _GSM_EXTENDED


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # gsm7 or ucs2
    characters: int  # as the network counts them: an extension character is 2, an emoji 2 (UTF-16 units)
    segments: int
    per_segment: int  # the capacity of each part at this length
    remaining: int  # characters left in the last part


def sms_segments(text: str) -> SegmentCount:
    """The parts `text` is sent in; an empty text is one empty part (what a gateway charges for it)."""
    chars = set(text)
    if chars <= _GSM_ALL:
        units = len(text) + sum(text.count(ch) for ch in chars & _GSM_EXTENDED)
        encoding, single, multi = GSM7, 160, 153
    else:
        # UCS-2 on the air is UTF-16: a character outside the BMP (an emoji) takes two units.
        units = len(text.encode("utf-16-le")) // 2
        encoding, single, multi = UCS2, 70, 67
    if units <= single:
        return SegmentCount(encoding, units, 1, single, single - units)
    segments = -(-units // multi)
    return SegmentCount(encoding, units, segments, multi, segments * multi - units)
