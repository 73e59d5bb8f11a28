"""Money: whole Rials stored, shown and typed in Rial or Toman with Persian or Latin digits."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.money import MAX_RIAL, format_money, parse_money

amounts = st.integers(min_value=0, max_value=MAX_RIAL)


def test_it_shows_toman_in_persian_with_persian_separators():
    assert format_money(125_000, unit="toman", lang="fa") == "۱۲٬۵۰۰ تومان"
    assert format_money(125_000, unit="rial", lang="fa") == "۱۲۵٬۰۰۰ ریال"


def test_it_shows_amounts_in_english_with_commas():
    assert format_money(125_000, unit="toman", lang="en") == "12,500 Toman"
    assert format_money(125_000, unit="rial", lang="en") == "125,000 Rial"
    assert format_money(0, unit="rial", lang="en") == "0 Rial"


def test_it_drops_the_last_rial_digit_in_toman():
    assert format_money(125_009, unit="toman", lang="en") == "12,500 Toman"
    assert format_money(-125_009, unit="toman", lang="en") == "-12,500 Toman"


def test_it_uses_the_configured_unit_and_the_active_language(settings):
    settings.PEYVAND_MONEY_UNIT = "rial"
    with translation.override("fa"):
        assert format_money(1000) == "۱٬۰۰۰ ریال"
    settings.PEYVAND_MONEY_UNIT = "toman"
    with translation.override("en"):
        assert format_money(1000) == "100 Toman"
        assert parse_money("100") == 1000


def test_it_returns_empty_text_for_no_amount():
    assert format_money(None) == ""


@pytest.mark.parametrize("value", [12.5, 12.0, True, "12", Decimal("12")])
def test_it_refuses_anything_but_an_int(value):
    with pytest.raises(TypeError):
        format_money(value, unit="rial")


def test_it_refuses_unknown_units():
    with pytest.raises(ValueError, match="Unknown money unit"):
        format_money(1, unit="dollar")
    with pytest.raises(ValueError, match="Unknown money unit"):
        parse_money("1", unit="dollar")


@pytest.mark.parametrize(
    ("text", "unit", "rial"),
    [
        ("12500", "rial", 12_500),
        ("12,500", "rial", 12_500),
        ("۱۲٬۵۰۰", "rial", 12_500),
        ("١٢،٥٠٠", "rial", 12_500),
        (" 12,500 ", "toman", 125_000),
        ("0", "toman", 0),
        ("۱۲٬۵۰۰ تومان", "rial", 125_000),
        ("12,500 Rial", "toman", 12_500),
        ("1,234,567", "rial", 1_234_567),
    ],
)
def test_it_parses_typed_amounts_into_rials(text, unit, rial):
    assert parse_money(text, unit=unit) == rial


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("-500", "negative"),
        ("−500", "negative"),
        ("12.5", "fraction"),
        ("۱۲٫۵", "fraction"),
        ("12/5", "fraction"),
        ("abc", "not an amount"),
        ("12,50", "not an amount"),
        ("1,,000", "not an amount"),
        (",500", "not an amount"),
        ("12 500", "not an amount"),
        ("1e5", "not an amount"),
        ("9" * 30, "too large"),
        (str(MAX_RIAL), "too large"),
    ],
)
def test_it_refuses_bad_amounts(text, message):
    unit = "toman" if text == str(MAX_RIAL) else "rial"
    with pytest.raises(ValueError, match=message):
        parse_money(text, unit=unit)


def test_it_refuses_non_text():
    with pytest.raises(TypeError):
        parse_money(12500, unit="rial")  # type: ignore[arg-type]


@settings(max_examples=200)
@given(amounts, st.sampled_from(["fa", "en"]))
def test_rial_amounts_round_trip_through_their_display(rial, lang):
    assert parse_money(format_money(rial, unit="rial", lang=lang), unit="rial") == rial


@settings(max_examples=200)
@given(amounts, st.sampled_from(["fa", "en"]), st.sampled_from(["rial", "toman"]))
def test_toman_amounts_round_trip_to_whole_tomans(rial, lang, parse_unit):
    shown = format_money(rial, unit="toman", lang=lang)
    # The written unit wins over the parse default, so the displayed text always means the same.
    assert parse_money(shown, unit=parse_unit) == rial - rial % 10


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**15))
def test_plain_and_grouped_digits_parse_alike(n):
    assert parse_money(str(n), unit="rial") == parse_money(f"{n:,}", unit="rial") == n
