"""Persian text normalisation: digits, letter variants, spacing and search keys."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.text import clean_text, normalize_digits, normalize_text, search_key, to_persian_digits

ZWNJ = "\u200c"

# Text weighted towards what the CRM actually sees: Persian and Arabic letters, marks, joiners,
# odd spaces, digits in three scripts; plus arbitrary Unicode to shake out edge cases.
persian_alphabet = (
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأإؤئءةيكىۀ"
    "\u064b\u064c\u064e\u064f\u0650\u0651\u0652\u0654\u0670\u0640"
    f"{ZWNJ}\u200d\u00a0\u200b\u2009 \t\n"
    "0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩-.,،؟!"
    "ﻋﻠﻲﻛﺔ"
)
persianish_text = st.text(alphabet=persian_alphabet, max_size=40)
any_text = st.one_of(persianish_text, st.text(max_size=40))

# Persian letter -> the Arabic code points that keyboards produce in its place.
ARABIC_VARIANTS = {"ی": ["ي", "ى"], "ک": ["ك"]}


def test_it_turns_persian_and_arabic_digits_into_ascii():
    assert normalize_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩ abc") == "0123456789 0123456789 abc"


def test_it_writes_persian_digits_and_separators_only_between_digits():
    assert to_persian_digits("12,500.75") == "۱۲٬۵۰۰٫۷۵"
    assert to_persian_digits(1403) == "۱۴۰۳"
    assert to_persian_digits("a, b. 1, 2.") == "a, b. ۱, ۲."


def test_it_folds_arabic_yeh_and_kaf():
    assert normalize_text("علي كريمي") == "علی کریمی"
    assert search_key("علي") == search_key("علی")
    assert search_key("كاظم") == search_key("کاظم")


def test_it_folds_hamza_forms_teh_marbuta_and_alef_variants():
    assert normalize_text("أإآٱ ؤ ئ ة") == "اااا و ی ه"


def test_it_removes_diacritics_and_tatweel():
    assert normalize_text("مُحَمَّد") == "محمد"
    assert normalize_text("مـــحمد") == "محمد"
    assert normalize_text("\u0627\u0670") == "ا"


def test_it_folds_arabic_presentation_forms():
    assert normalize_text("ﻋﻠﻲ") == "علی"


def test_it_turns_joiners_and_unicode_spaces_into_single_spaces():
    assert normalize_text(f"  علی{ZWNJ}رضا\u00a0\u2009 احمدی\u200d\n") == "علی رضا احمدی"


def test_it_casefolds_latin_text():
    assert normalize_text("ACME Straße") == "acme strasse"


def test_it_gives_one_search_key_for_every_spelling_of_abdollah():
    spellings = ["عبدالله", "عبد الله", f"عبد{ZWNJ}الله", "عبدالله", "عبدُاللّه", "عبد-الله"]
    assert {search_key(s) for s in spellings} == {"عبدالله"}


def test_it_keeps_only_letters_and_digits_in_search_keys():
    assert search_key("۰۹۱۲-۱۲۳ (علی)") == "0912123علی"


@pytest.mark.parametrize("func", [normalize_text, search_key, clean_text])
def test_it_returns_empty_text_for_none_and_empty(func):
    assert func(None) == ""
    assert func("") == ""
    assert func(" \u200c ") == ""


def test_it_cleans_names_for_storage_without_changing_their_spelling():
    assert clean_text("  علي   كريمي ") == "علی کریمی"
    assert clean_text("مؤسسه آرش ۱۲") == "مؤسسه آرش ۱۲"
    assert clean_text("Ali Karimi") == "Ali Karimi"


def test_it_keeps_zwnj_inside_words_but_not_beside_spaces():
    assert clean_text(f"علی{ZWNJ}{ZWNJ}رضا") == f"علی{ZWNJ}رضا"
    assert clean_text(f"می {ZWNJ} خواهم") == "می خواهم"
    assert clean_text(f"{ZWNJ}علی{ZWNJ} ") == "علی"


@settings(max_examples=300)
@given(any_text)
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300)
@given(any_text)
def test_search_key_is_idempotent_and_has_no_spaces(text):
    key = search_key(text)
    assert search_key(key) == key
    assert " " not in key and ZWNJ not in key
    assert search_key(normalize_text(text)) == key


@settings(max_examples=300)
@given(any_text)
def test_clean_text_is_idempotent_and_trimmed(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip(f" {ZWNJ}")
    assert "  " not in cleaned and "ي" not in cleaned and "ك" not in cleaned


@settings(max_examples=200)
@given(st.text(alphabet="اآبپتجچدرزسشعفقکگلمنوهی", min_size=1, max_size=20), st.data())
def test_search_key_ignores_arabic_letter_variants(word, data):
    arabic = "".join(
        data.draw(st.sampled_from([ch, *ARABIC_VARIANTS[ch]])) if ch in ARABIC_VARIANTS else ch for ch in word
    )
    assert search_key(arabic) == search_key(word)
    assert normalize_text(arabic) == normalize_text(word)


@settings(max_examples=200)
@given(st.lists(st.text(alphabet="ابتدرسعلمنوهیک", min_size=1, max_size=6), min_size=1, max_size=4), st.data())
def test_search_key_ignores_spaces_and_zwnj_between_parts(parts, data):
    joiners = [data.draw(st.sampled_from(["", " ", ZWNJ, "  ", f" {ZWNJ}", "\u00a0"])) for _ in parts[1:]]
    joined = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:], strict=True))
    assert search_key(joined) == search_key("".join(parts))


@given(st.text(alphabet="0123456789", max_size=20))
def test_persian_digits_round_trip(digits):
    assert normalize_digits(to_persian_digits(digits)) == digits


def test_sort_keys_put_names_in_persian_dictionary_order():
    from peyvand.core.text import sort_key

    names = ["یاسر", "کریم", "گلناز", "پارسا", "چنگیز", "ژاله", "نوری", "آرش", "بهرام", "Ali", "قاسم", "لیلا"]
    ordered = sorted(names, key=sort_key)
    assert ordered == ["Ali", "آرش", "بهرام", "پارسا", "چنگیز", "ژاله", "قاسم", "کریم", "گلناز", "لیلا", "نوری", "یاسر"]


@given(
    st.text(alphabet="ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكة ‌0123456789ab", max_size=12),
    st.text(alphabet="ابپتچژکگلمنوهیي ‌19a", max_size=5),
)
def test_sort_keys_keep_equality_and_prefixes_of_search_keys(a, b):
    from peyvand.core.text import sort_key

    assert (search_key(a) == search_key(b)) == (sort_key(a) == sort_key(b))
    assert search_key(a).startswith(search_key(b)) == sort_key(a).startswith(sort_key(b))
