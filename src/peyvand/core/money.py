"""Money: stored as whole Rials, shown and typed in Rial or Toman (10 Rials) as the site is configured."""

from __future__ import annotations

import re

from django.conf import settings

from .text import is_persian, normalize_digits, to_persian_digits

__all__ = ["MONEY_UNITS", "format_money", "parse_money"]

MONEY_UNITS = ("rial", "toman")
RIALS_PER_UNIT = {"rial": 1, "toman": 10}

# Unit names are part of the formatted amount, keyed by the output language the caller asks for
# (which need not be the active one), so they live here rather than in the message catalogue.
_UNIT_LABELS = {
    "fa": {"rial": "ریال", "toman": "تومان"},
    "en": {"rial": "Rial", "toman": "Toman"},
}
# A unit written after the amount (as format_money writes it) says which unit the amount is in.
_UNIT_WORDS = {
    "ریال": "rial",
    "rial": "rial",
    "rials": "rial",
    "تومان": "toman",
    "toman": "toman",
    "tomans": "toman",
}

# The largest amount a BigIntegerField holds; anything larger is a typo, not a price.
MAX_RIAL = 2**63 - 1

_GROUPED = re.compile(r"[0-9]{1,3}(?:[,٬،][0-9]{3})+", re.ASCII)
_PLAIN = re.compile(r"[0-9]+", re.ASCII)


def _unit(unit: str | None) -> str:
    chosen = str(unit or getattr(settings, "PEYVAND_MONEY_UNIT", "rial")).lower()
    if chosen not in RIALS_PER_UNIT:
        raise ValueError(f"Unknown money unit {unit!r}; use one of {', '.join(MONEY_UNITS)}.")
    return chosen


def format_money(rial: int | None, *, unit: str | None = None, lang: str | None = None) -> str:
    """``۱۲٬۵۰۰ تومان`` / ``12,500 Toman`` for an amount in Rials; ``""`` for None.

    Toman amounts drop the last Rial digit (amounts are stored in Rials, prices are in whole Tomans).
    """
    if rial is None:
        return ""
    # Money is exact; a float here means a rounding bug upstream, and bool is an int only by accident.
    if isinstance(rial, bool) or not isinstance(rial, int):
        raise TypeError(f"Money must be an int number of Rials, got {type(rial).__name__}.")
    chosen = _unit(unit)
    per_unit = RIALS_PER_UNIT[chosen]
    amount = abs(rial) // per_unit * (-1 if rial < 0 else 1)  # toward zero: -15 Rials is -1 Toman
    number = f"{amount:,}"
    if is_persian(lang):
        return f"{to_persian_digits(number)} {_UNIT_LABELS['fa'][chosen]}"
    return f"{number} {_UNIT_LABELS['en'][chosen]}"


def parse_money(value: str, *, unit: str | None = None) -> int:
    """Rials from a typed amount: ``12500``, ``12,500``, ``۱۲٬۵۰۰``, optionally followed by its unit.

    Without a written unit the amount is in ``unit`` (default ``settings.PEYVAND_MONEY_UNIT``).
    Raises ValueError for empty text, negatives, fractions, misplaced separators and anything else.
    """
    if not isinstance(value, str):
        raise TypeError(f"parse_money expects a string, got {type(value).__name__}.")
    chosen = _unit(unit)
    text = " ".join(normalize_digits(value).split())
    if not text:
        raise ValueError("Amount is empty.")
    head, _, tail = text.rpartition(" ")
    if head and tail.casefold() in _UNIT_WORDS:
        text, chosen = head, _UNIT_WORDS[tail.casefold()]
    if text.startswith(("-", "−")):
        raise ValueError(f"{value!r} is negative; amounts must be zero or more.")
    if "." in text or "٫" in text or "/" in text:
        raise ValueError(f"{value!r} has a fraction; amounts are whole numbers of {chosen}s.")
    if not (_PLAIN.fullmatch(text) or _GROUPED.fullmatch(text)):
        raise ValueError(f"{value!r} is not an amount; write digits, optionally grouped by threes: 12,500.")
    digits = re.sub(r"[,٬،]", "", text)
    # Checked on length first: int() of thousands of digits is slow and refused by Python anyway.
    if len(digits) > len(str(MAX_RIAL)) or int(digits) * RIALS_PER_UNIT[chosen] > MAX_RIAL:
        raise ValueError(f"{value!r} is too large to be an amount.")
    return int(digits) * RIALS_PER_UNIT[chosen]
