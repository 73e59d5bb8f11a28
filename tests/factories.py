"""Factories for tests: realistic Persian records, built the way the services would store them."""

import random

import factory
from factory.django import DjangoModelFactory

from peyvand.accounts.models import Role, Team, User
from peyvand.core.national_id import generate_national_code
from peyvand.core.text import sort_key_of_search_key
from peyvand.customers.models import Customer, CustomerPhone, Interaction
from peyvand.customers.services import display_name_for, search_key_for

FIRST_NAMES = ["علی", "محمد", "زهرا", "فاطمه", "رضا", "مریم", "حسین", "سارا", "مهدی", "نرگس"]
LAST_NAMES = ["محمدی", "حسینی", "احمدی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "نوری"]


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"تیم {n}")

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if create:
            obj.save(update_fields=["path"])


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Iterator(FIRST_NAMES)
    last_name = factory.Iterator(LAST_NAMES)
    role = Role.AGENT
    team = factory.SubFactory(TeamFactory)
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    kind = "person"
    first_name = factory.Iterator(FIRST_NAMES)
    last_name = factory.Iterator(LAST_NAMES)
    national_id = factory.LazyFunction(lambda: generate_national_code(random.Random()))
    display_name = factory.LazyAttribute(
        lambda o: display_name_for(kind=o.kind, first_name=o.first_name, last_name=o.last_name, name=o.name)
    )
    search_key = factory.LazyAttribute(lambda o: search_key_for(o.display_name))
    sort_key = factory.LazyAttribute(lambda o: sort_key_of_search_key(o.search_key))
    name = ""

    @factory.post_generation
    def phone(obj, create, extracted, **kwargs):
        if create and extracted:
            CustomerPhone.objects.create(customer=obj, number=extracted, kind="mobile", is_primary=True)


class OrganizationFactory(CustomerFactory):
    kind = "organization"
    first_name = ""
    last_name = ""
    national_id = ""
    name = factory.Sequence(lambda n: f"شرکت نمونه {n}")


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = "call"
    direction = "in"
    subject = "تماس ورودی"
    occurred_at = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)
