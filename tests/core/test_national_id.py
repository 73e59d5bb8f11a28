"""National codes (کد ملی) and legal-entity IDs (شناسه ملی): checksums, cleaning, generation."""

import random
import time

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.national_id import (
    generate_legal_id,
    generate_national_code,
    is_valid_legal_id,
    is_valid_national_code,
    normalize_national_code,
)
from peyvand.core.validators import validate_legal_id, validate_national_code

seeds = st.integers(min_value=0, max_value=2**32)


def _national_remainder(code: str) -> int:
    return sum(int(d) * (10 - i) for i, d in enumerate(code[:9])) % 11


def _legal_remainder(code: str) -> int:
    shift = int(code[9]) + 2
    weights = [29, 27, 23, 19, 17] * 2
    return sum((int(d) + shift) * w for d, w in zip(code[:10], weights, strict=True)) % 11


def _changed(code: str, position: int, delta: int) -> str:
    return code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]


@pytest.mark.parametrize("code", ["0076229645", "1583250689", "0011537027", "11537027"])
def test_it_accepts_published_national_codes(code):
    assert is_valid_national_code(code)


@pytest.mark.parametrize(
    "code",
    ["0076229646", "1234567890", "1111111111", "0000000000", "123", "00762296451", "007622964a", "", "۱۲۳"],
)
def test_it_refuses_bad_national_codes(code):
    assert not is_valid_national_code(code)


def test_it_cleans_digits_spaces_and_dashes_from_national_codes():
    assert normalize_national_code("۰۰۷-۶۲۲۹۶۴-۵") == "0076229645"
    assert normalize_national_code(" 007 622 9645 ") == "0076229645"
    assert is_valid_national_code("۰۰۷-۶۲۲۹۶۴-۵")


def test_it_restores_leading_zeros_of_short_national_codes():
    assert normalize_national_code("11537027") == "0011537027"
    assert normalize_national_code("76229645") == "0076229645"
    assert normalize_national_code("1234567") == "1234567"


def test_it_accepts_a_published_legal_id():
    assert is_valid_legal_id("10380284790")
    assert is_valid_legal_id("۱۰۳۸۰۲۸۴۷۹۰")
    assert is_valid_legal_id("103-8028-4790")


@pytest.mark.parametrize(
    "code",
    ["10380284792", "10380285692", "11111111111", "00000000000", "1038028479", "103802847901", "", "x"],
)
def test_it_refuses_bad_legal_ids(code):
    assert not is_valid_legal_id(code)


def test_it_refuses_legal_ids_with_an_all_zero_serial_even_if_the_checksum_fits():
    first_ten = "1230000004"
    remainder = _legal_remainder(first_ten + "0")
    code = first_ten + ("0" if remainder == 10 else str(remainder))
    assert not is_valid_legal_id(code)


def test_non_text_is_not_valid():
    assert not is_valid_national_code(76229645)  # type: ignore[arg-type]
    assert not is_valid_legal_id(None)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(seeds)
def test_generated_national_codes_are_valid(seed):
    code = generate_national_code(random.Random(seed))
    assert len(code) == 10 and code.isdigit()
    assert is_valid_national_code(code)


@settings(max_examples=300)
@given(seeds)
def test_generated_legal_ids_are_valid(seed):
    code = generate_legal_id(random.Random(seed))
    assert len(code) == 11 and code.isdigit()
    assert is_valid_legal_id(code)


@settings(max_examples=300)
@given(seeds, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_of_a_national_code_makes_it_invalid(seed, position, delta):
    code = generate_national_code(random.Random(seed))
    changed = _changed(code, position, delta)
    # Every weight is a unit mod 11, so a changed digit always changes the remainder; the one blind
    # spot is that remainders 1 and 10 share the check digit 1. A change between exactly those two
    # remainders is the only way a typo can survive.
    if is_valid_national_code(changed):
        assert position < 9
        assert {_national_remainder(code), _national_remainder(changed)} == {1, 10}


@settings(max_examples=300)
@given(seeds, st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_of_a_legal_id_makes_it_invalid(seed, position, delta):
    code = generate_legal_id(random.Random(seed))
    changed = _changed(code, position, delta)
    # Likewise every position moves the remainder mod 11 (digit 10 through the shift too), and the
    # blind spot is remainders 0 and 10, which are both written 0.
    if is_valid_legal_id(changed):
        assert position < 10
        assert {_legal_remainder(code), _legal_remainder(changed)} == {0, 10}


def test_single_digit_typos_are_almost_always_caught():
    rng = random.Random(1403)
    caught = total = 0
    for _ in range(2000):
        for generate, is_valid, length in (
            (generate_national_code, is_valid_national_code, 10),
            (generate_legal_id, is_valid_legal_id, 11),
        ):
            code = generate(rng)
            changed = _changed(code, rng.randrange(length), rng.randrange(1, 10))
            total += 1
            caught += not is_valid(changed)
    assert caught / total > 0.97


def test_generation_is_fast_enough_for_demo_data():
    rng = random.Random(0)
    started = time.perf_counter()
    for _ in range(100_000):
        generate_national_code(rng)
        generate_legal_id(rng)
    # 1M of each in a few seconds means 100k of both well under one.
    assert time.perf_counter() - started < 2.0


def test_generation_is_reproducible_from_the_seed():
    assert generate_national_code(random.Random(7)) == generate_national_code(random.Random(7))
    assert generate_legal_id(random.Random(7)) == generate_legal_id(random.Random(7))


def test_the_id_validators_refuse_bad_codes_with_their_codes():
    validate_national_code("0076229645")
    validate_legal_id("10380284790")
    with pytest.raises(ValidationError) as caught:
        validate_national_code("0076229646")
    assert caught.value.code == "invalid_national_code"
    with pytest.raises(ValidationError) as caught:
        validate_legal_id("10380284792")
    assert caught.value.code == "invalid_legal_id"
