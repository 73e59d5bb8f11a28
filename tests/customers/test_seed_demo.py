"""`peyvand seed_demo`: realistic, valid, searchable demo data and working demo log-ins."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.http import HttpRequest
from django.test import Client

from peyvand.accounts.models import Team, User
from peyvand.core.national_id import is_valid_legal_id, is_valid_national_code
from peyvand.core.phone import normalize_phone
from peyvand.core.text import clean_text, sort_key
from peyvand.customers import selectors
from peyvand.customers.demo import PASSWORDS
from peyvand.customers.models import Customer, CustomerPhone, Interaction, Tag
from peyvand.customers.services import display_name_for, search_key_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """The demo log-ins are hashed with Argon2 when the module seeds, so logging in must check Argon2."""


SALES_DEMO_MODELS = (
    "Payment",
    "Invoice",
    "Order",
    "Quote",
    "Contract",
    "Activity",
    "Lead",
    "Target",
    "Deal",
    "Product",
    "Competitor",
    "DocumentSequence",
    "CustomerValue",
)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module (Argon2 hashing is slow on purpose); each test still runs in a
    transaction that is rolled back, and the seeded rows are removed at the end."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("seed_demo", customers=300, seed=1, stdout=out, stderr=StringIO())
        yield out.getvalue()
        # The demo's sales hold on to its customers (orders and invoices protect them): they go first.
        for name in SALES_DEMO_MODELS:
            apps.get_model("sales", name).objects.all().delete()
        # So do the service desk's tickets, and its rules name the demo teams.
        for name in ("Ticket", "RoutingRule", "SlaPolicy", "ServiceSettings", "Holiday", "KbArticle", "KbCategory"):
            apps.get_model("service", name).objects.all().delete()
        # The demo's channels: the chat widget and the contact form name the demo teams.
        apps.get_model("webforms", "WebForm").objects.all().delete()
        apps.get_model("chat", "ChatWidget").objects.all().delete()
        apps.get_model("comms", "ChannelAccount").objects.all().delete()
        for category in apps.get_model("service", "TicketCategory").objects.order_by("-path"):
            category.delete()
        Customer.objects.all().delete()
        Tag.objects.all().delete()
        User.objects.all().delete()
        for team in Team.objects.order_by("-path"):
            team.delete()


def test_it_creates_the_asked_number_of_customers_with_their_history(seeded):
    assert Customer.objects.count() == 300
    assert 10 <= Customer.objects.filter(kind="organization").count() <= 30
    assert 600 <= Interaction.objects.count() <= 1200
    assert set(User.objects.values_list("username", flat=True)) == set(PASSWORDS)
    assert Team.objects.filter(name="فروش اصفهان", parent__name="فروش").exists()
    # last_interaction_at is what the service would have set: the newest interaction of each customer.
    for customer in Customer.objects.annotate(n=Count("interactions"))[:100]:
        newest = customer.interactions.order_by("-occurred_at").first()
        assert customer.last_interaction_at == (newest.occurred_at if newest else None)


def test_it_stores_valid_identifiers_and_clean_names(seeded):
    for kind, national_id in Customer.objects.exclude(national_id="").values_list("kind", "national_id"):
        assert (is_valid_national_code if kind == "person" else is_valid_legal_id)(national_id), national_id
    for c in Customer.objects.all():
        assert c.display_name == display_name_for(
            kind=c.kind, first_name=c.first_name, last_name=c.last_name, name=c.name
        )
        assert c.search_key == search_key_for(c.display_name)
        assert c.sort_key == sort_key(c.display_name)
        assert c.display_name == clean_text(c.display_name)
        assert not {"ي", "ك"} & set(c.display_name)
        assert c.kind == "organization" or c.gender in ("male", "female")


def test_every_phone_is_e164_and_unique(seeded):
    numbers = list(CustomerPhone.objects.values_list("number", flat=True))
    assert len(numbers) >= 290
    assert len(set(numbers)) == len(numbers)
    assert all(normalize_phone(n) == n for n in numbers)
    assert CustomerPhone.objects.filter(number__startswith="+989", kind="mobile").count() >= 250
    assert (
        Customer.objects.filter(phones__is_primary=True).count()
        == Customer.objects.filter(phones__isnull=False).distinct().count()
    )


def test_seeded_customers_are_found_by_search_and_caller_id(seeded):
    admin = User.objects.get(username="admin")
    person = Customer.objects.filter(kind="person").exclude(last_name="").first()
    # Written with the Arabic letters an Arabic keyboard produces.
    query = f"{person.first_name} {person.last_name}".replace("ی", "ي").replace("ک", "ك")
    assert person in list(selectors.customer_search(user=admin, text=query)[:50])
    phone = person.phones.first() or CustomerPhone.objects.first()
    national = "0" + phone.number[3:]
    assert phone.customer_id in [m.id for m in selectors.customer_lookup_by_phone(user=admin, phone=national)]


def test_demo_users_can_log_in_and_see_their_scope(seeded):
    for username, password in PASSWORDS.items():
        assert Client().login(request=HttpRequest(), username=username, password=password), username
    agent = User.objects.get(username="agent")
    visible = selectors.customers_visible_to(agent).count()
    assert 0 < visible < Customer.objects.count()


def test_if_empty_does_nothing_the_second_time(seeded):
    out = StringIO()
    call_command("seed_demo", customers=50, seed=2, if_empty=True, stdout=out, stderr=StringIO())
    assert Customer.objects.count() == 300
    assert User.objects.count() == len(PASSWORDS)
    assert "nothing to do" in out.getvalue()


def test_it_adds_to_existing_data_without_clashing(seeded):
    call_command("seed_demo", customers=100, seed=1, stdout=StringIO(), stderr=StringIO())
    assert Customer.objects.count() == 400
    assert User.objects.count() == len(PASSWORDS)
    numbers = list(CustomerPhone.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_the_demo_comes_with_sales_leads_an_agenda_and_contracts(seeded):
    for name in ("Order", "Invoice", "Deal", "Lead", "Activity", "Contract", "Target"):
        assert apps.get_model("sales", name).objects.exists(), name


def test_it_sets_up_a_console_sms_account_a_chat_widget_and_a_working_contact_form(seeded, client):
    from peyvand.comms.chat.models import ChatWidget
    from peyvand.comms.models import ChannelAccount
    from peyvand.comms.webforms.models import WebForm

    account = ChannelAccount.objects.get()
    assert (account.channel, account.provider, account.is_default) == ("sms", "console", True)
    assert ChatWidget.objects.get().team.name == "پشتیبانی"
    form = WebForm.objects.get()
    page = client.get(f"/comms/forms/f/{form.key}/")
    assert page.status_code == 200
    assert "با ما در تماس باشید" in page.content.decode()
