"""Fixtures of the service desk tests: a category tree, customers of two teams, tickets made directly."""

from itertools import count

import pytest
from django.utils import timezone

from peyvand.service.models import Ticket, TicketCategory

_NUMBERS = count(1)


def _category(name, *, parent=None, **extra):
    category = TicketCategory.objects.create(name=name, parent=parent, **extra)
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    return category


@pytest.fixture
def make_category(db):
    """make_category(name, parent=None, **fields): a category with its tree path set."""
    return _category


@pytest.fixture
def technical(make_category):
    return make_category("فنی", name_en="Technical")


@pytest.fixture
def installation(make_category, technical):
    return make_category("نصب", parent=technical, name_en="Installation")


@pytest.fixture
def billing_category(make_category):
    return make_category("مالی", name_en="Billing")


@pytest.fixture
def make_ticket(db):
    """make_ticket(customer=…, **fields): a ticket stored directly (no routing, SLA or notices), numbered
    T-TEST-n; for tests of the parts that read tickets."""

    def make(*, customer=None, subject="اینترنت قطع است", **fields):
        if customer is None and not any(fields.get(k) for k in ("contact_name", "contact_email", "contact_phone")):
            fields["contact_name"] = "مراجعه‌کننده"
        if customer is not None:
            fields.setdefault("team", customer.team)
        fields.setdefault("created_at", timezone.now())
        created_at = fields.pop("created_at")
        ticket = Ticket.objects.create(number=f"T-TEST-{next(_NUMBERS)}", customer=customer, subject=subject, **fields)
        if created_at != ticket.created_at:
            Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)
            ticket.created_at = created_at
        return ticket

    return make
