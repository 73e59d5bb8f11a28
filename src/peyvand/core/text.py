"""Persian text normalisation: digits, Arabic-vs-Persian letters, spacing, and the keys search runs on."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.utils import translation

__all__ = [
    "clean_text",
    "is_persian",
    "normalize_digits",
    "normalize_text",
    "search_key",
    "to_persian_digits",
]

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"

ZWNJ = "\u200c"
ZWJ = "\u200d"

_TO_ASCII_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, ASCII_DIGITS * 2)
# Arabic-Indic digits are folded too: people paste them from Arabic keyboards and sites, and in a
# Persian page they should look like every other number.
_TO_PERSIAN_DIGITS = str.maketrans(ASCII_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)

# Separators count as "between digits" whichever script the digits around them are in.
_ANY_DIGIT = "0-9۰-۹٠-٩"
_THOUSANDS_COMMA = re.compile(rf"(?<=[{_ANY_DIGIT}]),(?=[{_ANY_DIGIT}])")
_DECIMAL_POINT = re.compile(rf"(?<=[{_ANY_DIGIT}])\.(?=[{_ANY_DIGIT}])")

# Invisible characters that copy-paste from Word, Telegram and web pages leaves in names:
# direction marks, soft hyphen, word joiner, byte-order mark. They carry no meaning for a CRM.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u2060\ufeff")
)

# Letters that Arabic keyboards (and old Windows code pages) produce where a Persian writer means
# the Persian letter; folding them is what makes «علي» find «علی».
_SEARCH_LETTERS = str.maketrans(
    {
        "ي": "ی",  # ARABIC LETTER YEH
        "ى": "ی",  # ARABIC LETTER ALEF MAKSURA
        "ئ": "ی",  # ARABIC LETTER YEH WITH HAMZA ABOVE
        "ك": "ک",  # ARABIC LETTER KAF
        "ة": "ه",  # ARABIC LETTER TEH MARBUTA
        "أ": "ا",  # ALEF WITH HAMZA ABOVE
        "إ": "ا",  # ALEF WITH HAMZA BELOW
        "آ": "ا",  # ALEF WITH MADDA ABOVE
        "ٱ": "ا",  # ALEF WASLA
        "ؤ": "و",  # WAW WITH HAMZA ABOVE
        "ۀ": "ه",  # HEH WITH YEH ABOVE: «خانهٔ» and «خانه» are the same word for search
        "\u0640": None,  # TATWEEL, only stretches a word visually
    }
)
# Harakat, hamza marks and the superscript alef: spelling aids, never part of a name's identity.
_DIACRITICS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670])

# Characters the storage cleaner rewrites; deliberately fewer than search folds, because a stored
# name must keep its spelling («مؤسسه», «آرش»), only the keyboard's wrong code points change.
_STORAGE_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})

_SPACE_LIKE = f"{ZWNJ}{ZWJ}\u200b"
_SPACE_OR_ZWNJ_RUN = re.compile(f"[ {ZWNJ}]+")


def normalize_digits(value: str) -> str:
    """Persian and Arabic-Indic digits to ASCII; everything else untouched."""
    return value.translate(_TO_ASCII_DIGITS)


def to_persian_digits(value: object) -> str:
    """``str(value)`` with Persian digits and Persian separators (٬ thousands, ٫ decimal) between digits."""
    text = str(value)
    text = _THOUSANDS_COMMA.sub("٬", text)
    text = _DECIMAL_POINT.sub("٫", text)
    return text.translate(_TO_PERSIAN_DIGITS)


def is_persian(lang: str | None = None) -> bool:
    """Whether output for ``lang`` (default: the active one) uses Persian digits and the Jalali calendar."""
    code = lang or translation.get_language() or settings.LANGUAGE_CODE
    return code.lower().split("-")[0].split("_")[0] == "fa"


def _unify_spaces(text: str) -> str:
    """Every Unicode space and joiner to a plain space, runs collapsed, ends stripped."""
    text = "".join(" " if ch in _SPACE_LIKE else ch for ch in text)
    return " ".join(text.split())


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE).translate(_SEARCH_LETTERS).translate(_DIACRITICS)
    text = normalize_digits(text).casefold()
    return _unify_spaces(text)


def _fixpoint(step: Callable[[str], str], text: str) -> str:
    # One pass is almost always stable, but removing a mark can let NFKC compose two neighbours
    # that the mark kept apart (and casefold can emit decomposed sequences). Searching only works if
    # normalising a normalised string changes nothing, so repeat until it does not.
    for _ in range(5):
        again = step(text)
        if again == text:
            return text
        text = again
    return text


def normalize_text(value: str | None) -> str:
    """Normalised, display-friendly text: one spelling per word, ASCII digits, casefolded, single spaces."""
    if not value:
        return ""
    return _fixpoint(_normalize_once, str(value))


def _search_key_once(text: str) -> str:
    return "".join(ch for ch in normalize_text(text) if ch.isalnum())


def search_key(value: str | None) -> str:
    """The key stored search columns and queries are compared on: normalised letters and digits only.

    Spaces and ZWNJ are dropped because Persian writers disagree on them («عبدالله», «عبد الله»,
    «عبد‌الله» are one name); punctuation is dropped so «۰۹۱۲-۱۲۳» finds «09121 23».
    """
    if not value:
        return ""
    return _fixpoint(_search_key_once, str(value))


# The Persian alphabet in dictionary order. Unicode puts پ چ ژ ک گ ی after the Arabic letters, so sorting by
# code point files «کریمی» after «نوری»; sort keys move these letters, in this order, to private-use code
# points, which sort after every real letter and in the order people expect.
PERSIAN_ALPHABET = "ءابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_SORT_LETTERS = str.maketrans({letter: chr(0xE000 + i) for i, letter in enumerate(PERSIAN_ALPHABET)})


def sort_key(value: str | None) -> str:
    """A key that sorts names in Persian dictionary order (digits and Latin letters first).

    It is search_key with each Persian letter replaced one for one, so equality and prefixes carry over:
    ``search_key(a).startswith(search_key(b))`` exactly when ``sort_key(a).startswith(sort_key(b))``.
    """
    return search_key(value).translate(_SORT_LETTERS)


def sort_key_of_search_key(key: str) -> str:
    """sort_key for a value that is already a search key (a query's normalised words)."""
    return key.translate(_SORT_LETTERS)


def _fold_presentation_forms(text: str) -> str:
    # Only the Arabic presentation-form blocks (text copied from old PDFs) are compatibility-folded:
    # full NFKC would also rewrite things a person typed on purpose, such as superscripts.
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff" else ch
        for ch in text
    )


def _clean_once(text: str) -> str:
    text = _fold_presentation_forms(text).translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text).translate(_STORAGE_LETTERS)
    # A zero-width space inside a Persian word breaks the joining just as ZWNJ does, and ZWNJ is the
    # character that means it.
    text = "".join(" " if ch.isspace() else ZWNJ if ch == "\u200b" else ch for ch in text)
    # A run of spaces and ZWNJs becomes one space if it holds any space («می ‌خواهم» is a typo for
    # «می خواهم»), otherwise one ZWNJ.
    text = _SPACE_OR_ZWNJ_RUN.sub(lambda m: " " if " " in m.group() else ZWNJ, text)
    return text.strip(f" {ZWNJ}")


def clean_text(value: str | None) -> str:
    """Tidy a user-typed name for storage: Persian letter forms, single spaces, meaningful ZWNJ kept.

    Unlike :func:`normalize_text` it keeps case, digits and spelling; it only repairs what keyboards
    and copy-paste get wrong.
    """
    if not value:
        return ""
    return _fixpoint(_clean_once, str(value))
