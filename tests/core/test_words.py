"""Amounts in words, as printed on quotes and invoices."""

from __future__ import annotations

import pytest

from peyvand.core.words import number_to_words, number_to_words_en, number_to_words_fa


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "صفر"),
        (1, "یک"),
        (10, "ده"),
        (11, "یازده"),
        (19, "نوزده"),
        (20, "بیست"),
        (21, "بیست و یک"),
        (100, "یکصد"),
        (105, "یکصد و پنج"),
        (215, "دویست و پانزده"),
        (999, "نهصد و نود و نه"),
        (1000, "یک هزار"),
        (1001, "یک هزار و یک"),
        (12_500, "دوازده هزار و پانصد"),
        (1_250_000, "یک میلیون و دویست و پنجاه هزار"),
        (1_000_000_000, "یک میلیارد"),
        (2_000_000_003, "دو میلیارد و سه"),
        (7_000_000_000_000, "هفت تریلیون"),
    ],
)
def test_it_writes_persian_words(n: int, words: str) -> None:
    assert number_to_words_fa(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (1_250_000, "one million two hundred fifty thousand"),
        (1_000_001, "one million one"),
        (3_000_000_000, "three billion"),
    ],
)
def test_it_writes_english_words(n: int, words: str) -> None:
    assert number_to_words_en(n) == words


def test_negative_amounts_say_so() -> None:
    assert number_to_words_fa(-5) == "منفی پنج"
    assert number_to_words_en(-5) == "minus five"


def test_it_picks_the_language() -> None:
    assert number_to_words(21, "fa") == "بیست و یک"
    assert number_to_words(21, "fa-ir") == "بیست و یک"
    assert number_to_words(21, "en") == "twenty-one"


@pytest.mark.parametrize("bad", [1.5, "12", True, None])
def test_it_refuses_what_is_not_a_whole_number(bad: object) -> None:
    with pytest.raises(TypeError):
        number_to_words_fa(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        number_to_words_en(bad)  # type: ignore[arg-type]


def test_it_refuses_numbers_beyond_its_scale() -> None:
    with pytest.raises(ValueError, match="too large"):
        number_to_words_fa(10**21)


def test_every_number_up_to_a_few_thousand_has_distinct_words() -> None:
    # A slip in a table (two numbers written alike) shows up as a collision.
    seen = {number_to_words_fa(n) for n in range(3000)}
    assert len(seen) == 3000
    seen_en = {number_to_words_en(n) for n in range(3000)}
    assert len(seen_en) == 3000
