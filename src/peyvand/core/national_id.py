"""Iranian national code (کد ملی) and legal-entity national ID (شناسه ملی): clean, check, generate.

Checked against published values: national codes 0076229645, 1583250689 and 0011537027 (written
11537027) are valid; legal ID 10380284790 is valid while 10380284792 and 10380285692 are not
(the vectors the persian-tools libraries test with). The tests in tests/core/test_national_id.py pin
these values.
"""

from __future__ import annotations

import random
import re

from .text import normalize_digits

__all__ = [
    "generate_legal_id",
    "generate_national_code",
    "is_valid_legal_id",
    "is_valid_national_code",
    "normalize_legal_id",
    "normalize_national_code",
]

# Separators people put in IDs on forms and cards: spaces of every kind and dashes of every kind.
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212\u200c\u200f\u200e]+")
_TEN_DIGITS = re.compile(r"[0-9]{10}", re.ASCII)
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}", re.ASCII)

NATIONAL_CODE_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def _strip_separators(raw: str) -> str:
    return _SEPARATORS.sub("", normalize_digits(raw))


def normalize_national_code(raw: str) -> str:
    """ASCII digits without separators; 8 and 9 digit codes get back the leading zeros they lost."""
    code = _strip_separators(raw)
    # Codes of people born in some provinces start with 00; spreadsheets drop those zeros.
    if code.isascii() and code.isdigit() and 8 <= len(code) <= 9:
        code = code.zfill(10)
    return code


def normalize_legal_id(raw: str) -> str:
    """ASCII digits without separators; a legal ID has no leading zeros to restore."""
    return _strip_separators(raw)


def national_code_check_digit(first_nine: str) -> int:
    """The 10th digit of a national code: remainder r of the weighted sum mod 11, r if r < 2 else 11 - r."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, NATIONAL_CODE_WEIGHTS, strict=True)) % 11
    return remainder if remainder < 2 else 11 - remainder


def is_valid_national_code(raw: str) -> bool:
    """Whether ``raw`` is a national code: 10 digits, not all the same, with a correct check digit."""
    if not isinstance(raw, str):
        return False
    code = normalize_national_code(raw)
    if not _TEN_DIGITS.fullmatch(code):
        return False
    # Ten equal digits always satisfy the checksum, so they are the classic fake entry; refuse them.
    if code == code[0] * 10:
        return False
    return national_code_check_digit(code[:9]) == int(code[9])


def legal_id_check_digit(first_ten: str) -> int:
    """The 11th digit of a legal ID: digit 10 plus 2 is added to each of the first ten digits, weighted
    29, 27, 23, 19, 17 twice; the sum mod 11 is the check digit, with 10 written as 0."""
    shift = int(first_ten[9]) + 2
    remainder = sum((int(d) + shift) * w for d, w in zip(first_ten, LEGAL_ID_WEIGHTS, strict=True)) % 11
    return 0 if remainder == 10 else remainder


def is_valid_legal_id(raw: str) -> bool:
    """Whether ``raw`` is a legal-entity national ID: 11 digits with a correct check digit.

    Like the registry's own checkers, an ID whose serial part (digits 4 to 9) is all zeros is refused:
    no entity is registered with it.
    """
    if not isinstance(raw, str):
        return False
    code = normalize_legal_id(raw)
    if not _ELEVEN_DIGITS.fullmatch(code) or code[3:9] == "000000":
        return False
    return legal_id_check_digit(code[:10]) == int(code[10])


# Generation is table driven: demo data and property tests ask for millions of codes, and three
# table look-ups are several times faster than a digit loop.
def _block_sums(weights: tuple[int, ...]) -> list[int]:
    """Weighted digit sum of every number 0 .. 10**len(weights) - 1, written with leading zeros."""
    size = len(weights)
    return [sum(int(d) * w for d, w in zip(f"{n:0{size}d}", weights, strict=True)) for n in range(10**size)]


_NC_HIGH = _block_sums(NATIONAL_CODE_WEIGHTS[:3])
_NC_MID = _block_sums(NATIONAL_CODE_WEIGHTS[3:6])
_NC_LOW = _block_sums(NATIONAL_CODE_WEIGHTS[6:])
_NC_CHECK = [r if r < 2 else 11 - r for r in range(11)]
_REPDIGIT_PREFIX = 111_111_111  # the first nine digits are all equal exactly when divisible by this

_LEGAL_PREFIX = "10"  # most registered entities' IDs start 10; it makes demo data look familiar
_LEGAL_BASE = sum(int(d) * w for d, w in zip(_LEGAL_PREFIX, LEGAL_ID_WEIGHTS, strict=False))
_LI_HIGH = _block_sums(LEGAL_ID_WEIGHTS[2:6])
_LI_LOW = _block_sums(LEGAL_ID_WEIGHTS[6:])
_LEGAL_WEIGHT_SUM = sum(LEGAL_ID_WEIGHTS)


def generate_national_code(rng: random.Random) -> str:
    """A random valid national code (never ten equal digits)."""
    while True:
        n = rng.randrange(1_000_000_000)
        if n % _REPDIGIT_PREFIX:
            break
    total = _NC_HIGH[n // 1_000_000] + _NC_MID[n // 1000 % 1000] + _NC_LOW[n % 1000]
    return f"{n:09d}{_NC_CHECK[total % 11]}"


def generate_legal_id(rng: random.Random) -> str:
    """A random valid legal-entity national ID starting with 10."""
    while True:
        n = rng.randrange(100_000_000)  # digits 3 to 10
        if n // 10 % 1_000_000:  # digits 4 to 9 must not all be zero
            break
    shift = n % 10 + 2
    remainder = (_LEGAL_BASE + _LI_HIGH[n // 10_000] + _LI_LOW[n % 10_000] + shift * _LEGAL_WEIGHT_SUM) % 11
    return f"{_LEGAL_PREFIX}{n:08d}{0 if remainder == 10 else remainder}"
