"""Amounts in words, as printed on quotes and invoices: «یک میلیون و دویست و پنجاه هزار», "one million two
hundred fifty thousand"."""

from __future__ import annotations

__all__ = ["number_to_words", "number_to_words_en", "number_to_words_fa"]

_FA_ONES = ["", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"]
_FA_TEENS = ["ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده"]
_FA_TENS = ["", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود"]
_FA_HUNDREDS = ["", "یکصد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد"]
# Short scale, as Iranian banks and cheques write it (میلیارد = 10⁹, تریلیون = 10¹²).
_FA_SCALES = ["", "هزار", "میلیون", "میلیارد", "تریلیون", "کوادریلیون", "کوینتیلیون"]

_EN_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EN_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EN_SCALES = ["", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion"]

_LIMIT = 10 ** (3 * len(_FA_SCALES))


def _groups(n: int) -> list[int]:
    """1_250_000 → [0, 250, 1]: groups of three digits, least significant first."""
    out = []
    while n:
        n, group = divmod(n, 1000)
        out.append(group)
    return out


def _fa_below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(_FA_HUNDREDS[hundreds])
    if 10 <= rest < 20:
        parts.append(_FA_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if tens:
            parts.append(_FA_TENS[tens])
        if ones:
            parts.append(_FA_ONES[ones])
    return " و ".join(parts)


def number_to_words_fa(n: int) -> str:
    """A whole number in Persian words: 1_250_000 → «یک میلیون و دویست و پنجاه هزار», 0 → «صفر».

    Every group is joined with «و», as amounts are written on cheques and invoices; «یک هزار» is written
    «یک هزار» (not «هزار»), which is how banks write it so that nothing can be added in front.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"Expected an int, got {type(n).__name__}.")
    if n == 0:
        return "صفر"
    if n < 0:
        return "منفی " + number_to_words_fa(-n)
    if n >= _LIMIT:
        raise ValueError(f"{n} is too large to write in words.")
    parts = []
    for index, group in reversed(list(enumerate(_groups(n)))):
        if not group:
            continue
        words = _fa_below_thousand(group)
        parts.append(f"{words} {_FA_SCALES[index]}".strip())
    return " و ".join(parts)


def _en_below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(f"{_EN_ONES[hundreds]} hundred")
    if 10 <= rest < 20:
        parts.append(_EN_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if tens and ones:
            parts.append(f"{_EN_TENS[tens]}-{_EN_ONES[ones]}")
        elif tens:
            parts.append(_EN_TENS[tens])
        elif ones:
            parts.append(_EN_ONES[ones])
    return " ".join(parts)


def number_to_words_en(n: int) -> str:
    """A whole number in English words: 1_250_000 → "one million two hundred fifty thousand", 0 → "zero"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"Expected an int, got {type(n).__name__}.")
    if n == 0:
        return "zero"
    if n < 0:
        return "minus " + number_to_words_en(-n)
    if n >= _LIMIT:
        raise ValueError(f"{n} is too large to write in words.")
    parts = []
    for index, group in reversed(list(enumerate(_groups(n)))):
        if group:
            parts.append(f"{_en_below_thousand(group)} {_EN_SCALES[index]}".strip())
    return " ".join(parts)


def number_to_words(n: int, lang: str = "fa") -> str:
    """In Persian for a Persian language code, else in English."""
    return number_to_words_fa(n) if lang.lower().startswith("fa") else number_to_words_en(n)
