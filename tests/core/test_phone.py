"""Phone numbers: every way people write one becomes a single E.164 form, shown back readably."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.phone import InvalidPhone, format_phone, normalize_phone, phone_type, try_normalize_phone
from peyvand.core.text import to_persian_digits
from peyvand.core.validators import validate_phone

# Prefixes whose every subscriber number the numbering plan accepts.
MOBILE_PREFIXES = [f"091{i}" for i in range(10)] + [f"093{i}" for i in range(10)] + ["0901", "0990"]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("09121234567", "+989121234567"),
        ("+98 912 123 4567", "+989121234567"),
        ("0098-912-1234567", "+989121234567"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "+989121234567"),
        ("٠٩١٢١٢٣٤٥٦٧", "+989121234567"),
        ("9121234567", "+989121234567"),
        ("(021) 8888-1234", "+982188881234"),
        ("02188881234", "+982188881234"),
        ("+44 20 7946 0958", "+442079460958"),
        (" 0912–123–4567 ", "+989121234567"),
    ],
)
def test_it_normalises_every_common_spelling_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


def test_it_reads_numbers_without_country_code_in_the_given_region():
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"
    assert normalize_phone("+98 912 123 4567", region="GB") == "+989121234567"


def test_it_uses_the_configured_region_by_default(settings):
    settings.PEYVAND_PHONE_REGION = "GB"
    assert normalize_phone("020 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("123", "not a valid phone number"),
        ("0912123456", "not a valid phone number"),
        ("091212345678", "not a valid phone number"),
        ("0912 ABC 4567", "only digits"),
        ("call 09121234567", "only digits"),
        ("+", "no digits"),
    ],
)
def test_it_refuses_what_is_not_a_phone_number(raw, message):
    with pytest.raises(InvalidPhone, match=message):
        normalize_phone(raw)


def test_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError):
        normalize_phone("nonsense")


def test_try_normalize_returns_none_instead_of_raising():
    assert try_normalize_phone("nonsense") is None
    assert try_normalize_phone(None) is None
    assert try_normalize_phone("09121234567") == "+989121234567"


def test_it_tells_mobiles_from_landlines():
    assert phone_type("+989121234567") == "mobile"
    assert phone_type("+982188881234") == "landline"
    assert phone_type("+12015550123") == "other"  # US numbers do not say which they are
    assert phone_type("garbage") == "other"
    assert phone_type("") == "other"


def test_it_shows_iranian_numbers_in_national_form_with_persian_digits_in_persian():
    assert format_phone("+989121234567", "en") == "0912 123 4567"
    assert format_phone("+982188881234", "en") == "021 8888 1234"
    assert format_phone("+989121234567", "fa") == "۰۹۱۲ ۱۲۳ ۴۵۶۷"
    with translation.override("fa"):
        assert format_phone("+982188881234") == "۰۲۱ ۸۸۸۸ ۱۲۳۴"


def test_it_shows_foreign_numbers_in_international_form():
    assert format_phone("+442079460958", "en") == "+44 20 7946 0958"
    assert format_phone("+442079460958", "fa") == "+۴۴ ۲۰ ۷۹۴۶ ۰۹۵۸"


def test_it_shows_unparsable_stored_values_unchanged():
    assert format_phone("not a phone", "en") == "not a phone"
    assert format_phone("", "en") == ""
    assert format_phone(None, "en") == ""


@st.composite
def iranian_mobiles(draw):
    return draw(st.sampled_from(MOBILE_PREFIXES)) + draw(st.text(alphabet="0123456789", min_size=7, max_size=7))


def _spellings(national: str) -> list[str]:
    """Every way the brief lists of writing the mobile ``national`` (09XXXXXXXXX)."""
    rest = national[1:]  # 9XXXXXXXXX
    return [
        national,
        f"+98{rest}",
        f"+98 {rest[:3]} {rest[3:6]} {rest[6:]}",
        f"0098{rest}",
        f"0098-{rest[:3]}-{rest[3:]}",
        f"00 98 {rest}",
        rest,
        f"{national[:4]} {national[4:7]} {national[7:]}",
        f"{national[:4]}-{national[4:7]}-{national[7:]}",
        f"({national[:4]}) {national[4:]}",
        to_persian_digits(national),
        to_persian_digits(f"{national[:4]} {national[4:7]} {national[7:]}"),
        to_persian_digits(f"+98 {rest}"),
        f"  {national}\u00a0",
    ]


@settings(max_examples=100)
@given(iranian_mobiles())
def test_every_spelling_of_an_iranian_mobile_gives_the_same_e164(national):
    expected = "+98" + national[1:]
    assert {normalize_phone(s) for s in _spellings(national)} == {expected}
    assert phone_type(expected) == "mobile"
    assert normalize_phone(format_phone(expected, "fa")) == expected
    assert normalize_phone(format_phone(expected, "en")) == expected


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_try_normalize_never_raises(text):
    result = try_normalize_phone(text)
    assert result is None or result.startswith("+")


def test_the_phone_validator_refuses_bad_numbers_with_its_code():
    validate_phone("0912 123 4567")
    with pytest.raises(ValidationError) as caught:
        validate_phone("0912")
    assert caught.value.code == "invalid_phone"


@given(
    st.integers(min_value=9_100_000_000, max_value=9_399_999_999),
    st.sampled_from(["0{n}", "+98 {n}", "0098-{n}", "98{n}", "{n}", "(0{a}) {b}-{c}"]),
)
def test_the_mobile_fast_path_agrees_with_the_full_parser(n, form):
    from peyvand.core.phone import iranian_mobile_e164

    digits = str(n)
    written = form.format(n=digits, a=digits[:3], b=digits[3:6], c=digits[6:])
    assert iranian_mobile_e164(written) == "+98" + digits
    assert iranian_mobile_e164(to_persian_digits(written)) == "+98" + digits
    if try_normalize_phone(written) is not None:
        assert try_normalize_phone(written) == iranian_mobile_e164(written)


def test_the_mobile_fast_path_leaves_other_numbers_to_the_parser():
    from peyvand.core.phone import iranian_mobile_e164

    for other in ("02188881234", "+44 20 7946 0958", "0912123456", "091212345678", "call 09121234567", ""):
        assert iranian_mobile_e164(other) is None


def _parsed_by_phonenumbers(raw, region=None):
    import phonenumbers

    from peyvand.core.phone import _parse

    try:
        return phonenumbers.format_number(_parse(raw, region), phonenumbers.PhoneNumberFormat.E164)
    except InvalidPhone:
        return None


@settings(max_examples=300)
@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.sampled_from(
        ["0{n}", "+98{n}", "+98 {a} {b} {c}", "0098-{n}", "98{n}", "{n}", "+0{n}", "+980{n}", " 0{a}–{b}–{c} ", "-0{n}"]
    ),
    st.sampled_from([None, "IR", "GB"]),
)
def test_normalize_phone_answers_mobiles_exactly_as_the_full_parser_does(tail, form, region):
    digits = "9" + tail
    written = form.format(n=digits, a=digits[:3], b=digits[3:6], c=digits[6:])
    for spelling in (written, to_persian_digits(written)):
        try:
            got = normalize_phone(spelling, region)
        except InvalidPhone:
            got = None
        assert got == _parsed_by_phonenumbers(spelling, region)
