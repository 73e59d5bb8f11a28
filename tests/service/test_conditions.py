"""The condition language: what is refused on save, its one cleaned form, and which tickets a condition matches."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.text import search_key
from peyvand.service.conditions import (
    ALL_KEYS,
    TicketFacts,
    compile_conditions,
    conditions_clean,
    conditions_explain,
    conditions_match,
    text_key,
    ticket_text,
)
from peyvand.service.models import Ticket


def _errors(value, **kwargs):
    """The messages, in English (the site's own language is Persian)."""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        conditions_clean(value, **kwargs)
    return caught.value.message_dict["conditions"]


def _facts(**overrides):
    values = {
        "kind": "request",
        "channel": "email",
        "priority": "normal",
        "status": "new",
        "category_path": "",
        "team_id": None,
        "customer_stage": "",
        "customer_tier": "",
        "text": ticket_text("", ""),
    }
    values.update(overrides)
    return TicketFacts(**values)


# --- cleaning ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestCleaning:
    def test_it_gives_empty_conditions_for_nothing(self):
        assert conditions_clean(None) == {}
        assert conditions_clean("") == {}
        assert conditions_clean({}) == {}

    def test_it_refuses_what_is_not_an_object(self):
        assert _errors(["kind"]) == ["Conditions must be an object of lists."]
        assert _errors("kind=complaint")

    def test_it_refuses_an_unknown_key(self):
        assert _errors({"colour": ["red"]}) == ["Unknown condition “colour”."]

    def test_it_refuses_a_key_the_caller_does_not_allow(self):
        assert _errors({"status": ["new"]}, allowed=("kind",)) == ["Unknown condition “status”."]

    def test_it_names_every_fault_at_once(self):
        errors = _errors({"colour": ["red"], "kind": ["complaint", "praise"], "channel": ["pigeon"]})
        assert len(errors) == 3
        assert any("praise" in error for error in errors)
        assert any("pigeon" in error for error in errors)

    @pytest.mark.parametrize("value", [1, None, ["complaint"], {"a": 1}, True])
    def test_it_refuses_a_choice_that_is_not_a_text(self, value):
        # an object or a list inside the list used to fail with an unhashable-type crash instead of a message
        errors = _errors({"kind": [value]})
        assert "values that do not exist" in errors[0]

    def test_it_accepts_one_value_as_a_list_of_one_and_drops_repeats(self):
        cleaned = conditions_clean({"kind": "complaint", "customer_tier": ["gold", "silver", "gold"]})
        assert cleaned == {"kind": ["complaint"], "customer_tier": ["gold", "silver"]}

    def test_it_leaves_out_an_empty_list(self):
        assert conditions_clean({"kind": []}) == {}

    def test_it_refuses_too_many_values(self):
        assert "more than" in _errors({"keywords": [f"w{n}" for n in range(201)]})[0]

    def test_it_turns_category_ids_into_numbers_with_persian_and_arabic_digits(self, technical, installation):
        persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in str(installation.pk))
        arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(technical.pk))
        cleaned = conditions_clean({"category": [persian, arabic]})
        assert cleaned == {"category": sorted([technical.pk, installation.pk])}

    @pytest.mark.parametrize("value", ["x", "1.5", -3, 0, True, {"id": 1}, "²", 2**64])
    def test_it_refuses_ids_that_are_not_whole_numbers(self, value):
        assert _errors({"category": [value]}) == ["Condition “category” must list ids (whole numbers)."]

    def test_it_refuses_ids_that_do_not_exist(self, technical):
        errors = _errors({"category": [technical.pk, 987654], "team": [876543]})
        assert errors == [
            "Condition “category” names ids that do not exist: 987654.",
            "Condition “team” names ids that do not exist: 876543.",
        ]

    def test_it_normalises_keywords_so_arabic_and_persian_letters_are_one(self):
        # «كيف» typed on an Arabic keyboard and «کیف» on a Persian one are the same word
        arabic = conditions_clean({"keywords": ["كيف"]})
        assert arabic == conditions_clean({"keywords": ["کیف"]}) == {"keywords": ["کیف"]}

    def test_it_normalises_keyword_digits_spaces_and_case(self):
        cleaned = conditions_clean({"keywords": ["خط ۱۲۳", "VPN", "نیم‌فاصله"]})
        assert cleaned == {"keywords": sorted(["خط123", "vpn", "نیمفاصله"])}

    @pytest.mark.parametrize("value", ["", "   ", 5, None])
    def test_it_refuses_empty_or_non_text_keywords(self, value):
        assert _errors({"keywords": [value]}) == ["Keywords must be non-empty texts."]

    def test_it_refuses_a_keyword_of_punctuation_only(self):
        # normalised to nothing, it would match every ticket
        assert _errors({"keywords": ["!!!"]}) == ["The keyword “!!!” has no letters or digits."]

    def test_it_refuses_a_too_long_keyword(self):
        assert "at most 100" in _errors({"keywords": ["ا" * 101]})[0]

    def test_every_key_is_known(self):
        assert set(ALL_KEYS) == {
            "kind",
            "channel",
            "priority",
            "status",
            "customer_stage",
            "customer_tier",
            "category",
            "team",
            "keywords",
        }


# --- matching ---------------------------------------------------------------------------------------------


class TestMatching:
    def test_empty_conditions_match_every_ticket(self):
        assert compile_conditions({})(_facts())
        assert compile_conditions({})(_facts(kind="complaint", customer_tier="gold"))

    def test_keys_are_anded(self):
        match = compile_conditions({"kind": ["complaint"], "customer_tier": ["gold"]})
        assert match(_facts(kind="complaint", customer_tier="gold"))
        assert not match(_facts(kind="complaint", customer_tier="silver"))
        assert not match(_facts(kind="request", customer_tier="gold"))

    def test_values_are_ored(self):
        match = compile_conditions({"channel": ["phone", "sms"]})
        assert match(_facts(channel="phone"))
        assert match(_facts(channel="sms"))
        assert not match(_facts(channel="email"))

    def test_a_category_matches_its_whole_subtree_and_nothing_else(self):
        match = compile_conditions({"category": [4]})
        assert match(_facts(category_path="/4/"))
        assert match(_facts(category_path="/1/4/9/"))
        assert not match(_facts(category_path="/1/"))
        assert not match(_facts(category_path="/14/"))  # "/4/" is not a prefix of 14
        assert not match(_facts(category_path="/1/44/"))
        assert not match(_facts(category_path=""))

    def test_keywords_are_found_in_the_subject_or_the_description(self):
        match = compile_conditions({"keywords": ["قطعی", "خرابی"]})
        assert match(_facts(text=ticket_text("قطعی اینترنت", "")))
        assert match(_facts(text=ticket_text("سلام", "مودم خرابی دارد")))
        assert not match(_facts(text=ticket_text("سلام", "درخواست فاکتور")))

    def test_a_keyword_does_not_match_across_the_subject_and_the_description(self):
        match = compile_conditions({"keywords": ["قطعی"]})
        assert not match(_facts(text=ticket_text("قط", "عی")))

    def test_keywords_match_whatever_the_keyboard(self):
        cleaned = {"keywords": ["کیف"]}
        assert compile_conditions(cleaned)(_facts(text=ticket_text("مشکل كيف پول", "")))
        digits = {"keywords": ["خط123"]}
        assert compile_conditions(digits)(_facts(text=ticket_text("", "قطعی خط ۱۲۳ از دیروز")))

    def test_team_and_stage_conditions(self):
        match = compile_conditions({"team": [7], "customer_stage": ["customer"]})
        assert match(_facts(team_id=7, customer_stage="customer"))
        assert not match(_facts(team_id=None, customer_stage="customer"))

    def test_explain_names_each_key_met_or_not(self):
        facts = _facts(kind="complaint", customer_tier="silver")
        assert conditions_explain({"kind": ["complaint"], "customer_tier": ["gold"]}, facts) == {
            "kind": True,
            "customer_tier": False,
        }

    @pytest.mark.django_db
    def test_a_ticket_matches_through_its_category_and_customer(self, installation, technical, customer_a):
        customer_a.tier = "gold"
        ticket = Ticket(subject="نصب مودم", kind="complaint", category=installation, customer=customer_a)
        assert conditions_match({"category": [technical.pk], "customer_tier": ["gold"]}, ticket)
        assert not conditions_match({"customer_tier": ["bronze"]}, ticket)
        assert not conditions_match({"customer_tier": ["gold"]}, Ticket(subject="x", contact_name="y"))


# --- the fast text key ------------------------------------------------------------------------------------

_PERSIAN_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةأإآؤۀئءًٌٍَُِّْٰ ۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789abcXYZ-_.،؟!",
            *("\u200c", "\u200d", "\u200f", "\u0640", "\ufeff", "\ufb8e", "\ufefb", "İ", "ß", "ﷲ"),
        ]
    ),
    max_size=80,
)


@given(_PERSIAN_TEXT)
@settings(max_examples=400, deadline=None)
def test_text_key_is_search_key(value):
    assert text_key(value) == search_key(value)


def test_text_key_of_nothing():
    assert text_key("") == text_key(None) == ""


@given(_PERSIAN_TEXT, _PERSIAN_TEXT)
@settings(max_examples=300, deadline=None)
def test_ticket_text_keys_subject_and_description_apart(subject, description):
    assert ticket_text(subject, description) == f"{search_key(subject)}|{search_key(description)}"


def test_ticket_text_of_plain_persian():
    text = ticket_text("قطعي اینترنت", "از دیروز، خط ۱۲۳ قطع است.\u200cلطفا پیگیری کنید")
    assert text == "قطعیاینترنت|ازدیروزخط123قطعاستلطفاپیگیریکنید"
    assert ticket_text("a\x00b", "") == "ab|"
