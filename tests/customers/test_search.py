"""Finding customers as Persian users type: letter variants, ZWNJ and spaces, partial names, phones in any
form, e-mail, national code, ranking, and never a customer of another team. Runs on SQLite (FTS5 trigram)
and on PostgreSQL (pg_trgm) alike."""

import random

import pytest

from factories import CustomerFactory
from peyvand.core.national_id import generate_national_code
from peyvand.customers import selectors
from peyvand.customers.models import CustomerEmail

pytestmark = pytest.mark.django_db

ZWNJ = "\u200c"


@pytest.fixture
def noise(team_a):
    """Customers that no query below should find."""
    return [
        CustomerFactory(team=team_a, first_name="حسین", last_name="موسوی", phone="+989351112233"),
        CustomerFactory(team=team_a, first_name="نرگس", last_name="جعفری", phone="+982188880000"),
    ]


def via_api(client, text):
    response = client.get("/api/v1/customers", {"q": text})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def via_selector(user, text):
    return [customer.pk for customer in selectors.customer_search(user=user, text=text)]


def assert_found(client, user, text, expected):
    assert via_api(client, text) == expected, f"API search for {text!r}"
    assert via_selector(user, text) == expected, f"selector search for {text!r}"


@pytest.mark.parametrize(
    ("first", "last", "query"),
    [
        ("علی", "رضایی", "علي"),  # Arabic yeh in the query
        ("علي", "رضایي", "علی"),  # Arabic yeh stored (as an import would)
        ("مریم", "کریمی", "كريمي"),  # Arabic kaf and yeh
        ("مریم", "کریمی", "كريمى"),  # alef maksura
        (f"محمد{ZWNJ}رضا", "احمدی", "محمدرضا"),
        ("محمد رضا", "احمدی", "محمدرضا"),
        ("محمدرضا", "احمدی", f"محمد{ZWNJ}رضا"),
        ("محمدرضا", "احمدی", "محمد رضا"),
        (f"محمد{ZWNJ}رضا", "احمدی", "محمد رضا"),
        ("محمد رضا", "احمدی", f"محمد{ZWNJ}رضا"),
        ("فاطمه", "احمدی", "فاطمة"),  # teh marbuta
        ("آرش", "نوری", "ارش"),  # alef with madda typed without it
        ("عبدالله", "صادقی", "عبد الله"),
        ("علی", "رضایی", "علی رضایی"),
        ("علی", "رضایی", "رضایی علی"),  # words in any order
        ("علی", "رضایی", "  علی   رضایی  "),
        ("Sara", "Nouri", "sara NOURI"),  # Latin names, any case
    ],
)
def test_a_name_is_found_however_its_letters_and_spaces_are_written(
    api_client, agent_a, team_a, noise, first, last, query
):
    customer = CustomerFactory(team=team_a, first_name=first, last_name=last)
    assert_found(api_client(agent_a), agent_a, query, [customer.pk])


@pytest.mark.parametrize("query", ["کریم", "ریمی", "کري", "يمي"])
def test_part_of_a_last_name_finds_the_customer(api_client, agent_a, team_a, noise, query):
    customer = CustomerFactory(team=team_a, first_name="مریم", last_name="کریمی")
    assert_found(api_client(agent_a), agent_a, query, [customer.pk])


def test_part_of_the_first_and_last_name_together_finds_the_customer(api_client, agent_a, team_a, noise):
    customer = CustomerFactory(team=team_a, first_name="مریم", last_name="کریمی")
    CustomerFactory(team=team_a, first_name="مریم", last_name="صادقی")
    assert_found(api_client(agent_a), agent_a, "مری کریم", [customer.pk])


def test_a_two_letter_query_finds_names_starting_with_it(api_client, agent_a, team_a, noise):
    customer = CustomerFactory(team=team_a, first_name="مه", last_name="")
    longer = CustomerFactory(team=team_a, first_name="مهدی", last_name="نوری")
    assert via_api(api_client(agent_a), "مه") == [customer.pk, longer.pk]


@pytest.mark.parametrize(
    "written",
    ["09121234567", "+98 912 123 4567", "0098-912-1234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567", "(0912) 123-4567"],
)
def test_a_phone_number_in_any_form_finds_its_owner(api_client, agent_a, team_a, noise, written):
    owner = CustomerFactory(team=team_a, phone="+989121234567")
    CustomerFactory(team=team_a, phone="+989121234568")
    assert_found(api_client(agent_a), agent_a, written, [owner.pk])


@pytest.mark.parametrize("prefix", ["0912123", "۰۹۱۲۱۲۳", "+98912123", "912123"])
def test_a_phone_prefix_finds_every_number_starting_with_it(api_client, agent_a, team_a, noise, prefix):
    first = CustomerFactory(team=team_a, first_name="الف", last_name="", phone="+989121234567")
    second = CustomerFactory(team=team_a, first_name="ب", last_name="", phone="+989121239999")
    CustomerFactory(team=team_a, phone="+989129990000")
    assert_found(api_client(agent_a), agent_a, prefix, [first.pk, second.pk])


@pytest.mark.parametrize("written", ["sara.nouri@example.com", "Sara.Nouri@Example.COM", " SARA.NOURI@EXAMPLE.COM "])
def test_an_email_finds_its_owner_whatever_the_case(api_client, agent_a, team_a, noise, written):
    owner = CustomerFactory(team=team_a)
    CustomerEmail.objects.create(customer=owner, email="sara.nouri@example.com", is_primary=True)
    other = CustomerFactory(team=team_a)
    CustomerEmail.objects.create(customer=other, email="nouri@example.com", is_primary=True)
    assert_found(api_client(agent_a), agent_a, written, [owner.pk])


def test_an_email_saved_through_the_api_in_capitals_is_found(api_client, agent_a, noise):
    client = api_client(agent_a)
    created = client.post(
        "/api/v1/customers",
        {"last_name": "نوری", "emails": [{"email": "Sara.Nouri@Example.com"}]},
        content_type="application/json",
    ).json()
    assert via_api(client, "sara.nouri@EXAMPLE.com") == [created["id"]]


def test_a_national_code_finds_its_owner_in_any_digits(api_client, agent_a, team_a, noise):
    code = generate_national_code(random.Random(42))
    owner = CustomerFactory(team=team_a, national_id=code)
    client = api_client(agent_a)
    assert_found(client, agent_a, code, [owner.pk])
    assert_found(client, agent_a, code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")), [owner.pk])
    assert_found(client, agent_a, f"{code[:3]}-{code[3:9]}-{code[9]}", [owner.pk])


def test_a_national_code_that_lost_its_leading_zeros_finds_its_owner(api_client, agent_a, team_a, noise):
    code = next(c for c in (generate_national_code(random.Random(i)) for i in range(1000)) if c.startswith("00"))
    owner = CustomerFactory(team=team_a, national_id=code)
    assert_found(api_client(agent_a), agent_a, code.lstrip("0"), [owner.pk])


def test_an_exact_name_comes_before_longer_names_containing_it(api_client, agent_a, team_a):
    # alphabetically «احمد کریمی» and «کریمی‌نژاد» would come first; the exact match must still lead
    contains = CustomerFactory(team=team_a, first_name="احمد", last_name="کریمی")
    starts = CustomerFactory(team=team_a, first_name="", last_name="کریمی‌نژاد")
    exact = CustomerFactory(team=team_a, first_name="", last_name="کریمی")
    assert_found(api_client(agent_a), agent_a, "کريمي", [exact.pk, starts.pk, contains.pk])


def test_an_exact_full_name_comes_first(api_client, agent_a, team_a):
    longer = CustomerFactory(team=team_a, first_name="علی", last_name="رضایی‌پور")
    exact = CustomerFactory(team=team_a, first_name="علی", last_name="رضایی")
    assert via_api(api_client(agent_a), "علي رضايي") == [exact.pk, longer.pk]


def test_an_exact_phone_match_comes_before_name_matches(api_client, agent_a, team_a):
    by_phone = CustomerFactory(team=team_a, first_name="ی", last_name="", phone="+989121234567")
    assert via_api(api_client(agent_a), "09121234567") == [by_phone.pk]


@pytest.mark.parametrize(
    "query",
    ["دهقان", "دهقان نژاد", "09127654321", "۰۹۱۲۷۶۵", "hidden@example.com", "HIDDEN@example.com"],
)
@pytest.mark.parametrize("searcher", ["agent_b", "agent_a_sub"])
def test_search_never_finds_another_teams_customer(request, api_client, team_a, query, searcher):
    hidden = CustomerFactory(team=team_a, first_name="رضا", last_name="دهقان‌نژاد", phone="+989127654321")
    CustomerEmail.objects.create(customer=hidden, email="hidden@example.com", is_primary=True)
    user = request.getfixturevalue(searcher)
    assert_found(api_client(user), user, query, [])


def test_search_never_finds_another_teams_customer_by_national_code(api_client, agent_b, team_a):
    code = generate_national_code(random.Random(9))
    CustomerFactory(team=team_a, national_id=code)
    assert_found(api_client(agent_b), agent_b, code, [])


def test_search_never_finds_a_deleted_customer(api_client, manager_a, team_a):
    customer = CustomerFactory(team=team_a, last_name="حذف‌شده", phone="+989121234567")
    client = api_client(manager_a)
    client.delete(f"/api/v1/customers/{customer.pk}")
    assert via_api(client, "حذف‌شده") == []
    assert via_api(client, "09121234567") == []


def test_renaming_a_customer_updates_what_search_finds(api_client, agent_a, noise):
    client = api_client(agent_a)
    created = client.post(
        "/api/v1/customers", {"first_name": "بهرام", "last_name": "صدری"}, content_type="application/json"
    ).json()
    client.patch(f"/api/v1/customers/{created['id']}", {"last_name": "تهرانی"}, content_type="application/json")
    assert via_api(client, "صدری") == []
    assert via_api(client, "تهرانی") == [created["id"]]


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"', "*", "NEAR(", "a OR b", "'; DROP TABLE x; --", "\u200c"])
def test_odd_queries_answer_without_error(api_client, agent_a, team_a, noise, query):
    response = api_client(agent_a).get("/api/v1/customers", {"q": query})
    assert response.status_code == 200


def test_the_start_of_an_e_mail_address_finds_its_owner_and_latin_names_still_match(agent_a, api_client):
    owner = CustomerFactory(team=agent_a.team, first_name="بهروز", last_name="ابراهیمی")
    owner.emails.create(email="behrouz.ebrahimi@example.ir", kind="work", is_primary=True)
    latin = CustomerFactory(team=agent_a.team, first_name="Behrouz", last_name="Tehrani")
    client = api_client(agent_a)
    assert via_api(client, "behrouz.eb") == [owner.pk]
    assert via_api(client, "Behrou") == [owner.pk, latin.pk]  # the address first, then the name
