"""The builtin template filters: Jalali dates, Persian digits, money and phone numbers in pages."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")
MOMENT = dt.datetime(2024, 4, 3, 10, 35, tzinfo=dt.UTC)  # 1403/01/15 14:05 in Tehran


def render(source: str, lang: str, **context: object) -> str:
    with translation.override(lang), timezone.override(TEHRAN):
        return Template(source).render(Context(context))


def test_date_filters_render_jalali_in_persian():
    page = "{{ d|jdate }}|{{ m|jdatetime }}|{{ d|jdate_long }}"
    assert render(page, "fa", d=dt.date(2024, 4, 3), m=MOMENT) == "۱۴۰۳/۰۱/۱۵|۱۴۰۳/۰۱/۱۵ ۱۴:۰۵|۱۵ فروردین ۱۴۰۳"


def test_date_filters_render_gregorian_in_english():
    page = "{{ d|jdate }}|{{ m|jdatetime }}|{{ d|jdate_long }}"
    assert render(page, "en", d=dt.date(2024, 4, 3), m=MOMENT) == "2024-04-03|2024-04-03 14:05|3 April 2024"


def test_pdigits_localises_digits_only_in_persian():
    assert render("{{ n|pdigits }}", "fa", n=1403) == "۱۴۰۳"
    assert render("{{ n|pdigits }}", "en", n=1403) == "1403"


def test_pdigits_keeps_escaping():
    assert render("{{ s|pdigits }}", "fa", s="<b>1</b>") == "&lt;b&gt;۱&lt;/b&gt;"


def test_money_filter_uses_the_site_unit_or_the_given_one(settings):
    settings.PEYVAND_MONEY_UNIT = "toman"
    assert render("{{ a|money }}", "fa", a=125_000) == "۱۲٬۵۰۰ تومان"
    assert render('{{ a|money:"rial" }}', "en", a=125_000) == "125,000 Rial"


def test_phone_filter_shows_national_form():
    assert render("{{ p|phone }}", "fa", p="+989121234567") == "۰۹۱۲ ۱۲۳ ۴۵۶۷"
    assert render("{{ p|phone }}", "en", p="+442079460958") == "+44 20 7946 0958"


@pytest.mark.parametrize("name", ["jdate", "jdatetime", "jdate_long", "pdigits", "money", "phone"])
@pytest.mark.parametrize("value", [None, ""])
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_filters_render_nothing_for_missing_values(name, value, lang):
    assert render(f"[{{{{ v|{name} }}}}]", lang, v=value) == "[]"


def test_filters_render_nothing_for_missing_variables():
    assert render("[{{ missing|jdate }}{{ missing|money }}{{ missing|phone }}]", "fa") == "[]"


def test_filters_show_wrong_kinds_of_value_instead_of_failing():
    assert render("{{ v|jdate }}", "fa", v="soon 2") == "soon ۲"
    assert render("{{ v|jdate }}", "en", v="1403/01/15") == "2024-04-03"
    assert render("{{ v|money }}", "fa", v=12.5) == "۱۲٫۵"
    assert render("{{ v|jdatetime }}", "en", v=42) == "42"
    assert render("{{ v|phone }}", "en", v="not a phone") == "not a phone"
